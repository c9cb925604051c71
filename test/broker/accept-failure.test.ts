import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { Listener } from '../../src/broker/listeners.js';
import { TRANSPORT } from '../../src/protocol/index.js';
import { runRsb, startBrokerProcess } from '../support/processes.js';

const CONNECTIONS = 40;

describe('a broker out of file descriptors', { timeout: 60_000 }, () => {
  it('keeps listening while connections beyond its descriptors are turned away, and accepts again once they are free', async () => {
    const { broker, port } = await startBrokerProcess(['--no-admin']);
    const sockets: net.Socket[] = [];
    try {
      const pid = broker.child.pid!;
      // A few descriptors to spare, then more connections than that: accepts fail with EMFILE.
      const softLimit = readOpenFilesLimit(pid);
      const open = readdirSync(`/proc/${pid}/fd`).length;
      execFileSync('prlimit', ['--pid', String(pid), `--nofile=${open + 4}:`]);
      const closedByBroker = await Promise.all(
        Array.from({ length: CONNECTIONS }, () => {
          const socket = net.connect(port, '127.0.0.1');
          sockets.push(socket);
          return new Promise<boolean>((resolve) => {
            socket.on('error', () => resolve(true));
            socket.on('close', () => resolve(true));
            setTimeout(() => resolve(false), 2_000);
          });
        }),
      );
      expect(closedByBroker.filter(Boolean).length).toBeGreaterThan(0);
      expect(broker.child.exitCode).toBeNull();

      for (const socket of sockets) socket.destroy();
      execFileSync('prlimit', ['--pid', String(pid), `--nofile=${softLimit}:`]);
      const health = await runRsb(['call', 'rsb.broker.health', '--broker', `127.0.0.1:${port}`]);
      expect(health.code).toBe(0);
      expect(JSON.parse(health.stdout)).toMatchObject({ status: 'up' });
    } finally {
      for (const socket of sockets) socket.destroy();
      await broker.stop();
    }
  });

  it('a listener told by Node of failed accepts reports them at most once a second, with their count, and keeps listening', async () => {
    const failures: { uri: string; message: string; count: number }[] = [];
    const listener = new Listener(
      { transport: TRANSPORT.TCP, host: '127.0.0.1', port: 0 },
      { tls: null, maxFrameLength: 16_777_215, wsAllowedOrigins: [], handshakeTimeoutMs: 5_000 },
      { accept: ({ carrier }) => ('websocket' in carrier ? carrier.socket : carrier).destroy(), refuse: () => {}, acceptFailed: (failure) => failures.push(failure) },
    );
    const bound = await listener.start();
    try {
      // What libuv hands Node when an accept fails and its spare-descriptor trick cannot help.
      const emfile = Object.assign(new Error('accept EMFILE'), { code: 'EMFILE' });
      listener['server'].emit('error', emfile);
      listener['server'].emit('error', emfile);
      expect(failures).toEqual([{ uri: bound.uri, message: 'EMFILE', count: 1 }]);
      expect(listener['server'].listening).toBe(true);
    } finally {
      await listener.close();
    }
  });
});

/** The soft limit on open files of a process, from /proc/PID/limits. */
function readOpenFilesLimit(pid: number): string {
  const line = readFileSync(`/proc/${pid}/limits`, 'utf8')
    .split('\n')
    .find((row) => row.startsWith('Max open files'));
  return line!.split(/\s{2,}/)[1]!;
}
