import { Flags } from '@oclif/core';
import { BROKER_TARGET_FLAGS, brokerFlag, defaultShown, isInteractiveTerminal, MODE_FLAG, RsbCommand } from '../src/cli/index.js';
import { resolveBrokerTarget, TARGET_ORIGIN } from '../src/context/index.js';
import { UsageError } from '../src/errors.js';
import {
  buildHttpRequest,
  createEventReporter,
  createLoadReporter,
  DEFAULT_SCENARIO,
  formatCommandLine,
  loadScenarioFile,
  PROFILE_KIND,
  resolveScenario,
  runLoad,
  watchInterruptions,
  type LoadResult,
} from '../src/load/index.js';

/** What a run does when neither flags nor a scenario say: help shows these as the defaults. */
const DEFAULT_PROFILE = DEFAULT_SCENARIO.profile.kind === PROFILE_KIND.CONSTANT ? DEFAULT_SCENARIO.profile : { rate: 0, durationMs: 0 };
const [DEFAULT_MIX] = DEFAULT_SCENARIO.mix;
const DEFAULT_PAYLOAD_BYTES = DEFAULT_MIX!.payload.kind === 'fixed' ? DEFAULT_MIX!.payload.bytes : 0;

/** Connections autocannon opens by default: closed loop needs enough of them for the rate (each has one request in flight). */
const DEFAULT_HTTP_CONNECTIONS = 50;

/** `10000` → `10s`, `500` → `500ms`: a default as the flag takes it. */
function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

export default class Load extends RsbCommand {
  static override summary = 'Run an open-loop load scenario and judge it with thresholds.';
  static override description =
    'Sends requests on a schedule (not when the last answer came back) through the lean RSocket requester, measures latency from each ' +
    "request's intended send time into HDR histograms, and judges the run with thresholds. Without --broker, --cluster or a context (--context, RSB_CONTEXT, the current one) it starts the topology " +
    'itself (one broker and one svc echo mock, or the topology of --scenario), runs, and stops it again, also on Ctrl-C. ' +
    'On a terminal it shows a live dashboard; otherwise a plain line a second and a summary.\n\n' +
    'Exit codes: 0 the run passed its thresholds; 3 a threshold failed (or aborted the run); 4 invalid run: the generator could not keep its schedule ' +
    '(a slow generator is never reported as a slow broker); 130 interrupted by SIGINT (Ctrl-C), 143 by SIGTERM (never a pass, whatever the thresholds say); ' +
    '2 a bad flag or scenario; 7 no connection.\n\n' +
    'With --http URL it drives HTTP load instead (for example at `rsb gateway`) with autocannon: the same profile, summary, JSON and ' +
    'thresholds, but autocannon paces per second and per connection (closed loop), and its latency runs from the actual send.';
  static override examples = [
    '<%= config.bin %> load --qps 62000 --duration 20s --baseline',
    "<%= config.bin %> load --qps 5000 --duration 30s --threshold 'p99<5ms' --threshold 'errors<0.1%' --threshold 'rate>=99%'",
    '<%= config.bin %> load --scenario bench-scenarios/daily-27m-ci.yaml --report daily.html',
    '<%= config.bin %> load --scenario bench-scenarios/max.yaml --json',
    '<%= config.bin %> load --broker 127.0.0.1:9999 --route calc.add --mode request-response --payload 16-1024 --qps 2000',
    '<%= config.bin %> load --cluster default --qps 20000 --duration 1m   # every broker of `rsb cluster up`',
    "<%= config.bin %> load --http http://127.0.0.1:8080/svc/echo --qps 10000 --duration 20s --threshold 'p99<20ms'",
    "<%= config.bin %> load --qps 20000 --duration 10m --threshold 'p99<10ms' --abort-on-fail --abort-grace 30s --metrics-port 9464",
    '<%= config.bin %> load --qps 5000 --duration 1m --latency --hdr-log run.hlog',
  ];
  static override enableJsonFlag = true;

  static override retiredFlags = {
    '-d': 'Write --duration: -d is --data, as in rsb call.',
    '-w': 'Write --workers: -w is --watch, as in rsb status.',
  };

  static override flags = {
    scenario: Flags.string({ char: 's', description: 'Scenario file (YAML or JSON): topology, profile, mix, thresholds, faults. Flags override it.' }),
    qps: Flags.integer({
      char: 'q',
      description: "Constant rate, requests per second (replaces the scenario's profile; on a daily profile, its peak).",
      min: 1,
      defaultHelp: defaultShown(String(DEFAULT_PROFILE.rate)),
    }),
    duration: Flags.string({ description: 'How long to run a constant rate: 500ms, 20s, 10m.', defaultHelp: defaultShown(formatSeconds(DEFAULT_PROFILE.durationMs)) }),
    route: Flags.string({ char: 'r', description: 'Route of every request, service.method.', defaultHelp: defaultShown(DEFAULT_MIX.route) }),
    mode: MODE_FLAG({ description: 'Interaction model of every request.', defaultHelp: defaultShown(DEFAULT_MIX.mode) }),
    payload: Flags.string({ description: 'Payload bytes: 32, or a range 16-1024 (uniform).', defaultHelp: defaultShown(String(DEFAULT_PAYLOAD_BYTES)) }),
    scale: Flags.string({ description: "Daily profiles: shrink the day's total by this factor (0.01), keeping its shape and peak rate.", defaultHelp: defaultShown('1') }),
    ...BROKER_TARGET_FLAGS,
    broker: brokerFlag(
      'Load this broker (host:port) instead of starting one; repeat for several. The other brokers of its cluster are loaded too.',
      "the context's, else a broker and a mock of its own",
    ),
    connections: Flags.integer({
      char: 'c',
      description: 'Connections to each broker (spread over the workers).',
      min: 1,
      defaultHelp: defaultShown(`${DEFAULT_SCENARIO.connections} (with --http: ${DEFAULT_HTTP_CONNECTIONS})`),
    }),
    workers: Flags.integer({ description: 'Generator worker threads; their histograms are merged.', min: 1, max: 64, defaultHelp: defaultShown(String(DEFAULT_SCENARIO.workers)) }),
    timeout: Flags.string({
      description: 'Per-request timeout; a request still unanswered then is cancelled and counted as TIMEOUT.',
      defaultHelp: defaultShown(formatSeconds(DEFAULT_SCENARIO.timeoutMs)),
    }),
    threshold: Flags.string({ char: 't', description: "Pass/fail threshold: 'p99<5ms', 'errors<0.1%', 'rate>=99%' (repeatable).", multiple: true }),
    warmup: Flags.string({ description: 'Unmeasured ramp up to the first rate before measuring (0 for none).', defaultHelp: defaultShown(formatSeconds(DEFAULT_SCENARIO.warmupMs)) }),
    'keepalive-lifetime': Flags.string({
      description: 'A broker silent this long is taken for gone (its connections closed, requests sent elsewhere): keepalives go every quarter of it. Also given to the mocks rsb starts.',
      defaultHelp: defaultShown('90s'),
    }),
    'max-lag': Flags.string({ description: 'Schedule lag p99 above which the run is invalid (exit 4).', defaultHelp: defaultShown(`${DEFAULT_SCENARIO.maxLagMs}ms`) }),
    pacing: Flags.string({
      description: "Requests leave in a batch per window of this length, latency still from each one's intended time (0: each at its own time).",
      defaultHelp: defaultShown(`${DEFAULT_SCENARIO.pacingMs}ms`),
    }),
    baseline: Flags.boolean({ description: 'First run the same profile straight at the mock (no broker), then through the broker; report the overhead.', default: false }),
    out: Flags.string({ char: 'o', description: 'Write the full results (timeline, HdrHistograms) as JSON to this file.' }),
    report: Flags.string({ description: 'Write a self-contained HTML report with charts to this file.' }),
    'hdr-log': Flags.string({ description: 'Write the corrected latency as interval histograms (one a second) in the HdrHistogram log format to this file.' }),
    latency: Flags.boolean({ description: 'Print the full percentile spectrum of the corrected latency (p50 … p99.999, counts), as wrk2 does.', default: false }),
    'metrics-port': Flags.integer({ description: "Serve the run's own Prometheus metrics on 127.0.0.1:PORT/metrics while it runs (0: any free port).", min: 0, max: 65535 }),
    'abort-on-fail': Flags.boolean({ description: 'Every threshold aborts the run (exit 3) as soon as it fails on the figures so far.', default: false }),
    'abort-grace': Flags.string({ description: 'With abort-on-fail thresholds: judge them only from this far into the run (e.g. 10s).', defaultHelp: defaultShown('0s') }),
    http: Flags.string({ description: "HTTP load at this URL (e.g. rsb gateway's http://127.0.0.1:8080/svc/echo) with autocannon, instead of RSocket load." }),
    method: Flags.string({ description: 'HTTP method with --http.', dependsOn: ['http'], defaultHelp: defaultShown('POST') }),
    body: Flags.string({ description: 'HTTP request body with --http.', dependsOn: ['http'], defaultHelp: defaultShown('--payload bytes') }),
    header: Flags.string({ description: "HTTP request header with --http, 'name: value' (repeatable).", multiple: true, dependsOn: ['http'] }),
  };

  async run(): Promise<LoadResult> {
    const { flags } = await this.parse(Load);
    const base = flags.scenario ? await loadScenarioFile(flags.scenario) : undefined;
    const scale = flags.scale === undefined ? undefined : Number(flags.scale);
    if (scale !== undefined && Number.isNaN(scale)) throw new UsageError(`--scale ${JSON.stringify(flags.scale)} is not a number`, 'Write it like 0.01 for a hundredth of the day.');
    if (flags.http && (flags.route !== undefined || flags.mode !== undefined)) {
      throw new UsageError('--http sends HTTP requests to its URL: --route and --mode do not apply', 'Put the service and method in the URL, e.g. http://127.0.0.1:8080/svc/echo.');
    }
    const target = resolveBrokerTarget(flags);
    const scenario = resolveScenario(base, {
      qps: flags.qps,
      duration: flags.duration,
      route: flags.route,
      mode: flags.mode,
      payload: flags.payload,
      scale,
      timeout: flags.timeout,
      connections: flags.connections ?? (flags.http ? DEFAULT_HTTP_CONNECTIONS : undefined),
      workers: flags.workers,
      threshold: flags.threshold,
      maxLag: flags['max-lag'],
      keepaliveLifetime: flags['keepalive-lifetime'],
      warmup: flags.warmup,
      pacing: flags.pacing,
      abortOnFail: flags['abort-on-fail'],
      abortGrace: flags['abort-grace'],
    });
    const http = flags.http ? buildHttpRequest({ url: flags.http, method: flags.method, body: flags.body, headers: flags.header }, scenario) : undefined;
    const isJson = this.jsonEnabled();
    // Under --json stdout holds the result: what happens meanwhile (the metrics URL, a stop) goes to stderr.
    const reporter = isJson ? createEventReporter((line) => process.stderr.write(`${line}\n`)) : await createLoadReporter(isInteractiveTerminal(), (line) => this.log(line));
    const interruptions = watchInterruptions();
    try {
      const result = await runLoad({
        scenario,
        // No broker named anywhere (flag, context): the run starts its own.
        existing:
          target.origin === TARGET_ORIGIN.DEFAULT
            ? undefined
            : { brokers: target.cluster === undefined ? target.brokers : undefined, cluster: target.cluster, stateDir: target.stateDir, dnsServer: flags['dns-server'], token: target.token },
        token: target.token,
        tls: target.tls,
        isBaseline: flags.baseline,
        reporter,
        outFile: flags.out,
        reportFile: flags.report,
        hdrLogFile: flags['hdr-log'],
        isSpectrumShown: flags.latency,
        metricsPort: flags['metrics-port'],
        command: formatCommandLine(['rsb', 'load', ...this.argv]),
        scenarioFile: flags.scenario,
        interrupted: interruptions.first,
        http,
      });
      process.exitCode = result.exitCode;
      return result;
    } finally {
      interruptions.dispose();
    }
  }
}

