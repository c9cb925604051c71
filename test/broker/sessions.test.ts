import type { RSocket } from 'rsocket-core';
import { afterEach, describe, expect, it } from 'vitest';
import { Broker } from '../../src/broker/index.js';
import { encodeCompositeMetadata, encodeRoutingTags, ERROR_CODE, FLAG, FRAME_TYPE, MIME } from '../../src/protocol/index.js';
import { startBrokerProcess } from '../support/processes.js';
import { RawClient } from '../support/raw-client.js';
import { connectRSocketJs, requestResponse, routed, service, waitForInstances } from '../support/rsocket-js.js';

const route = (name: string) => encodeCompositeMetadata([{ mimeType: MIME.ROUTING, content: encodeRoutingTags([name]) }]);

/** Session life on a broker in this process, on real loopback sockets. */
describe('broker sessions', () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function startBroker(options: ConstructorParameters<typeof Broker>[0] = {}): Promise<Broker> {
    const broker = new Broker({ port: 0, id: 'test', ...options });
    await broker.start();
    cleanups.push(() => broker.stop());
    return broker;
  }

  async function rsocket(options: Parameters<typeof connectRSocketJs>[0]): Promise<RSocket> {
    const socket = await connectRSocketJs(options);
    cleanups.push(() => socket.close());
    return socket;
  }

  async function raw(port: number): Promise<RawClient> {
    const client = await RawClient.connect(port);
    cleanups.push(() => client.close());
    return client;
  }

  it('balances requests round-robin over the instances of a service', async () => {
    const broker = await startBroker();
    const answering = (name: string) => ({
      requestResponse(_: unknown, subscriber: { onNext(p: { data: Buffer }, c: boolean): void }) {
        subscriber.onNext({ data: Buffer.from(name) }, true);
        return { cancel() {}, onExtension() {} };
      },
    });
    await rsocket({ port: broker.port, services: [service('svc')], responder: answering('a') as never });
    await rsocket({ port: broker.port, services: [service('svc')], responder: answering('b') as never });
    const caller = await rsocket({ port: broker.port });
    await waitForInstances(caller, 'svc', 2);
    const answers: string[] = [];
    for (let i = 0; i < 6; i++) answers.push((await requestResponse(caller, routed('svc.who', ''))).data!.toString());
    expect(answers.filter((name) => name === 'a')).toHaveLength(3);
    expect(answers.filter((name) => name === 'b')).toHaveLength(3);
  });

  it('answers APPLICATION_ERROR when the service leaves before answering, and unregisters it', async () => {
    const broker = await startBroker();
    const silent = await raw(broker.port);
    silent.setup({}, ['slow']);
    const caller = await rsocket({ port: broker.port });
    await waitForInstances(caller, 'slow');
    const pending = requestResponse(caller, routed('slow.wait', 'x')).then(
      () => ({ code: 0, message: 'answered' }),
      (error: Error & { code: number }) => error,
    );
    await silent.waitForFrame((frame) => frame.type === FRAME_TYPE.REQUEST_RESPONSE);
    silent.close();
    const error = await pending;
    expect(error.code).toBe(ERROR_CODE.APPLICATION_ERROR);
    expect(error.message).toContain('disconnected before it finished');
    await expect.poll(() => broker.registry.instanceCount).toBe(0);
  });

  /** A raw requester with one request-stream open on a raw `feed` service, through a broker. */
  async function openFeedStream() {
    const broker = await startBroker();
    const streamer = await raw(broker.port);
    streamer.setup({}, ['feed']);
    const requester = await raw(broker.port);
    requester.setup();
    await expect.poll(() => broker.registry.instanceCount).toBe(1);
    requester.write({ type: FRAME_TYPE.REQUEST_STREAM, streamId: 1, flags: 0, requestN: 10, metadata: route('feed.ticks'), data: Buffer.alloc(0) });
    const request = await streamer.waitForFrame((frame) => frame.type === FRAME_TYPE.REQUEST_STREAM);
    return { broker, streamer, requester, request };
  }

  it('cancels the stream at the service when the requester disconnects', async () => {
    const { streamer, requester, request } = await openFeedStream();
    requester.close();
    expect(await streamer.waitForFrame((frame) => frame.type === FRAME_TYPE.CANCEL)).toMatchObject({ streamId: request.streamId });
  });

  it('forgets a stream exactly when it ends', async () => {
    const { broker, streamer, requester, request } = await openFeedStream();
    const [serviceSession] = [...broker.sessions].filter((session) => session.services.length > 0);
    streamer.write({ type: FRAME_TYPE.PAYLOAD, streamId: request.streamId, flags: FLAG.NEXT, metadata: null, data: Buffer.from('1') });
    await requester.waitForFrame((frame) => frame.type === FRAME_TYPE.PAYLOAD);
    expect(serviceSession!.servedCount).toBe(1);
    streamer.write({ type: FRAME_TYPE.PAYLOAD, streamId: request.streamId, flags: FLAG.COMPLETE, metadata: null, data: Buffer.alloc(0) });
    await expect.poll(() => serviceSession!.servedCount).toBe(0);
  });

  it('closes a connection that sends no SETUP within the setup timeout', async () => {
    const broker = await startBroker({ setupTimeoutMs: 500 });
    const idle = await raw(broker.port);
    const error = await idle.waitForFrame((frame) => frame.type === FRAME_TYPE.ERROR, 4_000);
    expect(error).toMatchObject({ streamId: 0, code: ERROR_CODE.INVALID_SETUP });
    expect(await idle.isClosedWithin()).toBe(true);
  });

  it('drops a connection silent past its SETUP lifetime and removes its instances', async () => {
    const broker = await startBroker();
    const quiet = await raw(broker.port);
    quiet.setup({ keepAlive: 500, lifetime: 1_000 }, ['quiet']);
    await expect.poll(() => broker.registry.instanceCount).toBe(1);
    const error = await quiet.waitForFrame((frame) => frame.type === FRAME_TYPE.ERROR, 6_000);
    expect(error).toMatchObject({ streamId: 0, code: ERROR_CODE.CONNECTION_ERROR, message: expect.stringContaining('lifetime') });
    await expect.poll(() => broker.registry.instanceCount).toBe(0);
  });

  it('stops reading from a requester while the service it feeds does not read, and resumes after', async () => {
    const broker = await startBroker();
    const stalled = await raw(broker.port);
    stalled.setup({}, ['sink']);
    stalled.socket.pause();
    const pusher = await raw(broker.port);
    pusher.setup();
    await expect.poll(() => broker.registry.instanceCount).toBe(1);
    const [pusherSession] = [...broker.sessions].filter((session) => session.services.length === 0);
    const [sinkSession] = [...broker.sessions].filter((session) => session.services.length > 0);
    const payload = Buffer.alloc(64 * 1024, 1);
    for (let i = 0; i < 400; i++) {
      pusher.write({ type: FRAME_TYPE.REQUEST_FNF, streamId: 2 * i + 1, flags: 0, metadata: route('sink.take'), data: payload });
    }
    await expect.poll(() => pusherSession!.connection.socket.isPaused(), { timeout: 5_000 }).toBe(true);
    // Bounded: the high-water mark plus what was in flight when reading stopped.
    expect(sinkSession!.connection.bufferedBytes).toBeLessThan(16 * 1024 * 1024);
    stalled.socket.resume();
    await expect.poll(() => pusherSession!.connection.socket.isPaused(), { timeout: 10_000 }).toBe(false);
    await expect.poll(() => broker.stats.requestsRouted, { timeout: 10_000 }).toBe(400);
  });
});

describe('rsb start process', () => {
  it('tells its clients it is closing on SIGTERM and exits 0', async () => {
    const { broker, port } = await startBrokerProcess();
    const client = await RawClient.connect(port);
    client.setup();
    client.write({ type: FRAME_TYPE.KEEPALIVE, streamId: 0, flags: FLAG.RESPOND, lastReceivedPosition: 0n, data: Buffer.alloc(0) });
    await client.waitForFrame((frame) => frame.type === FRAME_TYPE.KEEPALIVE);
    const exitCode = broker.stop('SIGTERM');
    expect(await client.waitForFrame((frame) => frame.type === FRAME_TYPE.ERROR)).toMatchObject({ streamId: 0, code: ERROR_CODE.CONNECTION_CLOSE });
    expect(await client.isClosedWithin()).toBe(true);
    expect(await exitCode).toBe(0);
    expect(broker.stdout).toMatch(/stopping on SIGTERM/);
  });

  it('names the port in use when it cannot listen, and exits non-zero', async () => {
    const { broker, port } = await startBrokerProcess();
    try {
      const second = await import('../support/processes.js').then(({ runRsb }) => runRsb(['start', '--port', String(port)]));
      expect(second.code).not.toBe(0);
      expect(second.stderr).toContain(`127.0.0.1:${port}`);
      expect(second.stderr).toContain('EADDRINUSE');
    } finally {
      await broker.stop();
    }
  });
});
