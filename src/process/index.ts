/**
 * Child processes: the one launcher of every process rsb starts (cluster brokers, a load
 * run's topology, bench and reliability roles), the ready channel a child reports on, the
 * one stop sequence, the one exit hook, and readings of a process from /proc. Only this
 * folder spawns or signals processes.
 */
export { launchProcess, LIFETIME, type ExitStatus, type LaunchedProcess, type LaunchOptions, type Lifetime } from './launch.js';
export { announceFailure, announceReady, exitWithParent } from './child.js';
export type { BrokerReady, ListenAddress, MockReady } from './ready-messages.js';
export { killProcess, signalPid, terminateProcess, TERMINATION, type Termination } from './stop.js';
export { killIfThisProcessExits, killStartedProcesses } from './exit-hook.js';
export { runCommand, type CommandResult } from './run-command.js';
export { HAS_PROC_FILESYSTEM, isProcessRunning, readCommandLine, readProcessCpuMicros, readProcessMemory, type ProcessMemory } from './proc-readers.js';
