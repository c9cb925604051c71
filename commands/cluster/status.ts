import { CLUSTER_FLAGS, RsbCommand } from '../../src/cli/index.js';
import { formatClusterStatus, getClusterStatus, type ClusterStatusReport } from '../../src/cluster/index.js';

export default class ClusterStatus extends RsbCommand {
  static override summary = 'Show each broker of a cluster, up or down, with its live figures.';
  static override description =
    'A broker is down when its recorded pid no longer runs, or runs another program; a running broker is asked for its figures ' +
    'over RSocket (rsb.broker.health) and is shown unresponsive if it does not answer.';
  static override examples = ['<%= config.bin %> cluster status', '<%= config.bin %> cluster status --name ci --json'];
  static override enableJsonFlag = true;

  static override flags = { ...CLUSTER_FLAGS };

  async run(): Promise<ClusterStatusReport> {
    const { flags } = await this.parse(ClusterStatus);
    const report = await getClusterStatus({ name: flags.name, ...(flags['state-dir'] ? { stateDir: flags['state-dir'] } : {}) });
    for (const line of formatClusterStatus(report)) this.log(line);
    return report;
  }
}
