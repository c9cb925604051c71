import { Args, Flags } from '@oclif/core';
import { abortOnShutdownSignal, CLUSTER_FLAGS, parseDuration, RsbCommand } from '../../src/cli/index.js';
import { capBrokerBandwidth, type BandwidthResult } from '../../src/cluster/index.js';

export default class ClusterBandwidth extends RsbCommand {
  static override summary = 'Cap the bandwidth of one broker host of a lab.';
  static override description =
    'For a lab of hosts (`rsb cluster up --hosts`, root): puts a token bucket (tc tbf) on both ends of the broker host\'s link, so its ' +
    'traffic both ways is held to --rate. With --for the cap is lifted after that long (Ctrl-C lifts it at once); without, it stays until ' +
    '`--rate none` or `rsb cluster down`.';
  static override examples = [
    '<%= config.bin %> cluster bandwidth lab-2 --rate 1mbit --for 10s --name lab',
    '<%= config.bin %> cluster bandwidth lab-3 --rate 500kbit --name lab   # stays until --rate none',
    '<%= config.bin %> cluster bandwidth lab-3 --rate none --name lab',
  ];
  static override enableJsonFlag = true;

  static override args = {
    broker: Args.string({ description: 'The broker to slow down: its id (lab-2) or its number (2).', required: true }),
  };

  static override flags = {
    ...CLUSTER_FLAGS,
    rate: Flags.string({ description: 'The cap in bits per second: 1mbit, 500kbit, 1gbit; none lifts a cap.', required: true }),
    for: Flags.string({ description: 'Lift the cap after this long (default: leave it).' }),
  };

  async run(): Promise<BandwidthResult> {
    const { args, flags } = await this.parse(ClusterBandwidth);
    const shutdown = abortOnShutdownSignal();
    try {
      return await capBrokerBandwidth({
        name: flags.name,
        ...(flags['state-dir'] ? { stateDir: flags['state-dir'] } : {}),
        broker: args.broker,
        rate: flags.rate,
        durationMs: flags.for === undefined ? undefined : parseDuration(flags.for, '--for'),
        onProgress: (line) => this.log(line),
        signal: shutdown.signal,
      });
    } finally {
      shutdown.dispose();
    }
  }
}
