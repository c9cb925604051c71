import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { stateFilePath, type ClusterState } from '../client/index.js';
import { ClusterBusyError, ClusterStateError } from '../errors.js';
import { isProcessRunning } from '../process/index.js';

// Reading a cluster's state file is every client's business: src/client/cluster-state.ts. Writing, removing and locking it is `rsb cluster`'s, here.

/** The folder of a cluster's broker logs. */
export function logDirPath(stateDir: string, name: string): string {
  return path.join(stateDir, name);
}

/** Writes the state so that a reader (a broker polling it) sees the old file or the new one, never half of one. */
export function writeClusterState(stateDir: string, state: ClusterState): string {
  const file = stateFilePath(stateDir, state.name);
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(stateDir, { recursive: true });
    const fd = openSync(temporary, 'w');
    try {
      writeSync(fd, `${JSON.stringify(state, null, 2)}\n`);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, file);
  } catch (error) {
    throw new ClusterStateError(`cannot write cluster state ${file}: ${(error as Error).message}`, undefined, { cause: error });
  }
  return file;
}

/** Removes a cluster's state file and its log folder; nothing to remove is fine. */
export function removeClusterState(stateDir: string, name: string): void {
  rmSync(stateFilePath(stateDir, name), { force: true });
  rmSync(logDirPath(stateDir, name), { recursive: true, force: true });
}

/**
 * Holds `<name>.lock` while a command changes a cluster, so that two `up`/`down` runs
 * on one cluster do not interleave. A lock left by a process that no longer runs is taken over.
 */
export function lockCluster(stateDir: string, name: string): () => void {
  mkdirSync(stateDir, { recursive: true });
  const file = path.join(stateDir, `${name}.lock`);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new ClusterStateError(`cannot create ${file}: ${(error as Error).message}`, undefined, { cause: error });
    }
    const holder = Number(readFileSafely(file));
    if (Number.isInteger(holder) && holder > 0 && isProcessRunning(holder)) {
      throw new ClusterBusyError(`cluster ${name} is being changed by another rsb process (pid ${holder})`, `Wait for it to finish, or remove ${file} if that process is not rsb.`);
    }
    unlinkSafely(file);
  }
  throw new ClusterBusyError(`cannot take the lock ${file}`, 'Another rsb process keeps taking it; try again.');
}

/** The file's text, or '' when it vanished meanwhile (its holder released it). */
function readFileSafely(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  }
}

function unlinkSafely(file: string): void {
  try {
    unlinkSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
