/** `rsb start`: a broker node in the foreground — its settings from flags and a config file, its live status line or log lines. */
export { BROKER_CONFIG_SCHEMA, loadBrokerConfig, resolveNodeSettings, type BrokerConfigFile, type NodeSettings, type StartFlags } from './config.js';
export { runBrokerNode, type RunNodeOptions } from './run-node.js';
