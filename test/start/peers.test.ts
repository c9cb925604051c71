import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLeanPool } from '../../src/client/index.js';
import { CLOUD_EVENT_TYPE, decodeCloudEvent, readBrokerList, type BrokerList } from '../../src/protocol/index.js';
import { LeanRequester, NO_STREAMS, PeerConnection } from '../../src/transport/index.js';
import { startTestDns } from '../support/dns.js';
import { PROMISE_OBSERVER } from '../support/lean-calls.js';
import { RsbProcess, runRsb } from '../support/processes.js';
import { waitFor } from '../support/wait.js';

/** A TCP port free on 127.0.0.1 now: the brokers of a name all listen on one port, each on its own address. */
async function findFreePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Records the rsb broker lists a broker pushes. */
async function listenForLists(host: string, port: number): Promise<{ peer: PeerConnection; lists: BrokerList[] }> {
  const lists: BrokerList[] = [];
  const peer = await PeerConnection.connect(
    {
      host,
      port,
      onMetadataPush: (metadata) => {
        const event = decodeCloudEvent(metadata);
        if (event.type === CLOUD_EVENT_TYPE.BROKER_LIST) lists.push(readBrokerList(event));
      },
    },
    NO_STREAMS,
  );
  return { peer, lists };
}

describe('brokers that find each other', () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  function startBroker(args: string[]): RsbProcess {
    const broker = new RsbProcess(['start', '--no-admin', ...args]);
    cleanups.push(() => broker.stop());
    return broker;
  }

  it('list every broker behind their dns: peers by id and advertised address, and follow the answer as it changes', async () => {
    const port = await findFreePort();
    const dns = await startTestDns({ 'brokers.test': ['127.0.0.1', '127.0.0.2', '127.0.0.3'] });
    cleanups.push(() => dns.stop());
    const peers = ['--peers', `dns:brokers.test:${port}`, '--dns-server', dns.server, '--dns-interval', '200ms', '--cluster-name', 'east'];
    const brokers = [1, 2, 3].map((n) => startBroker(['--host', `127.0.0.${n}`, '--port', String(port), '--id', `b${n}`, ...peers]));
    await Promise.all(brokers.map((broker) => broker.waitForOutput(/listening on/)));
    expect(brokers[0]!.stdout).toContain(`advertised to clients as tcp://127.0.0.1:${port} (the address it listens on)`);

    const { peer, lists } = await listenForLists('127.0.0.1', port);
    cleanups.push(() => peer.close());
    await waitFor(() => lists.at(-1)?.brokers.length === 3, 'the list of all three');
    expect(lists.at(-1)).toEqual({
      cluster: 'east',
      broker: 'b1',
      brokers: [1, 2, 3].map((n) => ({ id: `b${n}`, host: `127.0.0.${n}`, port })),
    });

    dns.set({ 'brokers.test': ['127.0.0.1', '127.0.0.2'] });
    await waitFor(() => lists.at(-1)?.brokers.length === 2, 'the list without b3', 5_000);
    expect(lists.at(-1)!.brokers.map((entry) => entry.id)).toEqual(['b1', 'b2']);
  });

  it('says once that a peer name does not resolve, keeps trying, and serves its own clients meanwhile', async () => {
    const port = await findFreePort();
    const dns = await startTestDns({});
    cleanups.push(() => dns.stop());
    const broker = startBroker(['--port', String(port), '--id', 'alone', '--peers', `dns:nobody.test:${port}`, '--dns-server', dns.server, '--dns-interval', '200ms']);
    await broker.waitForOutput(/listening on/);
    await broker.waitForOutput(/nobody\.test did not resolve/);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(broker.stdout.match(/did not resolve/g)).toHaveLength(1);
    expect(broker.stdout).toContain(`! dns:nobody.test:${port}: nobody.test did not resolve through DNS server ${dns.server} (ENOTFOUND); trying again in`);
    const answer = await runRsb(['call', 'rsb.broker.health', '--broker', `127.0.0.1:${port}`]);
    expect(answer.code, answer.stderr).toBe(0);
  });

  it('lets a one-off client given a name succeed while any broker behind it answers, and fail with exit 7 when the name does not resolve', async () => {
    const port = await findFreePort();
    // 127.0.0.4 has no broker: one of the two addresses behind the name is dead.
    const dns = await startTestDns({ 'brokers.test': ['127.0.0.1', '127.0.0.4'] });
    cleanups.push(() => dns.stop());
    const broker = startBroker(['--port', String(port), '--id', 'only']);
    await broker.waitForOutput(/listening on/);
    const name = `dns:brokers.test:${port}`;
    const health = await runRsb(['call', 'rsb.broker.health', '--broker', name, '--dns-server', dns.server]);
    expect(health.code, health.stderr).toBe(0);
    expect(JSON.parse(health.stdout)).toMatchObject({ status: 'up', id: 'only' });
    const services = await runRsb(['services', '--broker', name, '--dns-server', dns.server]);
    expect(services.code, services.stderr).toBe(0);
    expect(services.stdout).toContain(`broker only at 127.0.0.1:${port}: 0 services, 0 instances`);
    expect(services.stdout).toContain(`broker at 127.0.0.4:${port}: not connected`);
    const unknown = await runRsb(['call', 'rsb.broker.health', '--broker', `dns:nobody.test:${port}`, '--dns-server', dns.server]);
    expect(unknown.code).toBe(7);
    expect(unknown.stderr).toContain(`nobody.test did not resolve through DNS server ${dns.server} (ENOTFOUND)`);
  }, 60_000);

  it('drains on SIGTERM with --drain: /readyz answers 503 at once, clients are sent elsewhere, and it exits once they have gone', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rsb-drain-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const [port, other, adminPort] = [await findFreePort(), await findFreePort(), await findFreePort()];
    const clusterFile = path.join(dir, 'cluster.json');
    writeFileSync(clusterFile, JSON.stringify({ name: 'east', brokers: [{ id: 'b1', host: '127.0.0.1', port }, { id: 'b2', host: '127.0.0.1', port: other }] }));
    const broker = new RsbProcess(['start', '--port', String(port), '--admin-port', String(adminPort), '--id', 'b1', '--cluster-file', clusterFile, '--drain', '20s']);
    cleanups.push(() => broker.stop('SIGKILL'));
    await broker.waitForOutput(/listening on/);
    const pool = createLeanPool({ brokers: [{ host: '127.0.0.1', port }], app: { name: 'drain-test', uuid: 'd1' }, reconnect: false }, (peer) => new LeanRequester(peer, PROMISE_OBSERVER));
    await pool.start();
    cleanups.push(() => pool.close());
    expect((await fetch(`http://127.0.0.1:${adminPort}/readyz`)).status).toBe(200);

    const startedAt = Date.now();
    broker.child.kill('SIGTERM');
    await broker.waitForOutput(/draining for up to 20\.0 s/);
    expect((await fetch(`http://127.0.0.1:${adminPort}/readyz`)).status).toBe(503);
    // The list without b1 makes the client leave it (b2 is not running: it keeps trying that one).
    await waitFor(() => !pool.members.some((member) => member.id === 'b1'), 'the client to leave b1');
    expect(await broker.exited).toBe(0);
    expect(Date.now() - startedAt).toBeLessThan(10_000);
    expect(broker.stdout).toMatch(/drained: 0 connections left/);
  });
});
