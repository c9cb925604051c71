import { Flags } from '@oclif/core';
import { BENCH_SETUP, formatBenchReport, runBench, type BenchReport, type BenchSetup } from '../src/bench/index.js';
import { parseDuration, parseIntegerList, RsbCommand } from '../src/cli/index.js';

export default class Bench extends RsbCommand {
  static override summary = 'Measure the broker side by side with a reference broker and with no broker.';
  static override description =
    'Starts each set-up on 127.0.0.1 as separate processes (requester, broker, echo service): rsb\'s broker, ' +
    'the same broker with its management on (rate limits, circuit breakers, request timeouts, metrics scraped every second), ' +
    'a reference broker built on the full rsocket-js stack, and a direct connection with no broker. ' +
    'Measures request-response throughput and latency at each in-flight level, several runs interleaved, and prints medians with the targets.';
  static override examples = ['<%= config.bin %> bench', '<%= config.bin %> bench --runs 1 --duration 2s --in-flight 256 --setups rsb,reference'];
  static override enableJsonFlag = true;

  static override flags = {
    runs: Flags.integer({ description: 'Runs per set-up and in-flight level; medians are reported.', default: 3, min: 1 }),
    duration: Flags.string({ description: 'Measured time per run.', default: '4s' }),
    warmup: Flags.string({ description: 'Unmeasured time before each run.', default: '1s' }),
    'in-flight': Flags.string({ description: 'Comma-separated requests in flight.', default: '1,64,256' }),
    setups: Flags.string({ description: `Comma-separated set-ups: ${Object.values(BENCH_SETUP).join(', ')}.`, default: Object.values(BENCH_SETUP).join(',') }),
    payload: Flags.integer({ description: 'Payload size in bytes.', default: 32, min: 0 }),
  };

  async run(): Promise<BenchReport> {
    const { flags } = await this.parse(Bench);
    const known = Object.values(BENCH_SETUP) as string[];
    const setups = flags.setups.split(',').map((setup) => setup.trim());
    const unknown = setups.find((setup) => !known.includes(setup));
    if (unknown) this.error(`unknown set-up ${JSON.stringify(unknown)}: choose from ${known.join(', ')}`, { exit: 2 });
    const report = await runBench({
      setups: setups as BenchSetup[],
      inFlight: parseIntegerList(flags['in-flight'], '--in-flight'),
      runs: flags.runs,
      warmupMs: parseDuration(flags.warmup, '--warmup'),
      durationMs: parseDuration(flags.duration, '--duration'),
      payloadBytes: flags.payload,
      onProgress: (line) => this.logToStderr(line),
    });
    for (const line of formatBenchReport(report)) this.log(line);
    return report;
  }
}
