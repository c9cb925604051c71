/** `rsb status`: brokers read through their admin HTTP API, once or live. */
export { collectStatus, readBrokerStatus, readClusterAdmins, readClusterAdminsFromState, sumClusters, type BrokerStatus, type ClusterTotals, type StatusReport } from './collect-status.js';
export { chooseStatusTargets, type StatusTarget } from './status-targets.js';
export { formatBrokerLine, formatBrokerLines, formatClusterTotals, formatServiceLines, formatStatusReport, formatUptime, INSTANCE_COLUMNS, toStatusTableProps } from './format-status.js';
export { runStatus, type StatusOptions } from './run-status.js';
