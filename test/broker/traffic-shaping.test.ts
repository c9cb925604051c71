import { describe, expect, it } from 'vitest';
import { ERROR_CODE } from '../../src/protocol/index.js';
import type { ResponderStream } from '../../src/transport/index.js';
import { useInProcessBrokers } from '../support/in-process.js';
import { Caller, connectService, tally } from '../support/lean-peers.js';

const REJECTED = `error 0x${ERROR_CODE.REJECTED.toString(16)}`;

/** Rate limits and the in-flight cap, end to end: the excess is REJECTED at once, naming the limit, and no more. */
describe('traffic shaping', () => {
  const { startBroker, own } = useInProcessBrokers();

  async function caller(port: number, name = 'caller'): Promise<Caller> {
    return own(await Caller.connect(port, { name }), (c) => c.close());
  }

  async function calc(port: number, handler?: { handle(stream: ResponderStream): void }): Promise<void> {
    own(await connectService(port, { name: 'calc', services: ['calc'], ...(handler ? { handler } : {}) }), (s) => s.peer.close());
  }

  it('admits a burst of a service rate limit and rejects the excess, naming the limit', async () => {
    // One token a second: no refill worth a request arrives while the 30 requests cross.
    const broker = await startBroker({ services: new Map([['calc', { rateLimit: { requestsPerSecond: 1, burst: 10 } }]]) });
    await calc(broker.port);
    const results = await (await caller(broker.port)).callMany('calc.add', 30);
    expect(tally(results)).toEqual({ calc: 10, [REJECTED]: 20 });
    const refusal = results.find((result) => !result.ok);
    expect(refusal).toMatchObject({ message: 'rate limit of service calc exceeded: 1 requests/s, burst 10' });
    expect(broker.snapshot().rejections.service_rate_limit).toBe(20);
  });

  it('refills the bucket at the limit rate', async () => {
    const broker = await startBroker({ services: new Map([['calc', { rateLimit: { requestsPerSecond: 20, burst: 1 } }]]) });
    await calc(broker.port);
    const client = await caller(broker.port);
    expect(tally(await client.callMany('calc.add', 5))).toEqual({ calc: 1, [REJECTED]: 4 });
    // 20 requests/s: a token every 50 ms.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(tally(await client.callMany('calc.add', 5))).toEqual({ calc: 1, [REJECTED]: 4 });
  });

  it('limits every connection of an app together, and leaves other apps alone', async () => {
    const broker = await startBroker({ apps: new Map([['web-*', { rateLimit: { requestsPerSecond: 1, burst: 6 } }]]) });
    await calc(broker.port);
    const [first, second, other] = [await caller(broker.port, 'web-shop'), await caller(broker.port, 'web-shop'), await caller(broker.port, 'batch')];
    const results = [...(await first.callMany('calc.add', 10)), ...(await second.callMany('calc.add', 10))];
    expect(tally(results)).toEqual({ calc: 6, [REJECTED]: 14 });
    expect(results.find((result) => !result.ok)).toMatchObject({ message: 'rate limit of app web-shop exceeded: 1 requests/s, burst 6' });
    expect(tally(await other.callMany('calc.add', 20))).toEqual({ calc: 20 });
  });

  it('rejects requests over the in-flight cap of every instance at once, and takes them again as answers come', async () => {
    const broker = await startBroker({ maxInFlightPerInstance: 2 });
    const held: ResponderStream[] = [];
    await calc(broker.port, { handle: (stream) => held.push(stream) });
    const client = await caller(broker.port);
    const pending = client.callMany('calc.add', 5);
    await expect.poll(() => held.length).toBe(2);
    expect(broker.snapshot().rejections.in_flight_cap).toBe(3);
    for (const stream of held.splice(0)) stream.next(Buffer.from('done'), null, true);
    const results = await pending;
    expect(tally(results)).toEqual({ done: 2, [REJECTED]: 3 });
    expect(results.find((result) => !result.ok)).toMatchObject({
      message: 'every instance of service calc (1 instance) is at the per-instance cap of 2 requests in flight',
    });
    const next = client.call('calc.add');
    await expect.poll(() => held.length).toBe(1);
    held[0]!.next(Buffer.from('again'), null, true);
    expect(await next).toEqual({ ok: true, data: 'again' });
  });
});
