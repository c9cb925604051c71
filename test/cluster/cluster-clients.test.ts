import { afterEach, describe, expect, it } from 'vitest';
import { Broker } from '../../src/broker/index.js';
import { ClusterRequester, ClusterResponder, type BrokerPoolOptions } from '../../src/cluster/index.js';
import { ERROR_CODE, type BrokerAddress } from '../../src/protocol/index.js';
import { ECHO_HANDLER, prepareRequest, type ResponderHandler, type ResponderStream } from '../../src/transport/index.js';
import { call, PROMISE_OBSERVER, type CallOutcome, type PendingCall } from '../support/lean-calls.js';
import { waitFor } from '../support/wait.js';

const SERVICE = [{ service: 'svc', group: '', version: '' }];
/** Short backoff so that reconnects happen within a test's time. */
const FAST_RECONNECT = { reconnect: { initialDelayMs: 20, maxDelayMs: 200 } };


function instancesOf(broker: Broker, key = 'svc'): number {
  return broker.registry.list().find((entry) => entry.key === key)?.instances.length ?? 0;
}

describe('clients that use every broker of a cluster', () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** Brokers in this process on free ports, each told the whole list, as `rsb cluster up` tells its brokers. */
  async function startCluster(count: number, name = 'test'): Promise<{ brokers: Broker[]; addresses: BrokerAddress[] }> {
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

  async function startResponder(options: Partial<BrokerPoolOptions> & Pick<BrokerPoolOptions, 'brokers'>, handler: ResponderHandler = ECHO_HANDLER): Promise<ClusterResponder> {
    const responder = new ClusterResponder({ services: SERVICE, app: { name: 'svc-test', uuid: 'svc-1' }, ...FAST_RECONNECT, ...options }, handler);
    await responder.start();
    cleanups.push(() => responder.close());
    return responder;
  }

  async function startRequester(options: Partial<BrokerPoolOptions> & Pick<BrokerPoolOptions, 'brokers'>): Promise<ClusterRequester<PendingCall>> {
    const requester = new ClusterRequester<PendingCall>({ ...FAST_RECONNECT, ...options }, PROMISE_OBSERVER);
    await requester.start();
    cleanups.push(() => requester.close());
    return requester;
  }

  it('registers a service given one broker on every broker, learning the others from the pushed list', async () => {
    const { brokers, addresses } = await startCluster(3);
    const responder = await startResponder({ brokers: [{ host: '127.0.0.1', port: addresses[1]!.port }] });
    expect(responder.registeredOn().sort()).toEqual(addresses.map((address) => `127.0.0.1:${address.port}`).sort());
    expect(brokers.map((broker) => instancesOf(broker))).toEqual([1, 1, 1]);
    expect(responder.pool.cluster).toBe('test');
  });

  it('spreads a requester\'s requests evenly over every broker when given only one of them', async () => {
    const { brokers, addresses } = await startCluster(3);
    await startResponder({ brokers: addresses });
    const requester = await startRequester({ brokers: [{ host: '127.0.0.1', port: addresses[0]!.port }] });
    expect(requester.liveCount).toBe(3);
    const outcomes = [];
    for (let i = 0; i < 30; i++) outcomes.push(await call(requester, 'svc.echo', `n${i}`));
    expect(outcomes).toEqual(Array.from({ length: 30 }, (_, i) => ({ data: `n${i}` })));
    expect(brokers.map((broker) => broker.stats.requestsRouted)).toEqual([10, 10, 10]);
  });

  it('ends the requests in flight on a broker that goes away with an error, and sends the next ones to the brokers left', async () => {
    const { brokers, addresses } = await startCluster(3);
    const held: { stream: ResponderStream; data: Buffer }[] = [];
    await startResponder({ brokers: addresses }, { handle: (stream, request) => void held.push({ stream, data: Buffer.from(request.data) }) });
    const requester = await startRequester({ brokers: addresses });
    const inFlight = Array.from({ length: 6 }, (_, i) => call(requester, 'svc.hold', `h${i}`));
    await waitFor(() => held.length === 6, 'six requests held by the service');
    await brokers[1]!.stop();
    await waitFor(() => requester.liveCount === 2, 'the requester to drop the stopped broker');
    for (const { stream, data } of held) stream.next(data);
    const outcomes = await Promise.all(inFlight);
    // Round-robin put requests 1 and 4 on the second broker.
    expect(outcomes.filter((outcome) => outcome.code === ERROR_CODE.CONNECTION_ERROR)).toHaveLength(2);
    expect(outcomes.filter((outcome) => outcome.data !== undefined).map((outcome) => outcome.data)).toEqual(['h0', 'h2', 'h3', 'h5']);
    held.length = 0;
    const after = Array.from({ length: 10 }, (_, i) => call(requester, 'svc.hold', `a${i}`));
    await waitFor(() => held.length === 10, 'ten more requests held');
    for (const { stream, data } of held) stream.next(data);
    expect((await Promise.all(after)).every((outcome) => outcome.data?.startsWith('a'))).toBe(true);
    expect(brokers[1]!.stats.requestsRouted).toBe(2);
  });

  it('sends a request made in the very turn a broker is lost to a live broker', async () => {
    const { brokers, addresses } = await startCluster(2);
    const held: { stream: ResponderStream; data: Buffer }[] = [];
    await startResponder({ brokers: addresses }, { handle: (stream, request) => void held.push({ stream, data: Buffer.from(request.data) }) });
    // A caller that retries once, from inside the error callback: before the pool has heard of the loss.
    const template = prepareRequest({ route: 'svc.hold', data: Buffer.from('retried') });
    let requester!: ClusterRequester<{ attempts: number; finish: (outcome: CallOutcome) => void }>;
    requester = new ClusterRequester({ brokers: addresses, followBrokerList: false, ...FAST_RECONNECT }, {
      onNext: () => {},
      onComplete: (context) => context.finish({ data: 'answered' }),
      onError: (context, code, message) => (context.attempts++ === 0 ? requester.send(template, context) : context.finish({ code, message })),
    });
    await requester.start();
    cleanups.push(() => requester.close());
    const first = new Promise<CallOutcome>((finish) => requester.send(template, { attempts: 0, finish }));
    const second = new Promise<CallOutcome>((finish) => requester.send(template, { attempts: 0, finish }));
    await waitFor(() => held.length === 2, 'both requests held');
    // The rotation now points at the first broker again: the retry must skip it once it is lost.
    await brokers[0]!.stop();
    await waitFor(() => held.length === 3, 'the retried request held on the second broker');
    for (const { stream, data } of held) stream.next(data);
    expect(await Promise.all([first, second])).toEqual([{ data: 'answered' }, { data: 'answered' }]);
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
    expect(responder.registeredOn()).toHaveLength(2);
  });

  it('joins a broker the list adds and leaves one the list drops', async () => {
    const { brokers, addresses } = await startCluster(2);
    const requester = await startRequester({ brokers: addresses.slice(0, 1) });
    expect(requester.pool.members.map((member) => member.id)).toEqual(['test-1', 'test-2']);
    const extra = new Broker({ port: 0, id: 'test-3' });
    await extra.start();
    cleanups.push(() => extra.stop());
    const grown = [...addresses, { id: 'test-3', host: '127.0.0.1', port: extra.port }];
    for (const broker of [...brokers, extra]) broker.membership.update({ name: 'test', brokers: grown });
    await waitFor(() => requester.liveCount === 3, 'a connection to the added broker');
    for (const broker of [...brokers, extra]) broker.membership.update({ name: 'test', brokers: addresses });
    await waitFor(() => requester.liveCount === 2, 'the dropped broker to be left');
    expect(requester.pool.members.map((member) => member.id)).toEqual(['test-1', 'test-2']);
    await waitFor(() => extra.snapshot().connections === 0, 'the connection to the dropped broker to close');
  });

  it('keeps to the brokers it was given when told not to follow the pushed list', async () => {
    const { addresses } = await startCluster(3);
    const requester = await startRequester({ brokers: addresses.slice(0, 1), followBrokerList: false });
    expect(requester.liveCount).toBe(1);
    expect(requester.pool.members).toHaveLength(1);
  });

  it('opens as many connections per broker as asked', async () => {
    const { brokers, addresses } = await startCluster(2);
    const requester = await startRequester({ brokers: addresses, connectionsPerBroker: 3 });
    expect(requester.liveCount).toBe(6);
    expect(brokers.map((broker) => broker.snapshot().connections)).toEqual([3, 3]);
  });

  it('fails a request at once with CONNECTION_ERROR while no broker is connected', async () => {
    const { brokers, addresses } = await startCluster(1);
    const requester = await startRequester({ brokers: addresses });
    await brokers[0]!.stop();
    await waitFor(() => requester.liveCount === 0, 'the requester to see the broker gone');
    expect(await call(requester, 'svc.echo', 'x')).toEqual({ code: ERROR_CODE.CONNECTION_ERROR, message: 'no broker of the cluster is connected' });
  });

  it('refuses to start when no broker can be reached, naming each address', async () => {
    const { brokers, addresses } = await startCluster(1);
    await brokers[0]!.stop();
    const requester = new ClusterRequester<PendingCall>({ brokers: addresses }, PROMISE_OBSERVER);
    await expect(requester.start()).rejects.toMatchObject({ code: 'ERR_NO_BROKER', message: expect.stringContaining(`127.0.0.1:${addresses[0]!.port}`) });
  });
});
