import { afterEach, describe, expect, it } from 'vitest';
import { Broker } from '../../src/broker/index.js';
import { ConnectionClosedError } from '../../src/errors.js';
import { connect, type RsbClient } from '../../src/sdk/index.js';
import { waitFor } from '../support/wait.js';

function instancesOf(broker: Broker, key: string): number {
  return broker.registry.list().find((entry) => entry.key === key)?.instances.length ?? 0;
}

/** The SDK (rsocket-js, patched to hear METADATA_PUSH) against brokers that push their cluster's list. */
describe('SDK on a cluster', () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function startCluster(count: number): Promise<Broker[]> {
    const brokers: Broker[] = [];
    for (let index = 0; index < count; index++) {
      const broker = new Broker({ port: 0, id: `sdk-${index + 1}` });
      await broker.start();
      brokers.push(broker);
      cleanups.push(() => broker.stop());
    }
    const list = brokers.map((broker) => ({ id: broker.id, host: '127.0.0.1', port: broker.port }));
    for (const broker of brokers) broker.membership.update({ name: 'sdk', brokers: list });
    return brokers;
  }

  async function connectClient(options: Parameters<typeof connect>[0]): Promise<RsbClient> {
    const client = await connect({ reconnect: { initialDelayMs: 20, maxDelayMs: 200 }, ...options });
    cleanups.push(() => client.close());
    return client;
  }

  it('registers a program\'s services on every broker when given the address of one', async () => {
    const brokers = await startCluster(3);
    const service = await connectClient({ brokers: [`127.0.0.1:${brokers[2]!.port}`], services: { calc: { twice: (request) => request.data.toString().repeat(2) } } });
    await waitFor(() => brokers.every((broker) => instancesOf(broker, 'calc') === 1), 'calc on every broker');
    expect(service.brokers.map((broker) => broker.id).sort()).toEqual(['sdk-1', 'sdk-2', 'sdk-3']);
  });

  it('spreads calls over the brokers, and keeps calling through the others when one stops', async () => {
    const brokers = await startCluster(3);
    await connectClient({ brokers: brokers.map((broker) => `127.0.0.1:${broker.port}`), services: { calc: { twice: (request) => request.data.toString().repeat(2) } } });
    const caller = await connectClient({ brokers: [`127.0.0.1:${brokers[0]!.port}`] });
    await waitFor(() => caller.connectedBrokers.length === 3, 'the caller on every broker');
    for (let i = 0; i < 6; i++) expect((await caller.requestResponse('calc.twice', 'ab')).data.toString()).toBe('abab');
    expect(brokers.map((broker) => broker.stats.requestsRouted)).toEqual([2, 2, 2]);
    await brokers[1]!.stop();
    await waitFor(() => caller.connectedBrokers.length === 2, 'the caller to see the broker gone');
    for (let i = 0; i < 6; i++) expect((await caller.requestResponse('calc.twice', 'cd')).data.toString()).toBe('cdcd');
    expect(brokers[1]!.stats.requestsRouted).toBe(2);
  });

  it('ends a call in flight on a broker that stops with an error, not a hang', async () => {
    const brokers = await startCluster(2);
    await connectClient({ brokers: [`127.0.0.1:${brokers[0]!.port}`], services: { slow: { never: () => new Promise(() => {}) } } });
    await waitFor(() => brokers.every((broker) => instancesOf(broker, 'slow') === 1), 'slow on both brokers');
    const caller = await connectClient({ brokers: [`127.0.0.1:${brokers[1]!.port}`], followBrokerList: false, timeoutMs: 0 });
    const outcome = caller.requestResponse('slow.never', 'x').catch((error: unknown) => error);
    await waitFor(() => brokers[1]!.stats.requestsRouted === 1, 'the call to be routed');
    await brokers[1]!.stop();
    expect(await outcome).toBeInstanceOf(ConnectionClosedError);
  });

  it('keeps to the brokers given when told not to follow the list', async () => {
    const brokers = await startCluster(2);
    const caller = await connectClient({ brokers: [`127.0.0.1:${brokers[0]!.port}`], followBrokerList: false });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(caller.brokers.map((broker) => broker.name)).toEqual([`127.0.0.1:${brokers[0]!.port}`]);
    expect(caller.brokers[0]!.id).toBe('sdk-1');
  });
});
