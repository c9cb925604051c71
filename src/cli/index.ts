/**
 * What the commands share: the base command (errors to exit codes), flags, parsing of flag
 * values, the terminal and signal helpers, and how numbers and tables are written.
 */
export { RsbCommand } from './base-command.js';
export { exitCodeFor, printError, toReportableError, type CommandFacts } from './error-output.js';
export { findClosest } from './suggest.js';
export { EXIT_CODE, type ExitCode } from './exit-codes.js';
export { BROKER_TARGET_FLAGS, brokerFlag, CLUSTER_FLAGS, contextFlag, defaultShown, MODE_FLAG, STATE_DIR_FLAG, TLS_CLIENT_FLAGS, TOKEN_FLAG } from './flags.js';
export { formatCount, formatCountOf, formatElapsed, formatMicros, formatPercent, PRECISION, type Precision } from './format.js';
export { abortOnShutdownSignal, isInteractiveTerminal, waitForShutdownSignal } from './output.js';
export { parseByteSize, parseDuration, parseIntegerList, parseList, parseMode } from './parse.js';
export { findPackageRoot, RSB_BIN } from './paths.js';
export { COLUMN_ALIGN, formatMarkdownTable, formatTable, type ColumnAlign } from './table.js';
