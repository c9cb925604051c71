import { afterEach, describe, expect, it } from 'vitest';
import { Broker } from '../../src/broker/index.js';
import { SetupRejectedError } from '../../src/errors.js';
import { ERROR_CODE, MAX_STREAM_ID, readWireDataStart } from '../../src/protocol/index.js';
import {
  ECHO_HANDLER,
  INTERACTION,
  LeanRequester,
  PeerConnection,
  prepareRequest,
  ResponderConnection,
  ResponderServer,
  type Interaction,
} from '../../src/transport/index.js';

interface Call {
  items: string[];
  done: Promise<{ code?: number; message?: string }>;
}

/** Lean requester with a promise per call, for tests only: the real users keep no closures per request. */
async function leanRequester(port: number, options: { firstStreamIdAfter?: number } = {}) {
  const peer = await PeerConnection.connect({ host: '127.0.0.1', port }, { onStreamFrame() {}, onConnectionLost() {} });
  type Context = { items: string[]; finish: (outcome: { code?: number; message?: string }) => void };
  const requester = new LeanRequester<Context>(
    peer,
    {
      onNext: (context, buf, start, end) => context.items.push(buf.toString('utf8', readWireDataStart(buf, start, end), end)),
      onComplete: (context) => context.finish({}),
      onError: (context, code, message) => context.finish({ code, message }),
    },
    options,
  );
  const call = (route: string, data: string, mode: Interaction = INTERACTION.REQUEST_RESPONSE, initialN?: number): Call => {
    const items: string[] = [];
    const done = new Promise<{ code?: number; message?: string }>((finish) => requester.send(prepareRequest({ route, data: Buffer.from(data), mode, initialN }), { items, finish }));
    return { items, done };
  };
  return { peer, requester, call };
}

describe('lean requester and responder', () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('talks every interaction model directly to a responder server, no broker', async () => {
    const server = await ResponderServer.listen({ host: '127.0.0.1', port: 0 }, ECHO_HANDLER);
    cleanups.push(() => server.close());
    const { peer, call } = await leanRequester(server.port);
    cleanups.push(() => peer.close());
    const single = call('any.echo', 'one');
    expect(await single.done).toEqual({});
    expect(single.items).toEqual(['one']);
    const stream = call('any.echo', 'two', INTERACTION.REQUEST_STREAM, 5);
    expect(await stream.done).toEqual({});
    expect(stream.items).toEqual(['two']);
    const channel = call('any.echo', 'three', INTERACTION.REQUEST_CHANNEL, 5);
    expect(await channel.done).toEqual({});
    expect(channel.items).toEqual(['three']);
    expect(await call('any.echo', 'four', INTERACTION.FIRE_AND_FORGET).done).toEqual({});
  });

  it('keeps working through a broker after its stream ids pass 2^31-1', async () => {
    const broker = new Broker({ port: 0 });
    await broker.start();
    cleanups.push(() => broker.stop());
    const service = await ResponderConnection.connect(
      { host: '127.0.0.1', port: broker.port, services: [{ service: 'echo', group: '', version: '' }] },
      ECHO_HANDLER,
    );
    cleanups.push(() => service.peer.close());
    const { peer, call } = await leanRequester(broker.port, { firstStreamIdAfter: MAX_STREAM_ID - 10 });
    cleanups.push(() => peer.close());
    const seen: string[] = [];
    for (let i = 0; i < 12; i++) {
      const each = call('echo.say', `n${i}`);
      expect(await each.done).toEqual({});
      seen.push(...each.items);
    }
    expect(seen).toEqual(Array.from({ length: 12 }, (_, i) => `n${i}`));
  });

  it('answers a request routed to a service while the service\'s handshake is still under way', async () => {
    const broker = new Broker({ port: 0 });
    await broker.start();
    cleanups.push(() => broker.stop());
    // settleMs holds the handshake's KEEPALIVE back: the broker registers the service at SETUP and may route to it before.
    const connecting = ResponderConnection.connect({ host: '127.0.0.1', port: broker.port, services: [{ service: 'early', group: '', version: '' }], settleMs: 500 }, ECHO_HANDLER);
    cleanups.push(async () => (await connecting).peer.close());
    const { peer, call } = await leanRequester(broker.port);
    cleanups.push(() => peer.close());
    while (broker.registry.instanceCount === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const early = call('early.echo', 'first');
    let isHandshakeDone = false;
    void connecting.then(() => (isHandshakeDone = true));
    const lost = new Promise((resolve) => setTimeout(() => resolve('no answer within 3 s'), 3_000).unref());
    expect(await Promise.race([early.done, lost])).toEqual({});
    expect(isHandshakeDone).toBe(false);
    expect(early.items).toEqual(['first']);
  });

  it('fails requests in flight with CONNECTION_ERROR when the connection is lost', async () => {
    const server = await ResponderServer.listen({ host: '127.0.0.1', port: 0 }, { handle() {} });
    cleanups.push(() => server.close());
    const { call } = await leanRequester(server.port);
    const pending = call('any.wait', 'x');
    await new Promise((resolve) => setTimeout(resolve, 50));
    await server.close();
    expect(await pending.done).toMatchObject({ code: ERROR_CODE.CONNECTION_ERROR });
  });

  it('reports a refused SETUP as SetupRejectedError with the broker\'s reason', async () => {
    const broker = new Broker({ port: 0 });
    await broker.start();
    cleanups.push(() => broker.stop());
    const attempt = PeerConnection.connect({ host: '127.0.0.1', port: broker.port, metadataMimeType: 'application/json' }, { onStreamFrame() {}, onConnectionLost() {} });
    await expect(attempt).rejects.toBeInstanceOf(SetupRejectedError);
    await expect(attempt).rejects.toMatchObject({ errorCode: ERROR_CODE.UNSUPPORTED_SETUP });
  });

  it('reports a refused TCP connection with a hint to start a broker', async () => {
    const server = await ResponderServer.listen({ host: '127.0.0.1', port: 0 }, ECHO_HANDLER);
    const port = server.port;
    await server.close();
    await expect(PeerConnection.connect({ host: '127.0.0.1', port }, { onStreamFrame() {}, onConnectionLost() {} })).rejects.toMatchObject({
      code: 'ERR_CONNECT',
      hint: expect.stringContaining('rsb start'),
    });
  });
});
