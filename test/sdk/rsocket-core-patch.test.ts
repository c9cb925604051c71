import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { ErrorCodes, RSocketConnector, RSocketError, type RSocket } from 'rsocket-core';
import { TcpClientTransport } from 'rsocket-tcp-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ERROR_CODE, FLAG, FRAME_TYPE, type Frame } from '../../src/protocol/index.js';
import { encodeRequestMetadata } from '../../src/sdk/index.js';
import { RawServer } from '../support/raw-server.js';

/**
 * patches/rsocket-core+1.0.0-alpha.3.patch, applied by `patch-package` on install
 * (postinstall): each fix shown on the installed rsocket-core, with a real client on a
 * real socket.
 */
describe('rsocket-core as patched on install', () => {
  let server: RawServer | undefined;
  let client: RSocket | undefined;

  afterEach(async () => {
    client?.close();
    await server?.close();
    server = undefined;
    client = undefined;
  });

  async function connectClient(responder: Partial<RSocket> = {}): Promise<RSocket> {
    server = await RawServer.listen();
    client = await new RSocketConnector({
      setup: { keepAlive: 60_000, lifetime: 120_000, payload: { data: null } },
      transport: new TcpClientTransport({ connectionOptions: { host: '127.0.0.1', port: server.port } }),
      responder,
    }).connect();
    await server.waitForFrame((frame) => frame.type === FRAME_TYPE.SETUP);
    return client;
  }

  it('is the patch the repository ships', () => {
    const require = createRequire(import.meta.url);
    const installed = readFileSync(require.resolve('rsocket-core/dist/ClientServerMultiplexerDemultiplexer.js'), 'utf8');
    const patch = readFileSync(new URL('../../patches/rsocket-core+1.0.0-alpha.3.patch', import.meta.url), 'utf8');
    expect(patch).toContain('+        this.streamIdSupplier.next(function (streamId) { return streamHandler.handleReady(streamId, _this); }, []);');
    expect(installed).not.toContain('Object.keys(registry)');
  });

  it('sends a request without scanning its registry of open streams (no Object.keys per request)', async () => {
    const rsocket = await connectClient();
    const subscriber = { onNext() {}, onComplete() {}, onError() {}, onExtension() {} };
    const payload = { data: Buffer.from('x'), metadata: encodeRequestMetadata('svc.echo') };
    // 2,000 requests left open: the server never answers them.
    for (let i = 0; i < 2_000; i++) rsocket.requestResponse(payload, subscriber);
    const keys = vi.spyOn(Object, 'keys');
    try {
      rsocket.requestResponse(payload, subscriber);
      const scans = keys.mock.calls.filter(([target]) => target !== null && typeof target === 'object' && Reflect.ownKeys(target).length >= 2_000);
      expect(scans).toEqual([]);
    } finally {
      keys.mockRestore();
    }
    // The request did go out: stream 4001 is the 2,001st odd id.
    await server!.waitForFrame((frame) => frame.type === FRAME_TYPE.REQUEST_RESPONSE && frame.streamId === 4_001);
  });

  it('decodes an inbound METADATA_PUSH, hands it to the responder, and keeps the connection', async () => {
    const pushed: Buffer[] = [];
    await connectClient({
      metadataPush(metadata, subscriber) {
        pushed.push(metadata);
        subscriber.onComplete();
      },
    });
    server!.send({ type: FRAME_TYPE.METADATA_PUSH, streamId: 0, flags: FLAG.METADATA, metadata: Buffer.from('{"type":"brokers"}') });
    await expect.poll(() => pushed.map(String)).toEqual(['{"type":"brokers"}']);
    // Still connected: a KEEPALIVE asking for an answer gets one.
    server!.send({ type: FRAME_TYPE.KEEPALIVE, streamId: 0, flags: FLAG.RESPOND, lastReceivedPosition: 0n, data: Buffer.from('ping') });
    const answer = await server!.waitForFrame((frame) => frame.type === FRAME_TYPE.KEEPALIVE && (frame.flags & FLAG.RESPOND) === 0);
    expect(String((answer as Extract<Frame, { type: 3 }>).data)).toBe('ping');
  });

  it('sends METADATA_PUSH from the requester instead of throwing "Method not implemented"', async () => {
    const rsocket = await connectClient();
    await new Promise<void>((resolve, reject) => rsocket.metadataPush(Buffer.from('event'), { onComplete: resolve, onError: reject }));
    const frame = await server!.waitForFrame((candidate) => candidate.type === FRAME_TYPE.METADATA_PUSH);
    expect(frame).toMatchObject({ streamId: 0, flags: FLAG.METADATA, metadata: Buffer.from('event') });
  });

  it('makes RSocketError an RSocketError, so a responder that rejects sends REJECTED, not APPLICATION_ERROR', async () => {
    expect(new RSocketError(ErrorCodes.REJECTED, 'busy')).toBeInstanceOf(RSocketError);
    await connectClient({
      requestResponse(_payload, subscriber) {
        subscriber.onError(new RSocketError(ErrorCodes.REJECTED, 'busy'));
        return { cancel() {}, onExtension() {} };
      },
    });
    // The server asks the client (even stream id: server-initiated).
    server!.send({ type: FRAME_TYPE.REQUEST_RESPONSE, streamId: 2, flags: 0, metadata: null, data: Buffer.from('?') });
    const error = await server!.waitForFrame((frame) => frame.type === FRAME_TYPE.ERROR && frame.streamId === 2);
    expect(error).toMatchObject({ code: ERROR_CODE.REJECTED, message: 'busy' });
  });
});
