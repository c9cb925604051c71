import { describe, expect, it } from 'vitest';
import { LB_STRATEGY } from '../../src/broker/index.js';
import { useInProcessBrokers } from '../support/in-process.js';
import { Caller, connectService, tally } from '../support/lean-peers.js';

/** Each balancing strategy's distribution, measured end to end through a broker on loopback. */
describe('load balancing', () => {
  const { startBroker, own } = useInProcessBrokers();

  async function service(port: number, name: string, options: { weight?: number; delayMs?: number } = {}): Promise<void> {
    const handler = options.delayMs
      ? { handle: (stream: { next(data: Buffer, metadata: null, isLast: boolean): void }) => setTimeout(() => stream.next(Buffer.from(name), null, true), options.delayMs) }
      : undefined;
    own(await connectService(port, { name, services: ['calc'], ...(options.weight ? { weight: options.weight } : {}), ...(handler ? { handler } : {}) }), (s) => s.peer.close());
  }

  async function caller(port: number): Promise<Caller> {
    return own(await Caller.connect(port), (c) => c.close());
  }

  it('round-robin gives each instance the same share, to the request', async () => {
    const broker = await startBroker({ loadBalancing: LB_STRATEGY.ROUND_ROBIN });
    for (const name of ['a', 'b', 'c']) await service(broker.port, name);
    const counts = tally(await (await caller(broker.port)).callMany('calc.add', 300));
    expect(counts).toEqual({ a: 100, b: 100, c: 100 });
  });

  it('weighted-random sends three times as much to an instance of weight 3 as to one of weight 1', async () => {
    const broker = await startBroker({ loadBalancing: LB_STRATEGY.WEIGHTED_RANDOM });
    await service(broker.port, 'heavy', { weight: 3 });
    await service(broker.port, 'light', { weight: 1 });
    const client = await caller(broker.port);
    const results = [];
    for (let batch = 0; batch < 8; batch++) results.push(...(await client.callMany('calc.add', 500)));
    const counts = tally(results);
    expect(counts.heavy! + counts.light!).toBe(4_000);
    // 75 % expected; the binomial standard deviation over 4,000 requests is 0.7 %.
    expect(counts.heavy! / 4_000).toBeGreaterThan(0.7);
    expect(counts.heavy! / 4_000).toBeLessThan(0.8);
  });

  it('least-outstanding keeps requests away from an instance that answers slowly', async () => {
    const broker = await startBroker({ loadBalancing: LB_STRATEGY.LEAST_OUTSTANDING });
    await service(broker.port, 'fast');
    await service(broker.port, 'slow', { delayMs: 50 });
    const counts = tally(await (await caller(broker.port)).callClosedLoop('calc.add', 2_000, 8));
    expect(counts.fast! + counts.slow!).toBe(2_000);
    // Round-robin would send it half; two random choices see its requests pile up and pass it over.
    expect(counts.slow! / 2_000).toBeLessThan(0.1);
  });

  it('takes the strategy of a service from its rule, over the broker-wide one', async () => {
    const broker = await startBroker({
      loadBalancing: LB_STRATEGY.ROUND_ROBIN,
      services: new Map([['calc', { loadBalancing: LB_STRATEGY.WEIGHTED_RANDOM }]]),
    });
    await service(broker.port, 'only', { weight: 2 });
    expect(tally(await (await caller(broker.port)).callMany('calc.add', 10))).toEqual({ only: 10 });
    expect(broker.registry.list().find((entry) => entry.key === 'calc')?.loadBalancing).toBe('weighted-random');
  });
});
