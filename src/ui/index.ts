/** Ink components: numbers in through props, no sockets. */
export { BrokerStatus, type BrokerStatusProps } from './BrokerStatus.js';
export { ClusterStatus, type ClusterNodeProps, type ClusterStatusProps } from './ClusterStatus.js';
export { LoadDashboard, drawProgressBar, drawSparkline, type LoadDashboardProps, type DashboardBroker, type DashboardLatency } from './LoadDashboard.js';
export { MockStatus, type MockMethodRow, type MockStatusProps } from './MockStatus.js';
export { BridgeStatus, type BridgeStatusProps } from './BridgeStatus.js';
export { StatusTable, type StatusTableProps } from './StatusTable.js';
