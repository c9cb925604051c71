import { Flags } from '@oclif/core';
import { resolveBrokerTlsFiles } from '../src/client/index.js';
import { BROKER_TARGET_FLAGS, readTlsFlags, EXIT_CODE, isInteractiveTerminal, RsbCommand, TOKEN_FLAG } from '../src/cli/index.js';
import { UsageError } from '../src/errors.js';
import { buildHttpRequest, createLoadReporter, loadScenarioFile, resolveScenario, runLoad, SILENT_REPORTER, watchInterruptions, type LoadResult } from '../src/load/index.js';

export default class Load extends RsbCommand {
  static override summary = 'Run an open-loop load scenario and judge it with thresholds.';
  static override description =
    'Sends requests on a schedule (not when the last answer came back) through the lean RSocket requester, measures latency from each ' +
    "request's intended send time into HDR histograms, and judges the run with thresholds. Without --broker or --cluster it starts the topology " +
    'itself (one broker and one svc echo mock, or the topology of --scenario), runs, and stops it again, also on Ctrl-C. ' +
    'On a terminal it shows a live dashboard; otherwise a plain line a second and a summary.\n\n' +
    'Exit codes: 0 the run passed its thresholds; 3 a threshold failed; 4 invalid run: the generator could not keep its schedule ' +
    '(a slow generator is never reported as a slow broker); 2 a bad flag or scenario; 7 no connection.\n\n' +
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
    'max-lag': Flags.string({ description: 'Schedule lag p99 above which the run is invalid (exit 4). Default 10ms.' }),
    baseline: Flags.boolean({ description: 'First run the same profile straight at the mock (no broker), then through the broker; report the overhead.', default: false }),
    out: Flags.string({ char: 'o', description: 'Write the full results (timeline, HdrHistograms) as JSON to this file.' }),
    report: Flags.string({ description: 'Write a self-contained HTML report with charts to this file.' }),
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
      warmup: flags.warmup,
    });
    const http = flags.http ? buildHttpRequest({ url: flags.http, method: flags.method, body: flags.body, headers: flags.header }, scenario) : undefined;
    const isJson = this.jsonEnabled();
    const reporter = isJson ? SILENT_REPORTER : await createLoadReporter(isInteractiveTerminal(), (line) => this.log(line));
    const interruptions = watchInterruptions();
    try {
      const result = await runLoad({
        scenario,
        existing: flags.broker || flags.cluster ? { brokers: flags.broker, cluster: flags.cluster, stateDir: flags['state-dir'], token: flags.token } : undefined,
        token: flags.token,
        tls: resolveBrokerTlsFiles({ cluster: flags.cluster, stateDir: flags['state-dir'] }, readTlsFlags(flags)),
        isBaseline: flags.baseline,
        reporter,
        outFile: flags.out,
        reportFile: flags.report,
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
