import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runRsb } from './processes.js';

/** A state directory of its own for a test, removed afterwards. */
export function makeStateDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'rsb-cluster-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** `rsb <args> --state-dir <dir>` run to completion. */
export function runCluster(dir: string, args: string[], timeoutMs = 40_000) {
  return runRsb([...args, '--state-dir', dir], { timeoutMs });
}

/** Pids of every process on this machine started with `--cluster-file <stateFile>`: the brokers of that cluster, whoever started them. */
export function processesWithClusterFile(stateFile: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // ended while we looked
    }
    const at = argv.indexOf('--cluster-file');
    if (at >= 0 && argv[at + 1] === stateFile) pids.push(Number(entry));
  }
  return pids;
}

/** Last resort after a failed test: SIGKILL whatever still runs with this cluster file. */
export function killClusterProcesses(stateFile: string): void {
  for (const pid of processesWithClusterFile(stateFile)) process.kill(pid, 'SIGKILL');
}
