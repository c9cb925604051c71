/**
 * Clusters of independent brokers (docs/architecture.md, "The cluster model"): start, track and stop
 * them as background processes with a state file, and the lean clients that use every
 * broker of one — a service registered on each, a requester spread over them.
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
export {
  DEFAULT_CLUSTER_NAME,
  STATE_DIR_ENV,
  checkClusterName,
  readClusterState,
  requireClusterState,
  resolveStateDir,
  stateFilePath,
  type ClusterBrokerRecord,
  type ClusterState,
} from './state.js';
export { isBrokerProcess, isProcessRunning, readProcessMemory, TERMINATION, type Termination } from './processes.js';
export { BrokerQueryClient, queryBroker, type BrokerQueryOptions } from './broker-query.js';
export { BrokerPool, BrokerMember, BrokerLink, LINK_STATE, type BrokerEndpoint, type BrokerPoolEvent, type BrokerPoolOptions, type LinkState } from './broker-pool.js';
export { diffBrokerList, isSameAddress, readBrokerListPush, type BrokerListChanges, type KnownBroker } from './broker-list.js';
export { ClusterRequester } from './cluster-requester.js';
export { ClusterResponder } from './cluster-responder.js';
export { resolveBrokerEndpoints, type BrokerTarget, type ResolvedBrokers } from './endpoints.js';
export { formatClusterList, formatClusterStatus, formatStartResult, formatStopResult } from './format.js';
