import { Flags } from '@oclif/core';
import { BROKER_TARGET_FLAGS, EXIT_CODE, isInteractiveTerminal, RsbCommand, TOKEN_FLAG } from '../src/cli/index.js';
import { UsageError } from '../src/errors.js';
import { buildHttpRequest, createEventReporter, createLoadReporter, formatCommandLine, loadScenarioFile, resolveScenario, runLoad, watchInterruptions, type LoadResult } from '../src/load/index.js';

export default class Load extends RsbCommand {
  static override summary = 'Run an open-loop load scenario and judge it with thresholds.';
  static override description =
    'Sends requests on a schedule (not when the last answer came back) through the lean RSocket requester, measures latency from each ' +
    "request's intended send time into HDR histograms, and judges the run with thresholds. Without --broker or --cluster it starts the topology " +
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

  static override flags = {
    scenario: Flags.string({ char: 's', description: 'Scenario file (YAML or JSON): topology, profile, mix, thresholds, faults. Flags override it.' }),
    qps: Flags.integer({ char: 'q', description: 'Constant rate, requests per second (replaces the scenario\'s profile; on a daily profile, its peak).', min: 1 }),
    duration: Flags.string({ char: 'd', description: 'How long to run a constant rate: 500ms, 20s, 10m. Default 10s.' }),
    route: Flags.string({ char: 'r', description: 'Route of every request, service.method. Default svc.echo.' }),
    mode: Flags.string({ char: 'm', description: 'Interaction: request-response, fire-and-forget, request-stream, request-channel.' }),
    payload: Flags.string({ description: 'Payload bytes: 32, or a range 16-1024 (uniform). Default 32.' }),
    scale: Flags.string({ description: 'Daily profiles: shrink the day\'s total by this factor (0.01), keeping its shape and peak rate.' }),
    ...BROKER_TARGET_FLAGS,
    broker: Flags.string({
      char: 'b',
      description: 'Load this broker (host:port) instead of starting one; repeat for several. The other brokers of its cluster are loaded too.',
      multiple: true,
    }),
    connections: Flags.integer({ char: 'c', description: 'Connections to each broker (spread over the workers).', min: 1 }),
    workers: Flags.integer({ char: 'w', description: 'Generator worker threads; their histograms are merged.', min: 1, max: 64 }),
    timeout: Flags.string({ description: 'Per-request timeout; a request still unanswered then is cancelled and counted as TIMEOUT. Default 10s.' }),
    threshold: Flags.string({ char: 't', description: "Pass/fail threshold: 'p99<5ms', 'errors<0.1%', 'rate>=99%' (repeatable).", multiple: true }),
    warmup: Flags.string({ description: 'Unmeasured ramp up to the first rate before measuring (0 for none). Default 1s.' }),
    'keepalive-lifetime': Flags.string({
      description: 'A broker silent this long is taken for gone (its connections closed, requests sent elsewhere): keepalives go every quarter of it. Also given to the mocks rsb starts. Default: 90s.',
    }),
    'max-lag': Flags.string({ description: 'Schedule lag p99 above which the run is invalid (exit 4). Default 10ms.' }),
    baseline: Flags.boolean({ description: 'First run the same profile straight at the mock (no broker), then through the broker; report the overhead.', default: false }),
    out: Flags.string({ char: 'o', description: 'Write the full results (timeline, HdrHistograms) as JSON to this file.' }),
    report: Flags.string({ description: 'Write a self-contained HTML report with charts to this file.' }),
    'hdr-log': Flags.string({ description: 'Write the corrected latency as interval histograms (one a second) in the HdrHistogram log format to this file.' }),
    latency: Flags.boolean({ description: 'Print the full percentile spectrum of the corrected latency (p50 … p99.999, counts), as wrk2 does.', default: false }),
    'metrics-port': Flags.integer({ description: "Serve the run's own Prometheus metrics on 127.0.0.1:PORT/metrics while it runs (0: any free port).", min: 0, max: 65535 }),
    'abort-on-fail': Flags.boolean({ description: 'Every threshold aborts the run (exit 3) as soon as it fails on the figures so far.', default: false }),
    'abort-grace': Flags.string({ description: 'With abort-on-fail thresholds: judge them only from this far into the run (e.g. 10s). Default 0.' }),
    token: TOKEN_FLAG,
    http: Flags.string({ description: 'HTTP load at this URL (e.g. rsb gateway\'s http://127.0.0.1:8080/svc/echo) with autocannon, instead of RSocket load.' }),
    method: Flags.string({ description: 'HTTP method with --http. Default POST.', dependsOn: ['http'] }),
    body: Flags.string({ description: 'HTTP request body with --http. Default: --payload bytes (32).', dependsOn: ['http'] }),
    header: Flags.string({ description: "HTTP request header with --http, 'name: value' (repeatable).", multiple: true, dependsOn: ['http'] }),
  };

  /** Connections autocannon opens by default: closed loop needs enough of them for the rate (each has one request in flight). */
  static readonly DEFAULT_HTTP_CONNECTIONS = 50;

  async run(): Promise<LoadResult> {
    const { flags } = await this.parse(Load);
    const base = flags.scenario ? await loadScenarioFile(flags.scenario) : undefined;
    const scale = flags.scale === undefined ? undefined : Number(flags.scale);
    if (scale !== undefined && Number.isNaN(scale)) this.error(`--scale ${JSON.stringify(flags.scale)} is not a number`, { exit: EXIT_CODE.USAGE });
    if (flags.http && (flags.route !== undefined || flags.mode !== undefined)) {
      throw new UsageError('--http sends HTTP requests to its URL: --route and --mode do not apply', 'Put the service and method in the URL, e.g. http://127.0.0.1:8080/svc/echo.');
    }
    const scenario = resolveScenario(base, {
      qps: flags.qps,
      duration: flags.duration,
      route: flags.route,
      mode: flags.mode,
      payload: flags.payload,
      scale,
      timeout: flags.timeout,
      connections: flags.connections ?? (flags.http ? Load.DEFAULT_HTTP_CONNECTIONS : undefined),
      workers: flags.workers,
      threshold: flags.threshold,
      maxLag: flags['max-lag'],
      keepaliveLifetime: flags['keepalive-lifetime'],
      warmup: flags.warmup,
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
        existing: flags.broker || flags.cluster ? { brokers: flags.broker, cluster: flags.cluster, stateDir: flags['state-dir'], dnsServer: flags['dns-server'], token: flags.token } : undefined,
        token: flags.token,
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

