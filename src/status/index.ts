/** `rsb status`: brokers read through their admin HTTP API, once or live. */
export { collectStatus, readBrokerStatus, readClusterAdmins, readClusterAdminsFromState, type BrokerStatus, type StatusReport } from './collect-status.js';
export { formatBrokerLine, formatBrokerLines, formatServiceLines, formatStatusReport, formatUptime, INSTANCE_COLUMNS, toStatusTableProps } from './format-status.js';
export { runStatus, type StatusOptions } from './run-status.js';
