import type { RSocket } from 'rsocket-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { encodeCompositeMetadata, encodeRoutingTags, ERROR_CODE, FLAG, FRAME_TYPE, MIME, type ErrorFrame, type Frame } from '../../src/protocol/index.js';
import { bytesOf } from '../support/hex.js';
import { startBrokerProcess, type RsbProcess } from '../support/processes.js';
import { RawClient } from '../support/raw-client.js';
import { connectRSocketJs, requestResponse, routed, service, waitForInstances } from '../support/rsocket-js.js';

const isConnectionError = (frame: Frame): frame is ErrorFrame => frame.type === FRAME_TYPE.ERROR && frame.streamId === 0;

/**
 * Malformed input against a live broker process: each case gets the ERROR the spec asks
 * for and that one connection is closed, while a valid client on the same broker carries on.
 */
describe('broker on bad input', () => {
  let broker: RsbProcess;
  let port: number;
  let echoService: RSocket;
  let bystander: RSocket;
  const raws: RawClient[] = [];

  const raw = async (): Promise<RawClient> => {
    const client = await RawClient.connect(port);
    raws.push(client);
    return client;
  };

  beforeAll(async () => {
    ({ broker, port } = await startBrokerProcess());
    echoService = await connectRSocketJs({
      port,
      services: [service('echo')],
      responder: {
        requestResponse(payload, subscriber) {
          subscriber.onNext({ data: payload.data }, true);
          return { cancel() {}, onExtension() {} };
        },
      },
    });
    bystander = await connectRSocketJs({ port });
    await waitForInstances(bystander, 'echo');
  });

  afterEach(async () => {
    // Whatever the last case sent, the valid client on the same broker is unaffected.
    const answer = await requestResponse(bystander, routed('echo.say', 'still here'));
    expect(answer.data!.toString()).toBe('still here');
    raws.splice(0).forEach((client) => client.close());
  });

  afterAll(async () => {
    bystander?.close();
    echoService?.close();
    expect(await broker.stop()).toBe(0);
  });

  it('answers garbage first bytes with INVALID_SETUP and closes', async () => {
    const client = await raw();
    client.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    expect(await client.waitForFrame(isConnectionError)).toMatchObject({ code: ERROR_CODE.INVALID_SETUP });
    expect(await client.isClosedWithin()).toBe(true);
  });

  it('answers a request sent before SETUP with INVALID_SETUP and closes', async () => {
    const client = await raw();
    client.write({ type: FRAME_TYPE.REQUEST_RESPONSE, streamId: 1, flags: 0, metadata: null, data: Buffer.from('x') });
    const error = await client.waitForFrame(isConnectionError);
    expect(error).toMatchObject({ code: ERROR_CODE.INVALID_SETUP });
    expect(error.message).toContain('REQUEST_RESPONSE');
    expect(await client.isClosedWithin()).toBe(true);
  });

  it('answers a frame length below the header with INVALID_SETUP before SETUP', async () => {
    const client = await raw();
    client.write(Buffer.from('000002ffff', 'hex'));
    expect(await client.waitForFrame(isConnectionError)).toMatchObject({ code: ERROR_CODE.INVALID_SETUP });
    expect(await client.isClosedWithin()).toBe(true);
  });

  it('answers a metadata length past the end of the frame with CONNECTION_ERROR and closes', async () => {
    const client = await raw();
    client.setup();
    client.write(bytesOf('00000c | 00000001 | 1100 | 0000ff | 616263'));
    const error = await client.waitForFrame(isConnectionError);
    expect(error).toMatchObject({ code: ERROR_CODE.CONNECTION_ERROR });
    expect(error.message).toMatch(/metadata length 255 runs past the end/);
    expect(await client.isClosedWithin()).toBe(true);
  });

  it('answers an unknown frame type with CONNECTION_ERROR and closes', async () => {
    const client = await raw();
    client.setup();
    client.write(bytesOf('000006 | 00000001 | 4400'));
    expect(await client.waitForFrame(isConnectionError)).toMatchObject({ code: ERROR_CODE.CONNECTION_ERROR, message: expect.stringContaining('unknown frame type 0x11') });
    expect(await client.isClosedWithin()).toBe(true);
  });

  it('ignores an unknown frame type that carries the IGNORE flag', async () => {
    const client = await raw();
    client.setup();
    client.write(bytesOf('000006 | 00000001 | 4600'));
    client.write({ type: FRAME_TYPE.KEEPALIVE, streamId: 0, flags: FLAG.RESPOND, lastReceivedPosition: 0n, data: Buffer.alloc(0) });
    await client.waitForFrame((frame) => frame.type === FRAME_TYPE.KEEPALIVE);
    expect(client.frames.some(isConnectionError)).toBe(false);
  });

  it('answers a request on stream 0 with CONNECTION_ERROR and closes', async () => {
    const client = await raw();
    client.setup();
    client.write(bytesOf('000006 | 00000000 | 1000'));
    expect(await client.waitForFrame(isConnectionError)).toMatchObject({ code: ERROR_CODE.CONNECTION_ERROR });
    expect(await client.isClosedWithin()).toBe(true);
  });

  it('answers a client request on an even stream id with CONNECTION_ERROR', async () => {
    const client = await raw();
    client.setup();
    client.write({ type: FRAME_TYPE.REQUEST_RESPONSE, streamId: 2, flags: 0, metadata: null, data: Buffer.alloc(0) });
    expect(await client.waitForFrame(isConnectionError)).toMatchObject({ code: ERROR_CODE.CONNECTION_ERROR, message: expect.stringContaining('odd') });
  });

  it('answers a request without a route with REJECTED on its stream and keeps the connection', async () => {
    const client = await raw();
    client.setup();
    client.write({ type: FRAME_TYPE.REQUEST_RESPONSE, streamId: 1, flags: 0, metadata: null, data: Buffer.from('x') });
    const error = await client.waitForFrame((frame): frame is ErrorFrame => frame.type === FRAME_TYPE.ERROR && frame.streamId === 1);
    expect(error).toMatchObject({ code: ERROR_CODE.REJECTED, message: expect.stringContaining('no route') });
    expect(await client.isClosedWithin(200)).toBe(false);
  });

  it('answers a REQUEST_STREAM with an initial N of 0 with INVALID on its stream', async () => {
    const client = await raw();
    client.setup();
    client.write(bytesOf('00000a | 00000001 | 1800 | 00000000'));
    expect(await client.waitForFrame((frame) => frame.type === FRAME_TYPE.ERROR && frame.streamId === 1)).toMatchObject({ code: ERROR_CODE.INVALID });
  });

  it('answers KEEPALIVE with the respond flag cleared and the data echoed back', async () => {
    const client = await raw();
    client.setup();
    client.write({ type: FRAME_TYPE.KEEPALIVE, streamId: 0, flags: FLAG.RESPOND, lastReceivedPosition: 42n, data: Buffer.from('ping-7') });
    expect(await client.waitForFrame((frame) => frame.type === FRAME_TYPE.KEEPALIVE)).toEqual({
      type: FRAME_TYPE.KEEPALIVE, streamId: 0, flags: 0, lastReceivedPosition: 0n, data: Buffer.from('ping-7'),
    });
  });

  it('refuses SETUP of protocol version 2 with UNSUPPORTED_SETUP', async () => {
    const client = await raw();
    client.setup({ majorVersion: 2 });
    expect(await client.waitForFrame(isConnectionError)).toMatchObject({ code: ERROR_CODE.UNSUPPORTED_SETUP });
    expect(await client.isClosedWithin()).toBe(true);
  });

  it('refuses SETUP asking for resumption with REJECTED_SETUP', async () => {
    const client = await raw();
    client.setup({ resumeToken: Buffer.from('token'), flags: FLAG.RESUME_ENABLE });
    expect(await client.waitForFrame(isConnectionError)).toMatchObject({ code: ERROR_CODE.REJECTED_SETUP });
  });

  it('refuses SETUP with the LEASE flag with UNSUPPORTED_SETUP', async () => {
    const client = await raw();
    client.setup({ flags: FLAG.LEASE });
    expect(await client.waitForFrame(isConnectionError)).toMatchObject({ code: ERROR_CODE.UNSUPPORTED_SETUP, message: expect.stringContaining('leasing') });
  });

  it('refuses SETUP with a metadata MIME type other than composite metadata', async () => {
    const client = await raw();
    client.setup({ metadataMimeType: 'application/json', metadata: null });
    expect(await client.waitForFrame(isConnectionError)).toMatchObject({ code: ERROR_CODE.UNSUPPORTED_SETUP });
  });

  it('refuses SETUP whose app info is not JSON with INVALID_SETUP', async () => {
    const client = await raw();
    client.setup({ metadata: encodeCompositeMetadata([{ mimeType: MIME.APPLICATION_INFO, content: Buffer.from('{nope') }]) });
    expect(await client.waitForFrame(isConnectionError)).toMatchObject({ code: ERROR_CODE.INVALID_SETUP, message: expect.stringContaining('not valid JSON') });
  });

  it('answers RESUME with REJECTED_RESUME', async () => {
    const client = await raw();
    client.write({ type: FRAME_TYPE.RESUME, streamId: 0, flags: 0, majorVersion: 1, minorVersion: 0, resumeToken: Buffer.from('t'), lastReceivedServerPosition: 0n, firstAvailableClientPosition: 0n });
    expect(await client.waitForFrame(isConnectionError)).toMatchObject({ code: ERROR_CODE.REJECTED_RESUME });
    expect(await client.isClosedWithin()).toBe(true);
  });

  it('ignores a second SETUP and keeps serving the connection', async () => {
    const client = await raw();
    client.setup();
    client.setup({ majorVersion: 9 });
    const metadata = encodeCompositeMetadata([{ mimeType: MIME.ROUTING, content: encodeRoutingTags(['echo.say']) }]);
    client.write({ type: FRAME_TYPE.REQUEST_RESPONSE, streamId: 1, flags: 0, metadata, data: Buffer.from('after second setup') });
    const answer = await client.waitForFrame((frame) => frame.type === FRAME_TYPE.PAYLOAD && frame.streamId === 1);
    expect(answer).toMatchObject({ data: Buffer.from('after second setup') });
    expect(client.frames.some(isConnectionError)).toBe(false);
  });

  it('routes a fragmented request whose route arrives only in its second fragment', async () => {
    const client = await raw();
    client.setup();
    const metadata = encodeCompositeMetadata([{ mimeType: MIME.ROUTING, content: encodeRoutingTags(['echo.say']) }]);
    // The routing entry is cut after 5 bytes: the rest, and then the data, come in PAYLOAD fragments.
    client.write({ type: FRAME_TYPE.REQUEST_RESPONSE, streamId: 1, flags: FLAG.FOLLOWS, metadata: metadata.subarray(0, 5), data: Buffer.alloc(0) });
    client.write({ type: FRAME_TYPE.PAYLOAD, streamId: 1, flags: FLAG.FOLLOWS, metadata: metadata.subarray(5), data: Buffer.from('frag') });
    client.write({ type: FRAME_TYPE.PAYLOAD, streamId: 1, flags: FLAG.NEXT, metadata: null, data: Buffer.from('mented') });
    const answer = await client.waitForFrame((frame) => frame.type === FRAME_TYPE.PAYLOAD && frame.streamId === 1);
    expect(answer).toMatchObject({ data: Buffer.from('fragmented') });
  });
});
