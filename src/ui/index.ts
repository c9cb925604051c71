/** Ink components: numbers in through props, no sockets. */
export { BrokerStatus, type BrokerStatusProps } from './BrokerStatus.js';
export { StatusTable, type StatusTableProps } from './StatusTable.js';
