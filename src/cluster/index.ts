/**
 * `rsb cluster`: clusters of independent brokers (docs/architecture.md, "The cluster model")
 * started, tracked and stopped as background processes with a state file. Clients reach a
 * cluster's brokers through src/client, which also reads the state file.
 */
export { startCluster, planAdminPort, DEFAULT_CLUSTER_SIZE, MAX_CLUSTER_SIZE, type StartClusterOptions, type StartClusterResult } from './start-cluster.js';
export { stopCluster, type StopClusterOptions, type StopClusterResult } from './stop-cluster.js';
export {
  getClusterStatus,
  listClusters,
  probeBroker,
  BROKER_STATE,
  type BrokerHealth,
  type BrokerState,
  type BrokerStatusReport,
  type ClusterStatusReport,
  type ClusterSummary,
} from './cluster-status.js';
export { runClusterForeground, type ForegroundOptions, type ForegroundResult } from './run-foreground.js';
export { ClusterMonitor, type ClusterNodeRow } from './cluster-monitor.js';
export { isBrokerProcess } from './broker-processes.js';
export { formatClusterList, formatClusterStatus, formatStartResult, formatStopResult } from './format.js';
export { createDevelopmentCertificates, LOOPBACK_HOSTS, type DevelopmentCertificates } from './development-certificates.js';
export { partitionBroker, capBrokerBandwidth, type BandwidthResult, type LabFaultOptions, type PartitionResult } from './lab-faults.js';
export { buildLab, destroyLab, findLabLeftovers, labDnsName, labTag, LAB_ADMIN_PORT, LAB_BROKER_PORT, type BuiltLab, type LabHost } from './host-lab.js';
export { checkLabTools, type LabNeeds } from './lab-commands.js';
export { cutLink, restoreLink, capLink, uncapLink, parseRate, type HostLink, type Rate } from './link-faults.js';
export { startDnsServer, stopDnsServer, updateDnsRecords, type DnsServer, type DnsServerSpec } from './dns-server.js';
