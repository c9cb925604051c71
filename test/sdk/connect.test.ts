import { afterEach, describe, expect, it } from 'vitest';
import { Broker } from '../../src/broker/index.js';
import { ConnectError, SetupRejectedError } from '../../src/errors.js';
import { encodeFrame, ERROR_CODE, FLAG, FRAME_TYPE } from '../../src/protocol/index.js';
import { connect, type RsbClient } from '../../src/sdk/index.js';
import { RawServer } from '../support/raw-server.js';

describe('SDK connect', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  const track = <T extends { close(): Promise<void> }>(thing: T): T => {
    cleanups.push(() => thing.close());
    return thing;
  };

  it('hands each METADATA_PUSH a broker sends to onMetadataPush, with the broker it came from', async () => {
    const server = track(await RawServer.listen());
    const pushed: [string, string][] = [];
    track(await connect({ brokers: [`127.0.0.1:${server.port}`], reconnect: false, onMetadataPush: (metadata, broker) => pushed.push([metadata.toString(), broker]) }));
    server.send({ type: FRAME_TYPE.METADATA_PUSH, streamId: 0, flags: FLAG.METADATA, metadata: Buffer.from('{"specversion":"1.0"}') });
    await expect.poll(() => pushed).toEqual([['{"specversion":"1.0"}', `127.0.0.1:${server.port}`]]);
  });

  it('reports a SETUP the broker refuses as SetupRejectedError with its code', async () => {
    const server = track(
      await RawServer.listen({
        onFirstChunk: (socket) => socket.end(encodeFrame({ type: FRAME_TYPE.ERROR, streamId: 0, flags: 0, code: ERROR_CODE.REJECTED_SETUP, message: 'bad token' })),
      }),
    );
    const error = await connect({ brokers: [`127.0.0.1:${server.port}`], reconnect: false }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SetupRejectedError);
    expect(error).toMatchObject({ errorCode: ERROR_CODE.REJECTED_SETUP, message: 'connection refused with REJECTED_SETUP: bad token' });
  });

  it('gives up on a peer that never answers SETUP after the connect timeout', async () => {
    const server = track(await RawServer.listen({ isSilent: true }));
    await expect(connect({ brokers: [`127.0.0.1:${server.port}`], reconnect: false, connectTimeoutMs: 200 })).rejects.toThrow(
      `broker 127.0.0.1:${server.port} did not answer SETUP within 200 ms`,
    );
  });

  it('throws ConnectError when nothing listens, with a hint', async () => {
    const server = await RawServer.listen();
    const port = server.port;
    await server.close();
    const error = await connect({ brokers: [`127.0.0.1:${port}`], reconnect: false }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConnectError);
    expect(error).toMatchObject({ message: `could not connect to 127.0.0.1:${port}: ECONNREFUSED`, hint: expect.stringContaining('rsb start') });
  });

  it('registers with every broker and spreads requests over them round-robin', async () => {
    const brokers = [new Broker({ port: 0, id: 'a' }), new Broker({ port: 0, id: 'b' })];
    const addresses: string[] = [];
    for (const broker of brokers) {
      addresses.push(`127.0.0.1:${(await broker.start()).port}`);
      cleanups.push(() => broker.stop());
    }
    const service: RsbClient = track(await connect({ brokers: addresses, services: { calc: { ping: () => 'pong' } } }));
    expect(service.connectedBrokers).toEqual(addresses);
    expect(brokers.map((broker) => broker.registry.instanceCount)).toEqual([1, 1]);
    const caller = track(await connect({ brokers: addresses }));
    for (let i = 0; i < 10; i++) expect((await caller.requestResponse('calc.ping')).data.toString()).toBe('pong');
    expect(brokers.map((broker) => broker.stats.requestsRouted)).toEqual([5, 5]);
  });

  it('connects when one of its brokers is down, and registers there once it is up', async () => {
    const down = await RawServer.listen();
    const downPort = down.port;
    await down.close();
    const up = new Broker({ port: 0, id: 'up' });
    const upPort = (await up.start()).port;
    cleanups.push(() => up.stop());
    const service = track(
      await connect({ brokers: [`127.0.0.1:${upPort}`, `127.0.0.1:${downPort}`], services: { calc: { ping: () => 'pong' } }, reconnect: { initialDelayMs: 50, maxDelayMs: 200 } }),
    );
    expect(service.connectedBrokers).toEqual([`127.0.0.1:${upPort}`]);
    const late = new Broker({ port: downPort, id: 'late' });
    await late.start();
    cleanups.push(() => late.stop());
    await expect.poll(() => late.registry.instanceCount, { timeout: 5_000 }).toBe(1);
  });
});
