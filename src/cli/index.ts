/**
 * What the commands share: the base command (errors to exit codes), flags, parsing of flag
 * values, the terminal and signal helpers, and how numbers and tables are written.
 */
export { RsbCommand, exitCodeFor } from './base-command.js';
export { BROKER_TARGET_FLAGS, CLUSTER_FLAGS, readTlsFlags } from './cluster-flags.js';
export { EXIT_CODE, type ExitCode } from './exit-codes.js';
export { TOKEN_FLAG } from './flags.js';
export { formatCount, formatCountOf, formatElapsed, formatMicros, formatPercent, PRECISION, type Precision } from './format.js';
export { abortOnShutdownSignal, isInteractiveTerminal, waitForShutdownSignal } from './output.js';
export { parseByteSize, parseDuration, parseIntegerList, parseList } from './parse.js';
export { findPackageRoot, RSB_BIN } from './paths.js';
export { COLUMN_ALIGN, formatMarkdownTable, formatTable, type ColumnAlign } from './table.js';
