import { readFileSync } from 'node:fs';
import { cpus, hostname, totalmem } from 'node:os';
import { join } from 'node:path';
import { findPackageRoot } from '../cli/paths.js';
import type { RunMetadata } from './results.js';

/** What a run's document says of where and how it was made: the time, rsb's version, the command, the host. */
export function describeRun(startedAt: Date, command: string, scenarioFile: string | undefined): RunMetadata {
  const processors = cpus();
  return {
    startedAt: startedAt.toISOString(),
    rsbVersion: readRsbVersion(),
    command,
    ...(scenarioFile !== undefined ? { scenarioFile } : {}),
    host: {
      hostname: hostname(),
      platform: process.platform,
      arch: process.arch,
      cpus: processors.length,
      cpuModel: processors[0]?.model.trim() || 'unknown',
      memoryBytes: totalmem(),
      node: process.version,
    },
  };
}

let version: string | undefined;

function readRsbVersion(): string {
  version ??= (JSON.parse(readFileSync(join(findPackageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  return version;
}

/** A command line as a shell would take it back: `rsb load --threshold 'p99<5ms'`. */
export function formatCommandLine(args: readonly string[]): string {
  return args.map((argument) => (/^[\w@%+=:,./-]+$/.test(argument) ? argument : `'${argument.replace(/'/g, `'\\''`)}'`)).join(' ');
}
