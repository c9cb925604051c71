/**
 * The one place an rsb endpoint reaches brokers: the broker address and its parser,
 * which brokers `--broker` and `--cluster` mean (a cluster's state file, read here), the
 * multi-broker pool with its reconnect policy and broker-list following, the lean dialer
 * behind mock, load and queries, and the queries themselves. The SDK dials rsocket-js
 * connections through the same pool.
 */
export {
  DEFAULT_BROKER_ADDRESS,
  TRANSPORT,
  formatBrokerAddress,
  isSameAddress,
  parseBrokerAddress,
  parseHostPort,
  resolveBrokerAddresses,
  type BrokerAddress,
  type Transport,
} from './broker-address.js';
export {
  locateClusterBroker,
  openClusterAccess,
  PLAIN_CLUSTER_ACCESS,
  readPemFile,
  readTlsClientFiles,
  resolveBrokers,
  resolveBrokerSources,
  resolveBrokerTls,
  resolveBrokerTlsFiles,
  type BrokerSelection,
  type ClusterAccess,
  type TlsClientFiles,
} from './broker-selection.js';
export {
  DEFAULT_DNS_INTERVAL_MS,
  formatBrokerName,
  isBrokerName,
  isBrokerNameText,
  parseBrokerName,
  parseDnsServer,
  type BrokerName,
  type BrokerSource,
} from './broker-name.js';
export { NameWatch, resolveBrokerName, type NameWatchHandlers } from './name-watch.js';
export {
  DEFAULT_CLUSTER_NAME,
  DEFAULT_STATE_DIR_NAME,
  STATE_DIR_ENV,
  STATE_FILE_VERSION,
  checkClusterName,
  listClusterNames,
  readClusterState,
  requireClusterState,
  resolveStateDir,
  stateFilePath,
  type ClusterBrokerRecord,
  type ClusterState,
  type ClusterTls,
  type LabRecord,
} from './cluster-state.js';
export { computeBackoffDelay, DEFAULT_RECONNECT_POLICY, FAST_RECONNECT_POLICY, type ReconnectPolicy } from './reconnect-policy.js';
export { diffBrokerList, readBrokerListPush, selectListedAddress, type BrokerListChanges, type ListedBroker } from './broker-list.js';
export {
  BrokerPool,
  BrokerMember,
  BrokerLink,
  LINK_EVENT,
  LINK_STATE,
  type BrokerDialer,
  type BrokerPoolHooks,
  type BrokerPoolOptions,
  type LinkEvent,
  type LinkState,
} from './broker-pool.js';
export { createLeanDialer, createLeanPool, keepAliveForLifetime, type LeanDialOptions, type LeanHandler, type LeanPoolOptions } from './lean-dialer.js';
export { BrokerQueryClient, queryBroker, type BrokerQueryOptions } from './broker-query.js';
export { ClusterResponder } from './cluster-responder.js';
