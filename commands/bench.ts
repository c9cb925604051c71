import { Flags } from '@oclif/core';
import { BENCH_SETUP, formatBenchReport, runBench, type BenchReport, type BenchSetup } from '../src/bench/index.js';
import { defaultShown, parseDuration, parseIntegerList, RsbCommand } from '../src/cli/index.js';
import { DEFAULT_PACING_MS } from '../src/load/index.js';

const SETUPS: string[] = Object.values(BENCH_SETUP);
/** What `--rate` compares when no set-up is named: rsb's broker and nats-server. */
const RATE_SETUPS: string[] = [BENCH_SETUP.RSB, BENCH_SETUP.NATS];
/** `--rate` drives its generator over TCP: the set-ups whose requester speaks TLS or WebSocket are not measured that way. */
const NOT_AT_RATE: string[] = [BENCH_SETUP.RSB_TLS, BENCH_SETUP.RSB_WS];

export default class Bench extends RsbCommand {
  static override summary = 'Measure the broker side by side with a reference broker, nats-server and no broker.';
  static override description =
    'Starts each set-up on 127.0.0.1 as separate processes (requester, broker, echo service): rsb\'s broker, ' +
    'the same broker with its management on (rate limits, circuit breakers, request timeouts, metrics scraped every second), ' +
    'a broker built on the full rsocket-js stack, a direct connection with no broker, and nats-server with NATS endpoints as lean as rsb\'s. ' +
    'Measures request-response throughput and latency at each in-flight level, several runs interleaved, and prints medians with the targets. ' +
    'With --rate, sends that many requests per second open loop through rsb load\'s generator instead, and reports the broker\'s and the generator\'s CPU per request.';
  static override examples = [
    '<%= config.bin %> bench',
    '<%= config.bin %> bench --runs 1 --duration 2s --in-flight 256 --setups rsb,reference',
    '<%= config.bin %> bench --rate 62000 --runs 5',
  ];
  static override enableJsonFlag = true;

  static override flags = {
    runs: Flags.integer({ description: 'Runs per set-up and in-flight level; medians are reported.', default: 3, min: 1 }),
    duration: Flags.string({ description: 'Measured time per run.', default: '4s' }),
    warmup: Flags.string({ description: 'Unmeasured time before each run.', default: '1s' }),
    'in-flight': Flags.string({ description: 'Comma-separated requests in flight.', default: '1,64,256' }),
    setups: Flags.string({
      description: `Comma-separated set-ups: ${SETUPS.join(', ')}.`,
      defaultHelp: defaultShown(`${SETUPS.join(',')} (with --rate: ${RATE_SETUPS.join(',')})`),
    }),
    payload: Flags.integer({ description: 'Payload size in bytes.', default: 32, min: 0 }),
    pacing: Flags.string({
      description: "With --rate: the generator's pacing window, as rsb load's --pacing (0: each request at its own time).",
      defaultHelp: defaultShown(`${DEFAULT_PACING_MS}ms`),
    }),
    rate: Flags.integer({ description: 'Requests per second: measure open loop at this rate through rsb load\'s generator, with the broker\'s and the generator\'s CPU per request.', min: 1 }),
  };

  async run(): Promise<BenchReport> {
    const { flags } = await this.parse(Bench);
    const setups = (flags.setups ?? (flags.rate === undefined ? SETUPS : RATE_SETUPS).join(',')).split(',').map((setup) => setup.trim());
    const unknown = setups.find((setup) => !SETUPS.includes(setup));
    if (unknown) this.error(`unknown set-up ${JSON.stringify(unknown)}: choose from ${SETUPS.join(', ')}`, { exit: 2 });
    const notAtRate = flags.rate === undefined ? undefined : setups.find((setup) => NOT_AT_RATE.includes(setup));
    if (notAtRate) this.error(`--rate measures over TCP: set-up ${notAtRate} is measured closed loop only (leave out --rate)`, { exit: 2 });
    const report = await runBench({
      setups: setups as BenchSetup[],
      inFlight: parseIntegerList(flags['in-flight'], '--in-flight'),
      runs: flags.runs,
      warmupMs: parseDuration(flags.warmup, '--warmup'),
      durationMs: parseDuration(flags.duration, '--duration'),
      payloadBytes: flags.payload,
      ...(flags.rate !== undefined ? { rate: flags.rate } : {}),
      ...(flags.pacing !== undefined ? { pacingMs: parseDuration(flags.pacing, '--pacing') } : {}),
      onProgress: (line) => this.logToStderr(line),
    });
    for (const line of formatBenchReport(report)) this.log(line);
    return report;
  }
}
