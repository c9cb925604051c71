/**
 * The Ink components, one per command that draws. Loaded only by the live view (and by
 * their tests): Ink and React cost ~45 MB and a slower start, which a process that is not
 * on a terminal (every broker and mock a load run starts) should not pay.
 */
export { BridgeStatus } from './BridgeStatus.js';
export { BrokerStatus } from './BrokerStatus.js';
export { ClusterStatus } from './ClusterStatus.js';
export { LoadDashboard, drawProgressBar, drawSparkline } from './LoadDashboard.js';
export { MockStatus } from './MockStatus.js';
export { StatusTable } from './StatusTable.js';
