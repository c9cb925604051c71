import { afterEach, describe, expect, it } from 'vitest';
import { Broker } from '../../src/broker/index.js';
import { ClusterResponder, createLeanPool, LINK_EVENT, LINK_STATE, type BrokerPool, type LeanPoolOptions, type LinkEvent } from '../../src/client/index.js';
import type { BrokerListEntry } from '../../src/protocol/index.js';
import { ECHO_HANDLER, LeanRequester, type ResponderHandler } from '../../src/transport/index.js';
import { call, PROMISE_OBSERVER, type PendingCall } from '../support/lean-calls.js';
import { waitFor } from '../support/wait.js';

const SERVICE = [{ service: 'svc', group: '', version: '' }];
/** Short backoff so that reconnects happen within a test's time. */
const FAST_RECONNECT = { reconnect: { initialDelayMs: 20, maxDelayMs: 200 } };


function instancesOf(broker: Broker, key = 'svc'): number {
  return broker.registry.list().find((entry) => entry.key === key)?.instances.length ?? 0;
}

describe('the broker pool: connections to every broker of a cluster', () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** Brokers in this process on free ports, each told the whole list, as `rsb cluster up` tells its brokers. */
  async function startCluster(count: number, name = 'test'): Promise<{ brokers: Broker[]; addresses: BrokerListEntry[] }> {
    const brokers: Broker[] = [];
    for (let index = 0; index < count; index++) {
      const broker = new Broker({ port: 0, id: `${name}-${index + 1}` });
      await broker.start();
      brokers.push(broker);
      cleanups.push(() => broker.stop());
    }
    const addresses = brokers.map((broker) => ({ id: broker.id, host: '127.0.0.1', port: broker.port }));
    for (const broker of brokers) broker.membership.update({ name, brokers: addresses });
    return { brokers, addresses };
  }

  async function startResponder(options: Partial<LeanPoolOptions> & Pick<LeanPoolOptions, 'brokers'>, handler: ResponderHandler = ECHO_HANDLER): Promise<ClusterResponder> {
    const responder = new ClusterResponder({ services: SERVICE, app: { name: 'svc-test', uuid: 'svc-1' }, ...FAST_RECONNECT, ...options }, handler);
    await responder.start();
    cleanups.push(() => responder.close());
    return responder;
  }

  /** A pool of lean requesters, as the load engine builds one. */
  async function startRequesters(options: Partial<LeanPoolOptions> & Pick<LeanPoolOptions, 'brokers'>): Promise<BrokerPool<LeanRequester<PendingCall>>> {
    const pool = createLeanPool({ ...FAST_RECONNECT, ...options }, (peer) => new LeanRequester<PendingCall>(peer, PROMISE_OBSERVER));
    await pool.start();
    cleanups.push(() => pool.close());
    return pool;
  }

  it('registers a service given one broker on every broker, learning the others from the pushed list', async () => {
    const { brokers, addresses } = await startCluster(3);
    const responder = await startResponder({ brokers: [{ host: '127.0.0.1', port: addresses[1]!.port }] });
    expect(responder.registeredOn().sort()).toEqual(addresses.map((address) => `127.0.0.1:${address.port}`).sort());
    expect(brokers.map((broker) => instancesOf(broker))).toEqual([1, 1, 1]);
    expect(responder.pool.cluster).toBe('test');
  });

  it('registers a service again on a broker that comes back on its port', async () => {
    const { brokers, addresses } = await startCluster(2);
    const responder = await startResponder({ brokers: addresses });
    await brokers[1]!.stop();
    await waitFor(() => responder.registeredOn().length === 1, 'the responder to see the broker gone');
    const restarted = new Broker({ port: addresses[1]!.port, id: addresses[1]!.id, cluster: { name: 'test', brokers: addresses } });
    await restarted.start();
    cleanups.push(() => restarted.stop());
    await waitFor(() => instancesOf(restarted) === 1, 'the service to register on the restarted broker');
    // The broker registers the service on SETUP, a moment before the responder hears that SETUP was accepted.
    await waitFor(() => responder.registeredOn().length === 2, 'the responder to count the restarted broker');
  });

  it('joins a broker the list adds and leaves one the list drops', async () => {
    const { brokers, addresses } = await startCluster(2);
    const pool = await startRequesters({ brokers: addresses.slice(0, 1) });
    expect(pool.members.map((member) => member.id)).toEqual(['test-1', 'test-2']);
    const extra = new Broker({ port: 0, id: 'test-3' });
    await extra.start();
    cleanups.push(() => extra.stop());
    const grown = [...addresses, { id: 'test-3', host: '127.0.0.1', port: extra.port }];
    for (const broker of [...brokers, extra]) broker.membership.update({ name: 'test', brokers: grown });
    await waitFor(() => pool.liveLinks().length === 3, 'a connection to the added broker');
    for (const broker of [...brokers, extra]) broker.membership.update({ name: 'test', brokers: addresses });
    await waitFor(() => pool.liveLinks().length === 2, 'the dropped broker to be left');
    expect(pool.members.map((member) => member.id)).toEqual(['test-1', 'test-2']);
    await waitFor(() => extra.snapshot().connections === 0, 'the connection to the dropped broker to close');
  });

  it('keeps to the brokers it was given when told not to follow the pushed list', async () => {
    const { addresses } = await startCluster(3);
    const pool = await startRequesters({ brokers: addresses.slice(0, 1), followBrokerList: false });
    expect(pool.liveLinks()).toHaveLength(1);
    expect(pool.members).toHaveLength(1);
  });

  it('opens as many connections per broker as asked', async () => {
    const { brokers, addresses } = await startCluster(2);
    const pool = await startRequesters({ brokers: addresses, connectionsPerBroker: 3 });
    expect(pool.liveLinks()).toHaveLength(6);
    expect(brokers.map((broker) => broker.snapshot().connections)).toEqual([3, 3]);
  });

  it('leaves a lost link closed, and says so, when reconnecting is off', async () => {
    const { brokers, addresses } = await startCluster(1);
    const events: LinkEvent[] = [];
    const pool = await startRequesters({ brokers: addresses, reconnect: false, onEvent: (event) => events.push(event) });
    await brokers[0]!.stop();
    await waitFor(() => pool.members[0]!.links[0]!.state === LINK_STATE.CLOSED, 'the link to close');
    expect(events.filter((event) => event.kind === LINK_EVENT.DISCONNECTED)).toEqual([expect.objectContaining({ broker: `test-1 (127.0.0.1:${addresses[0]!.port})`, retryInMs: undefined })]);
  });

  it('rotates a link onto a fresh connection and hands back the old one, whose end is then no loss', async () => {
    const { brokers, addresses } = await startCluster(1);
    await startResponder({ brokers: addresses });
    const events: LinkEvent[] = [];
    const pool = await startRequesters({ brokers: addresses, onEvent: (event) => events.push(event) });
    const link = pool.liveLinks()[0]!;
    const first = link.connection!;
    const rotating = pool.rotate(link);
    expect(await pool.rotate(link)).toBeUndefined();
    const previous = await rotating;
    expect(previous).toBe(first);
    expect(link.connection).not.toBe(first);
    expect(brokers[0]!.snapshot().connections).toBe(3);
    await previous!.peer.close();
    expect(link.state).toBe(LINK_STATE.UP);
    expect(await call(link.connection!, 'svc.echo', 'still up')).toEqual({ data: 'still up' });
    expect(events.map((event) => event.kind)).not.toContain(LINK_EVENT.DISCONNECTED);
    expect(events.map((event) => event.kind)).toContain(LINK_EVENT.ROTATED);
  });

  it('refuses to start when no broker can be reached, naming each address', async () => {
    const { brokers, addresses } = await startCluster(1);
    await brokers[0]!.stop();
    const pool = createLeanPool({ brokers: addresses }, (peer) => new LeanRequester<PendingCall>(peer, PROMISE_OBSERVER));
    await expect(pool.start()).rejects.toMatchObject({ code: 'ERR_NO_BROKER', message: expect.stringContaining(`127.0.0.1:${addresses[0]!.port}`) });
  });
});
