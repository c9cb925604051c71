import { Flags } from '@oclif/core';
import { EXIT_CODE, RsbCommand } from '../src/cli/index.js';
import { formatReliabilityReport, runReliability, type ReliabilityReport } from '../src/reliability/index.js';

export default class Reliability extends RsbCommand {
  static override summary = 'Prove the broker under bad input, backpressure, stream-id wrap, scale and faults under load, and print one table.';
  static override description =
    'Each case runs on its own `rsb start` processes on 127.0.0.1: scripted malformed frames and fuzzed connections while a valid client keeps ' +
    'requests in flight; stream ids wrapping past 2^31-1; 1 GiB pushed at a service that stopped reading; 10,000 concurrent connections; ' +
    'then `rsb load` runs with faults: a mock instance of two killed with SIGKILL, and a broker of three killed and restarted — every request ' +
    'answered or failed, recovery within 1 s, the restarted broker routing its share again; and, as root with iproute2 and dnsmasq, a broker host ' +
    'of a lab cut off for 5 s (requests leave it within 2 s, it is back within 3 s of the heal; skipped with a line saying why elsewhere). ' +
    `Exits ${EXIT_CODE.THRESHOLDS_FAILED} if any case does not hold.`;
  static override examples = ['<%= config.bin %> reliability', '<%= config.bin %> reliability --quick --json'];
  static override enableJsonFlag = true;

  static override flags = {
    quick: Flags.boolean({ description: 'Smaller sizes: 200 fuzzed connections, 256 MiB, 2,000 connections, fault runs of 10 s at 3,000 requests/s.', default: false }),
  };

  async run(): Promise<ReliabilityReport> {
    const { flags } = await this.parse(Reliability);
    const report = await runReliability({ isQuick: flags.quick, onProgress: (line) => this.logToStderr(line) });
    for (const line of formatReliabilityReport(report)) this.log(line);
    if (!report.isPassed) process.exitCode = EXIT_CODE.THRESHOLDS_FAILED;
    return report;
  }
}
