/**
 * What commands draw: one live-view mechanism (Ink on a terminal with CI unset, plain lines
 * otherwise) and the props of its views. Components get numbers through props and import no
 * sockets; they load only when a view is drawn on a terminal (see components.ts).
 */
export { createLiveView, type EventLine, type LiveView, type LiveViewOptions, type ViewName, type ViewProps } from './live-view.js';
export type { BridgeStatusProps } from './BridgeStatus.js';
export type { BrokerStatusProps } from './BrokerStatus.js';
export type { ClusterNodeProps, ClusterStatusProps } from './ClusterStatus.js';
export type { DashboardBroker, DashboardLatency, LoadDashboardProps } from './LoadDashboard.js';
export type { MockMethodRow, MockStatusProps } from './MockStatus.js';
export type { StatusTableBroker, StatusTableProps } from './StatusTable.js';
