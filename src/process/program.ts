import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { connect, createServer } from 'node:net';
import path from 'node:path';
import { PROCESS_START_FAILURE, ProcessStartError, type ProcessStartFailure } from '../errors.js';
import { killOnExit } from './exit-hook.js';
import { childTarget, describeExit, OutputTail, type ExitStatus, type LaunchedProcess } from './launch.js';
import { kill, terminate } from './stop.js';

/** A program that is not rsb's (it cannot report on fd 3): ready once it accepts connections on its port. */
export interface ProgramLaunchOptions {
  /** Named in messages: `nats-server`. */
  name: string;
  /** The executable, found on PATH (findExecutable). */
  executable: string;
  args: string[];
  /** Where it listens once ready. */
  host: string;
  port: number;
  readyTimeoutMs: number;
}

const PROBE_INTERVAL_MS = 20;

/** The executable of this name on PATH, or undefined when there is none. */
export function findExecutable(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

/** A TCP port free on `host` now (the kernel's pick), for a program that must be told its port. */
export function findFreePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * Starts another vendor's server as a child of this process (its group; SIGKILLed if this
 * process exits first) and waits until its port accepts a connection. Stopped with the
 * same stop sequence as rsb's own children. Fails with ProcessStartError, quoting the end
 * of its output, when it exits first or is not listening in time.
 */
export async function launchProgram(options: ProgramLaunchOptions): Promise<LaunchedProcess<{ port: number }>> {
  const child = spawn(options.executable, options.args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const output = new OutputTail();
  output.follow(child);
  const release = killOnExit(() => child.kill('SIGKILL'));
  const exited = new Promise<ExitStatus>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  void exited.then(release);
  const spawnFailed = new Promise<string>((resolve) => child.once('error', (error) => resolve(error.message)));
  const target = childTarget(child, exited);
  const fail = (failure: ProcessStartFailure, detail: string): ProcessStartError => {
    const tail = output.lines();
    return new ProcessStartError(failure, detail, `${options.name} ${detail}${tail.length ? `:\n${tail.join('\n')}` : ''}`, tail, undefined);
  };
  const deadline = Date.now() + options.readyTimeoutMs;
  for (;;) {
    const outcome = await Promise.race([
      isAccepting(options.host, options.port).then((isUp) => ({ kind: isUp ? ('up' as const) : ('not-yet' as const) })),
      exited.then((status) => ({ kind: 'exited' as const, detail: `${describeExit(status)} before it was listening` })),
      spawnFailed.then((message) => ({ kind: 'spawn-failed' as const, detail: `could not be started: ${message}` })),
    ]);
    if (outcome.kind === 'up') break;
    if (outcome.kind === 'spawn-failed') {
      release();
      throw fail(PROCESS_START_FAILURE.SPAWN_FAILED, outcome.detail);
    }
    if (outcome.kind === 'exited') throw fail(PROCESS_START_FAILURE.EXITED, outcome.detail);
    if (Date.now() > deadline) {
      await kill(target);
      throw fail(PROCESS_START_FAILURE.TIMED_OUT, `was not listening on ${options.host}:${options.port} within ${options.readyTimeoutMs / 1000} s`);
    }
    await new Promise((resolve) => setTimeout(resolve, PROBE_INTERVAL_MS));
  }
  return {
    name: options.name,
    pid: child.pid!,
    ready: { port: options.port },
    get isRunning() {
      return child.exitCode === null && child.signalCode === null;
    },
    exited,
    stop: (graceMs) => terminate(target, graceMs),
    kill: () => kill(target),
  };
}

function isAccepting(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
