import { Args, Flags } from '@oclif/core';
import { abortOnShutdownSignal, CLUSTER_FLAGS, parseDuration, RsbCommand } from '../../src/cli/index.js';
import { partitionBroker, type PartitionResult } from '../../src/cluster/index.js';

export default class ClusterPartition extends RsbCommand {
  static override summary = 'Cut one broker host of a lab off the network for a while, then heal it.';
  static override description =
    'For a lab of hosts (`rsb cluster up --hosts`, root): takes the broker host\'s link to the bridge down — its packets go nowhere and nothing ' +
    'answers, as when a cable is pulled — for --for, then brings it up again. Ctrl-C heals at once. Clients find the broker gone by their ' +
    'keepalive lifetime, not by TCP timeouts.';
  static override examples = ['<%= config.bin %> cluster partition lab-2 --for 5s --name lab', '<%= config.bin %> cluster partition 2 --for 30s --name lab --json'];
  static override enableJsonFlag = true;

  static override args = {
    broker: Args.string({ description: 'The broker to cut off: its id (lab-2) or its number (2).', required: true }),
  };

  static override flags = {
    ...CLUSTER_FLAGS,
    for: Flags.string({ description: 'How long the host stays cut off.', default: '5s' }),
  };

  async run(): Promise<PartitionResult> {
    const { args, flags } = await this.parse(ClusterPartition);
    const shutdown = abortOnShutdownSignal();
    try {
      return await partitionBroker({
        name: flags.name,
        ...(flags['state-dir'] ? { stateDir: flags['state-dir'] } : {}),
        broker: args.broker,
        durationMs: parseDuration(flags.for, '--for'),
        onProgress: (line) => this.log(line),
        signal: shutdown.signal,
      });
    } finally {
      shutdown.dispose();
    }
  }
}
