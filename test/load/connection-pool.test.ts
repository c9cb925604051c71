import { afterEach, describe, expect, it } from 'vitest';
import { Broker } from '../../src/broker/index.js';
import { ClusterResponder } from '../../src/client/index.js';
import { ConnectionPool, type LoadTarget } from '../../src/load/connection-pool.js';
import { ERROR_CODE } from '../../src/protocol/index.js';
import { ECHO_HANDLER, prepareRequest, type RequestObserver, type ResponderHandler, type ResponderStream } from '../../src/transport/index.js';
import { call, countLiveConnections, PROMISE_OBSERVER, sendRoundRobin, type CallOutcome, type PendingCall } from '../support/lean-calls.js';
import { waitFor } from '../support/wait.js';

const SERVICE = [{ service: 'svc', group: '', version: '' }];

/** The load engine's round-robin over a BrokerPool, against brokers in this process. */
describe('the load connection pool', () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** Brokers on free ports with the echo service registered on each. */
  async function startBrokers(count: number, handler: ResponderHandler = ECHO_HANDLER): Promise<{ brokers: Broker[]; targets: LoadTarget[] }> {
    const brokers: Broker[] = [];
    for (let index = 0; index < count; index++) {
      const broker = new Broker({ port: 0, id: `load-${index + 1}` });
      await broker.start();
      brokers.push(broker);
      cleanups.push(() => broker.stop());
    }
    const targets = brokers.map((broker) => ({ name: broker.id, host: '127.0.0.1', port: broker.port }));
    const responder = new ClusterResponder({ brokers: targets, followBrokerList: false, services: SERVICE, app: { name: 'svc-test', uuid: 'svc-1' } }, handler);
    await responder.start();
    cleanups.push(() => responder.close());
    return { brokers, targets };
  }

  async function openPool<T = PendingCall>(targets: LoadTarget[], observer: RequestObserver<T>): Promise<ConnectionPool<T>> {
    const pool = new ConnectionPool<T>(targets, 1, observer, 'load-test');
    await pool.open();
    cleanups.push(() => pool.close());
    return pool;
  }

  it('spreads requests evenly over its targets', async () => {
    const { brokers, targets } = await startBrokers(3);
    const pool = await openPool(targets, PROMISE_OBSERVER);
    const sender = sendRoundRobin(pool, PROMISE_OBSERVER);
    const outcomes = [];
    for (let i = 0; i < 30; i++) outcomes.push(await call(sender, 'svc.echo', `n${i}`));
    expect(outcomes).toEqual(Array.from({ length: 30 }, (_, i) => ({ data: `n${i}` })));
    expect(brokers.map((broker) => broker.stats.requestsRouted)).toEqual([10, 10, 10]);
  });

  it('ends the requests in flight on a broker that goes away with an error, and sends the next ones to the brokers left', async () => {
    const held: { stream: ResponderStream; data: Buffer }[] = [];
    const { brokers, targets } = await startBrokers(3, { handle: (stream, request) => void held.push({ stream, data: Buffer.from(request.data) }) });
    const pool = await openPool(targets, PROMISE_OBSERVER);
    const sender = sendRoundRobin(pool, PROMISE_OBSERVER);
    const inFlight = Array.from({ length: 6 }, (_, i) => call(sender, 'svc.hold', `h${i}`));
    await waitFor(() => held.length === 6, 'six requests held by the service');
    await brokers[1]!.stop();
    await waitFor(() => countLiveConnections(pool) === 2, 'the pool to drop the stopped broker');
    for (const { stream, data } of held) stream.next(data);
    const outcomes = await Promise.all(inFlight);
    // Round-robin put requests 1 and 4 on the second broker.
    expect(outcomes.filter((outcome) => outcome.code === ERROR_CODE.CONNECTION_ERROR)).toHaveLength(2);
    expect(outcomes.filter((outcome) => outcome.data !== undefined).map((outcome) => outcome.data)).toEqual(['h0', 'h2', 'h3', 'h5']);
    held.length = 0;
    const after = Array.from({ length: 10 }, (_, i) => call(sender, 'svc.hold', `a${i}`));
    await waitFor(() => held.length === 10, 'ten more requests held');
    for (const { stream, data } of held) stream.next(data);
    expect((await Promise.all(after)).every((outcome) => outcome.data?.startsWith('a'))).toBe(true);
    expect(brokers[1]!.stats.requestsRouted).toBe(2);
  });

  it('sends a request made in the very turn a broker is lost to a live broker', async () => {
    const held: { stream: ResponderStream; data: Buffer }[] = [];
    const { brokers, targets } = await startBrokers(2, { handle: (stream, request) => void held.push({ stream, data: Buffer.from(request.data) }) });
    // A caller that retries once, from inside the error callback: before the pool has heard of the loss.
    const template = prepareRequest({ route: 'svc.hold', data: Buffer.from('retried') });
    type Retried = { attempts: number; finish: (outcome: CallOutcome) => void };
    const observer: RequestObserver<Retried> = {
      onNext: () => {},
      onComplete: (context) => context.finish({ data: 'answered' }),
      onError: (context, code, message) => (context.attempts++ === 0 ? sender.send(template, context) : context.finish({ code, message })),
    };
    const pool = await openPool(targets, observer);
    const sender = sendRoundRobin(pool, observer);
    const first = new Promise<CallOutcome>((finish) => sender.send(template, { attempts: 0, finish }));
    const second = new Promise<CallOutcome>((finish) => sender.send(template, { attempts: 0, finish }));
    await waitFor(() => held.length === 2, 'both requests held');
    // The rotation now points at the first broker again: the retry must skip it once it is lost.
    await brokers[0]!.stop();
    await waitFor(() => held.length === 3, 'the retried request held on the second broker');
    for (const { stream, data } of held) stream.next(data);
    expect(await Promise.all([first, second])).toEqual([{ data: 'answered' }, { data: 'answered' }]);
  });

  it('has no connection to pick while no broker is connected', async () => {
    const { brokers, targets } = await startBrokers(1);
    const pool = await openPool(targets, PROMISE_OBSERVER);
    await brokers[0]!.stop();
    await waitFor(() => countLiveConnections(pool) === 0, 'the pool to see the broker gone');
    expect(pool.pick()).toBe(-1);
    expect(await call(sendRoundRobin(pool, PROMISE_OBSERVER), 'svc.echo', 'x')).toEqual({ code: ERROR_CODE.CONNECTION_ERROR, message: 'no connection to any target is up' });
  });
});
