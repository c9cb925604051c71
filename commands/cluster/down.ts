import { Flags } from '@oclif/core';
import { CLUSTER_FLAGS, parseDuration, RsbCommand } from '../../src/cli/index.js';
import { formatStopResult, stopCluster, type StopClusterResult } from '../../src/cluster/index.js';

export default class ClusterDown extends RsbCommand {
  static override summary = 'Stop every broker of a cluster and remove its state.';
  static override description =
    'Sends SIGTERM to each broker still running (a recorded pid that now runs another program is left alone), SIGKILL to any that ' +
    'outlives the timeout, then removes the state file and the logs. Stopping a cluster that is not there is not an error.';
  static override examples = ['<%= config.bin %> cluster down', '<%= config.bin %> cluster down --name ci --timeout 2s'];
  static override enableJsonFlag = true;

  static override flags = {
    ...CLUSTER_FLAGS,
    timeout: Flags.string({ description: 'Time each broker gets after SIGTERM before SIGKILL.', default: '5s' }),
  };

  async run(): Promise<StopClusterResult> {
    const { flags } = await this.parse(ClusterDown);
    const result = await stopCluster({
      name: flags.name,
      ...(flags['state-dir'] ? { stateDir: flags['state-dir'] } : {}),
      graceMs: parseDuration(flags.timeout, '--timeout'),
    });
    for (const line of formatStopResult(result)) this.log(line);
    return result;
  }
}
