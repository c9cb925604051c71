import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder of rsb's package.json, found by walking up from this file: the same answer
 * from the sources (tests) and from the compiled dist/ tree.
 */
export function findPackageRoot(from: string = fileURLToPath(import.meta.url)): string {
  for (let dir = dirname(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'bin', 'run.js'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no rsb package root above ${from}`);
  }
}

/** The CLI entry point, for starting rsb processes (`node RSB_BIN start ...`). */
export const RSB_BIN = join(findPackageRoot(), 'bin', 'run.js');
