import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { isProcessRunning, readProcessCpuMicros, readProcessMemory } from '../../src/process/index.js';

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

describe('readProcessCpuMicros', () => {
  it('reads the CPU time a process has used, as the process itself counts it (to a tick or two of 10 ms)', () => {
    // Some work first, so that there is time to count.
    for (let sum = 0, i = 0; i < 5e7; i++) sum += i;
    const usage = process.cpuUsage();
    const fromProc = readProcessCpuMicros(process.pid)!;
    expect(fromProc).toBeGreaterThan(0);
    expect(Math.abs(fromProc - (usage.user + usage.system))).toBeLessThanOrEqual(20_000);
  });

  it('gives undefined for a pid that is not there', () => {
    expect(readProcessCpuMicros(2 ** 22 + 1)).toBeUndefined();
  });
});
