import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Broker, type BrokerEvent } from '../../src/broker/index.js';
import { BROKER_ROUTES, CLOUD_EVENT_TYPE, decodeCloudEvent, readBrokerList, type BrokerList, type CloudEvent } from '../../src/protocol/index.js';
import { NO_STREAMS, PeerConnection } from '../../src/transport/index.js';
import { call, connectRequester } from '../support/lean-calls.js';
import { runRsb } from '../support/processes.js';
import { waitFor } from '../support/wait.js';

const BROKERS = [
  { id: 'b1', host: '127.0.0.1', port: 7001 },
  { id: 'b2', host: '127.0.0.1', port: 7002 },
];

/** A client that records the broker lists pushed to it: rsb's, and the same list in the Alibaba broker's form. */
async function connectListener(port: number): Promise<{ peer: PeerConnection; lists: BrokerList[]; alibaba: CloudEvent[]; raw: Buffer[] }> {
  const lists: BrokerList[] = [];
  const alibaba: CloudEvent[] = [];
  const raw: Buffer[] = [];
  const onMetadataPush = (metadata: Buffer): void => {
    raw.push(Buffer.from(metadata));
    const event = decodeCloudEvent(metadata);
    if (event.type === CLOUD_EVENT_TYPE.BROKER_LIST) lists.push(readBrokerList(event));
    else alibaba.push(event);
  };
  const peer = await PeerConnection.connect({ host: '127.0.0.1', port, onMetadataPush }, NO_STREAMS);
  return { peer, lists, alibaba, raw };
}


/** Replaces the file at once, as rsb writes its state. */
function writeAtomically(file: string, value: unknown): void {
  writeFileSync(`${file}.tmp`, typeof value === 'string' ? value : JSON.stringify(value));
  renameSync(`${file}.tmp`, file);
}

describe('a broker that knows its cluster', () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function startBroker(options: ConstructorParameters<typeof Broker>[0], onEvent?: (event: BrokerEvent) => void): Promise<Broker> {
    const broker = new Broker({ port: 0, ...options }, onEvent);
    await broker.start();
    cleanups.push(() => broker.stop());
    return broker;
  }

  function temporaryFile(): string {
    const dir = mkdtempSync(path.join(tmpdir(), 'rsb-membership-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    return path.join(dir, 'cluster.json');
  }

  it('pushes the cluster list as a CloudEvent as soon as it accepts a SETUP, before the handshake completes', async () => {
    const broker = await startBroker({ id: 'b1', cluster: { name: 'east', brokers: BROKERS } });
    const { peer, lists } = await connectListener(broker.port);
    cleanups.push(() => peer.close());
    expect(lists).toEqual([{ cluster: 'east', broker: 'b1', brokers: BROKERS }]);
  });

  it("pushes the list a second time as Alibaba's UpstreamClusterChangedEvent, with one tcp:// URI per broker", async () => {
    const advertised = [...BROKERS, { id: 'b3', host: '10.0.0.5', port: 9999, uris: ['ws://10.0.0.5:8080/rsocket', 'tcp://10.0.0.5:9999'] }];
    const broker = await startBroker({ id: 'b1', cluster: { name: 'east', brokers: advertised } });
    const { peer, alibaba, raw } = await connectListener(broker.port);
    cleanups.push(() => peer.close());
    expect(alibaba).toHaveLength(1);
    const event = alibaba[0]!;
    expect(event).toMatchObject({
      specversion: '1.0',
      type: 'com.alibaba.rsocket.upstream.UpstreamClusterChangedEvent',
      source: 'rsb://broker/b1',
      datacontenttype: 'application/json',
      dataschema: 'rsocket:event:com.alibaba.rsocket.upstream.UpstreamClusterChangedEvent',
    });
    // Byte for byte, the data is what the Alibaba SDK's UpstreamClusterChangedEvent reads.
    const text = raw[1]!.toString('utf8');
    expect(text.startsWith('{"specversion":"1.0",')).toBe(true);
    expect(text).toContain('"data":{"interfaceName":"*","group":"","version":"","uris":["tcp://127.0.0.1:7001","tcp://127.0.0.1:7002","tcp://10.0.0.5:9999"]}}');
  });

  it('pushes the new list to every connected client when its cluster file changes', async () => {
    const file = temporaryFile();
    writeAtomically(file, { name: 'east', brokers: BROKERS });
    const broker = await startBroker({ id: 'b1', clusterFile: file });
    const clients = await Promise.all([connectListener(broker.port), connectListener(broker.port)]);
    for (const client of clients) cleanups.push(() => client.peer.close());
    const grown = [...BROKERS, { id: 'b3', host: '127.0.0.1', port: 7003 }];
    writeAtomically(file, { name: 'east', brokers: grown, extra: 'ignored' });
    await waitFor(() => clients.every((client) => client.lists.length === 2), 'the second push', 3_000);
    for (const client of clients) expect(client.lists.map((list) => list.brokers.length)).toEqual([2, 3]);
    expect(clients[0]!.lists[1]).toEqual({ cluster: 'east', broker: 'b1', brokers: grown });
    expect(clients[0]!.alibaba.map((event) => (event.data as { uris: string[] }).uris.length)).toEqual([2, 3]);
  });

  it('reads a cluster file that appears after it started', async () => {
    const file = temporaryFile();
    const broker = await startBroker({ id: 'b1', clusterFile: file });
    const { peer, lists } = await connectListener(broker.port);
    cleanups.push(() => peer.close());
    expect(lists).toEqual([]);
    writeAtomically(file, { name: 'late', brokers: BROKERS });
    await waitFor(() => lists.length === 1, 'the push of the new file');
    expect(lists[0]!.cluster).toBe('late');
  });

  it('pushes nothing when the list it is given again is the same (rsb rewrites its state file on every change of pids)', async () => {
    const broker = await startBroker({ id: 'b1', cluster: { name: 'east', brokers: BROKERS } });
    const { peer, lists } = await connectListener(broker.port);
    cleanups.push(() => peer.close());
    expect(broker.membership.update({ name: 'east', brokers: BROKERS.map((entry) => ({ ...entry })) })).toBe(false);
    expect(broker.membership.update({ name: 'east', brokers: BROKERS.slice(0, 1) })).toBe(true);
    await waitFor(() => lists.length === 2, 'the push of the shorter list');
    expect(lists.map((list) => list.brokers.length)).toEqual([2, 1]);
  });

  it('keeps its last list and says why when the cluster file turns malformed', async () => {
    const file = temporaryFile();
    writeAtomically(file, { name: 'east', brokers: BROKERS });
    const events: BrokerEvent[] = [];
    const broker = await startBroker({ id: 'b1', clusterFile: file }, (event) => events.push(event));
    writeAtomically(file, '{"name": "east", "brokers": [{"id": "b1"}]}');
    await waitFor(() => events.some((event) => event.kind === 'cluster-file-error'), 'the error event');
    const requester = await connectRequester({ host: '127.0.0.1', port: broker.port });
    cleanups.push(() => requester.peer.close());
    const answer = await call(requester, BROKER_ROUTES.CLUSTER);
    expect(readBrokerList(JSON.parse(answer.data!) as CloudEvent).brokers).toEqual(BROKERS);
    expect(events.find((event) => event.kind === 'cluster-file-error')).toMatchObject({ message: expect.stringContaining('brokers[0]') });
  });

  it('refuses to start with a cluster file that is malformed from the start', async () => {
    const file = temporaryFile();
    writeAtomically(file, '{"brokers": 3}');
    const broker = new Broker({ port: 0, clusterFile: file });
    await expect(broker.start()).rejects.toMatchObject({ code: 'ERR_USAGE', message: expect.stringContaining(file) });
    await broker.stop();
  });

  it('rsb start --cluster-file names a malformed file and exits 2', async () => {
    const file = temporaryFile();
    writeAtomically(file, '{"name": "east", "brokers": [{"id": "b1", "host": "127.0.0.1", "port": 0}]}');
    const run = await runRsb(['start', '--port', '0', '--cluster-file', file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`rsb: cluster file ${file}: brokers[0] must be {"id","host","port"} with a port from 1 to 65535`);
  });

  it('pushes nothing when it belongs to no cluster, and names only itself on rsb.broker.cluster', async () => {
    const broker = await startBroker({ id: 'alone' });
    const { peer, lists } = await connectListener(broker.port);
    cleanups.push(() => peer.close());
    const requester = await connectRequester({ host: '127.0.0.1', port: broker.port });
    cleanups.push(() => requester.peer.close());
    const answer = await call(requester, BROKER_ROUTES.CLUSTER);
    expect(readBrokerList(decodeCloudEvent(Buffer.from(answer.data!)))).toEqual({ cluster: '', broker: 'alone', brokers: [{ id: 'alone', host: '127.0.0.1', port: broker.port }] });
    expect(lists).toEqual([]);
  });
});
