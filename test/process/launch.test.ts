import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { PROCESS_START_FAILURE, ProcessStartError } from '../../src/errors.js';
import { isProcessRunning, killProcess, launchProcess, LIFETIME, TERMINATION, terminateProcess, type LaunchedProcess, type LaunchOptions } from '../../src/process/index.js';

const CHILD = fileURLToPath(new URL('./fixtures/child.mjs', import.meta.url));
const PARENT = fileURLToPath(new URL('./fixtures/parent.mjs', import.meta.url));

function launchChild<Ready extends object = object>(behaviour: string, options: Partial<LaunchOptions> = {}): Promise<LaunchedProcess<Ready>> {
  return launchProcess<Ready>({ name: `tiny ${behaviour}`, script: CHILD, args: [behaviour], lifetime: LIFETIME.SAME_GROUP, readyTimeoutMs: 20_000, ...options });
}

async function launchFailure(behaviour: string, options: Partial<LaunchOptions> = {}): Promise<ProcessStartError> {
  const error = await launchChild(behaviour, options).then(
    () => undefined,
    (failure: unknown) => failure,
  );
  expect(error).toBeInstanceOf(ProcessStartError);
  return error as ProcessStartError;
}

/** The pid the tiny child printed first (`child BEHAVIOUR pid N`). */
function printedPid(lines: string[]): number {
  const pid = Number(/ pid (\d+)/.exec(lines.join('\n'))?.[1]);
  expect(pid).toBeGreaterThan(0);
  return pid;
}

/** Runs the fixture parent; resolves with the pid of the child it launched once it prints it, and the parent's exit. */
function runParent(args: string[]): { parent: ReturnType<typeof spawn>; childPid: Promise<number>; exited: Promise<number | null> } {
  const parent = spawn(process.execPath, [PARENT, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  const childPid = new Promise<number>((resolve, reject) => {
    parent.stdout!.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
      const match = /child pid (\d+)/.exec(stdout);
      if (match) resolve(Number(match[1]));
    });
    parent.once('exit', () => reject(new Error(`the parent exited before its child was ready:\n${stdout}`)));
  });
  const exited = new Promise<number | null>((resolve) => parent.once('exit', (code) => resolve(code)));
  return { parent, childPid, exited };
}

async function waitUntilGone(pid: number): Promise<boolean> {
  for (let tries = 0; tries < 250 && isProcessRunning(pid); tries++) await new Promise((resolve) => setTimeout(resolve, 20));
  return !isProcessRunning(pid);
}

describe('launchProcess', () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('resolves with the ready message the child wrote on its ready channel, and its pid', async () => {
    const child = await launchChild<{ port: number; name: string }>('ready');
    cleanups.push(() => child.kill());
    expect(child.ready).toEqual({ port: 4242, name: 'tiny' });
    expect(child.isRunning).toBe(true);
    expect(isProcessRunning(child.pid)).toBe(true);
  });

  it('reports a child that exits before it is ready: how it exited, and the end of its output', async () => {
    const error = await launchFailure('exit-before-ready');
    expect(error.failure).toBe(PROCESS_START_FAILURE.EXITED);
    expect(error.detail).toBe('exited with code 3');
    expect(error.message).toMatch(/^tiny exit-before-ready exited with code 3 before it was ready:\n/);
    expect(error.outputTail).toContain('boom: something went wrong');
  });

  it('carries the failure the child reported before it exited', async () => {
    const error = await launchFailure('report-failure');
    expect(error.failure).toBe(PROCESS_START_FAILURE.EXITED);
    expect(error.childReport).toEqual({ message: 'cannot listen on 127.0.0.1:1: EADDRINUSE', code: 'ERR_LISTEN', errno: 'EADDRINUSE' });
    expect(error.message).toContain('(cannot listen on 127.0.0.1:1: EADDRINUSE)');
  });

  it('kills a child that does not report ready in time, and says so', async () => {
    const error = await launchFailure('never-ready', { readyTimeoutMs: 3_000 });
    expect(error.failure).toBe(PROCESS_START_FAILURE.TIMED_OUT);
    expect(error.message).toMatch(/^tiny never-ready was not ready within 3 s/);
    expect(isProcessRunning(printedPid(error.outputTail))).toBe(false);
  });

  it('stops the child it was starting when the start is aborted', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rsb-process-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const logFile = path.join(dir, 'child.log');
    const abort = new AbortController();
    const failure = launchFailure('never-ready', { signal: abort.signal, logFile });
    // Aborted once it runs (it has printed its pid), as a Ctrl-C while a broker starts.
    let pid = 0;
    while (pid === 0) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      pid = Number(/ pid (\d+)/.exec(readFileSync(logFile, 'utf8'))?.[1] ?? 0);
    }
    abort.abort();
    const error = await failure;
    expect(error.failure).toBe(PROCESS_START_FAILURE.ABORTED);
    expect(isProcessRunning(pid)).toBe(false);
  });

  it('quotes the end of the log file of a child that writes to one, and nothing of earlier runs', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rsb-process-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const logFile = path.join(dir, 'logs', 'child.log');
    await launchFailure('exit-before-ready', { logFile, logHeader: '--- first run' });
    const error = await launchFailure('exit-before-ready', { logFile, logHeader: '--- second run' });
    expect(error.outputTail).toEqual([expect.stringMatching(/^child exit-before-ready pid \d+$/), 'boom: something went wrong']);
    expect(readFileSync(logFile, 'utf8')).toMatch(/^--- first run\n.*\nboom.*\n--- second run\n/);
  });

  it('stops a child with SIGTERM when it honours it', async () => {
    const child = await launchChild('ready');
    expect(await child.stop(10_000)).toBe(TERMINATION.STOPPED);
    expect(await child.exited).toEqual({ code: null, signal: 'SIGTERM' });
    expect(child.isRunning).toBe(false);
  });

  it('kills a child that ignores SIGTERM with SIGKILL once the grace period is over', async () => {
    const child = await launchChild('ignore-sigterm');
    expect(await child.stop(300)).toBe(TERMINATION.KILLED);
    expect(await child.exited).toEqual({ code: null, signal: 'SIGKILL' });
  });

  it('says a child that has already ended was not running', async () => {
    const child = await launchChild('ready');
    await child.kill();
    expect(await child.stop(1_000)).toBe(TERMINATION.NOT_RUNNING);
  });

  it('leaves a detached child running when its parent ends, without the parent waiting for it', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rsb-process-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const { childPid, exited } = runParent([LIFETIME.DETACHED, 'return', path.join(dir, 'child.log')]);
    const pid = await childPid;
    cleanups.push(() => killProcess(pid));
    // The parent ends on its own once it has nothing left to do: the ready channel and the child do not hold it.
    expect(await exited).toBe(0);
    expect(isProcessRunning(pid)).toBe(true);
    expect(await terminateProcess(pid, 5_000)).toBe(TERMINATION.STOPPED);
  });

  it('kills the children it owns when the parent exits', async () => {
    const { childPid, exited } = runParent([LIFETIME.OWN_GROUP, 'exit', '-']);
    const pid = await childPid;
    cleanups.push(() => killProcess(pid));
    expect(await exited).toBe(0);
    expect(await waitUntilGone(pid)).toBe(true);
  });

  it('lets a child that follows its parent exit when the parent is killed with SIGKILL', async () => {
    const { parent, childPid, exited } = runParent([LIFETIME.SAME_GROUP, 'wait', '-', 'follow-parent']);
    const pid = await childPid;
    cleanups.push(() => killProcess(pid));
    parent.kill('SIGKILL');
    await exited;
    expect(await waitUntilGone(pid)).toBe(true);
  });
});

describe('terminateProcess', () => {
  it('counts a process that died but was never reaped (a zombie) as stopped', async () => {
    // sh starts a long sleep in the background and becomes another long sleep, which never reaps it: once killed, it stays a zombie.
    // The child is taken only once sh has become sleep: sh itself might still reap it.
    const parent = spawn('sh', ['-c', 'sleep 30 & exec sleep 30'], { stdio: 'ignore' });
    try {
      const pid = await waitForOnlyChildOfSleep(parent.pid!);
      expect(await terminateProcess(pid, 5_000)).toBe(TERMINATION.STOPPED);
      expect(readFileSync(`/proc/${pid}/stat`, 'utf8')).toMatch(/\) Z /);
      expect(isProcessRunning(pid)).toBe(false);
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it('says a pid that is not there was not running', async () => {
    expect(await terminateProcess(2 ** 22 + 1, 1_000)).toBe(TERMINATION.NOT_RUNNING);
  });
});

/** The one child of `parentPid` once that process runs `sleep` (sh has exec'd), from /proc. */
async function waitForOnlyChildOfSleep(parentPid: number): Promise<number> {
  for (let attempt = 0; attempt < 250; attempt++) {
    const command = readFileSync(`/proc/${parentPid}/cmdline`, 'utf8').split('\0')[0];
    const children = readFileSync(`/proc/${parentPid}/task/${parentPid}/children`, 'utf8').trim();
    if (command === 'sleep' && children !== '') return Number(children);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`process ${parentPid} did not become sleep with a child within 5 s`);
}
