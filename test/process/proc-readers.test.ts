import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { isProcessRunning, readProcessMemory } from '../../src/process/index.js';

describe('readProcessMemory', () => {
  it('reads a live process its resident memory now and at its peak', () => {
    const memory = readProcessMemory(process.pid)!;
    expect(memory.rssBytes).toBeGreaterThan(2 ** 20);
    expect(memory.peakRssBytes).toBeGreaterThanOrEqual(memory.rssBytes);
  });

  it('gives undefined for a killed process nobody has reaped yet (a zombie has no memory lines), not NaN', async () => {
    // sh starts a short sleep in the background and becomes a long sleep, which never reaps it: the short one stays a zombie.
    const parent = spawn('sh', ['-c', 'sleep 0.1 & echo $!; exec sleep 10'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const zombie = Number(await new Promise<string>((resolve) => parent.stdout.once('data', (text: Buffer) => resolve(text.toString()))));
      for (let tries = 0; tries < 100 && isProcessRunning(zombie); tries++) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(isProcessRunning(zombie)).toBe(false);
      expect(readProcessMemory(zombie)).toBeUndefined();
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it('gives undefined for a pid that is not there', () => {
    expect(readProcessMemory(2 ** 22 + 1)).toBeUndefined();
  });
});
