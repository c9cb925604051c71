import { CLUSTER_FLAGS, RsbCommand } from '../../src/cli/index.js';
import { formatClusterList, listClusters, type ClusterSummary } from '../../src/cluster/index.js';

export default class Cluster extends RsbCommand {
  static override summary = 'List the clusters started from here (`rsb cluster up | status | down` manage one).';
  static override description = 'Reads the state directory and shows each cluster with how many of its brokers still run.';
  static override examples = ['<%= config.bin %> cluster', '<%= config.bin %> cluster --state-dir /tmp/rsb-state --json'];
  static override enableJsonFlag = true;

  static override flags = { 'state-dir': CLUSTER_FLAGS['state-dir'] };

  async run(): Promise<{ stateDir: string; clusters: ClusterSummary[] }> {
    const { flags } = await this.parse(Cluster);
    const result = listClusters(flags['state-dir'] ? { stateDir: flags['state-dir'] } : {});
    for (const line of formatClusterList(result.stateDir, result.clusters)) this.log(line);
    return result;
  }
}
