import { afterEach, describe, expect, it } from 'vitest';
import { Broker } from '../../src/broker/index.js';
import { encodeCompositeMetadata, encodeRoutingTags, ERROR_CODE, FLAG, FRAME_TYPE, MAX_STREAM_ID, MIME, type ErrorFrame, type Frame } from '../../src/protocol/index.js';
import { startBrokerProcess } from '../support/processes.js';
import { RawClient } from '../support/raw-client.js';

const isConnectionError = (frame: Frame): frame is ErrorFrame => frame.type === FRAME_TYPE.ERROR && frame.streamId === 0;
const route = (name: string) => encodeCompositeMetadata([{ mimeType: MIME.ROUTING, content: encodeRoutingTags([name]) }]);

describe('broker limits', () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function raw(port: number): Promise<RawClient> {
    const client = await RawClient.connect(port);
    cleanups.push(() => client.close());
    return client;
  }

  it('refuses connections past --max-connections with REJECTED_SETUP and keeps serving the others', async () => {
    const { broker, port } = await startBrokerProcess(['--max-connections', '2']);
    cleanups.push(() => broker.stop());
    const first = await raw(port);
    const second = await raw(port);
    first.setup();
    second.setup();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const third = await raw(port);
    const refusal = await third.waitForFrame(isConnectionError);
    expect(refusal).toMatchObject({ code: ERROR_CODE.REJECTED_SETUP, message: expect.stringContaining('limit of 2 connections') });
    expect(await third.isClosedWithin()).toBe(true);
    first.write({ type: FRAME_TYPE.KEEPALIVE, streamId: 0, flags: FLAG.RESPOND, lastReceivedPosition: 0n, data: Buffer.alloc(0) });
    await first.waitForFrame((frame) => frame.type === FRAME_TYPE.KEEPALIVE);
  });

  it('ends a connection whose frame exceeds --max-frame-size with CONNECTION_ERROR', async () => {
    const { broker, port } = await startBrokerProcess(['--max-frame-size', '1024']);
    cleanups.push(() => broker.stop());
    const client = await raw(port);
    client.setup();
    client.write({ type: FRAME_TYPE.REQUEST_FNF, streamId: 1, flags: 0, metadata: route('svc.x'), data: Buffer.alloc(2048) });
    expect(await client.waitForFrame(isConnectionError)).toMatchObject({ code: ERROR_CODE.CONNECTION_ERROR, message: expect.stringContaining('exceeds the limit of 1024') });
    expect(await client.isClosedWithin()).toBe(true);
  });

  it('refuses a first frame larger than --max-frame-size as soon as its length arrives', async () => {
    const { broker, port } = await startBrokerProcess(['--max-frame-size', '1024']);
    cleanups.push(() => broker.stop());
    const client = await raw(port);
    client.write(Buffer.from('ffffff', 'hex'));
    expect(await client.waitForFrame(isConnectionError)).toMatchObject({ code: ERROR_CODE.INVALID_SETUP });
  });

  it('closes a connection that sends no SETUP within --setup-timeout', async () => {
    const { broker, port } = await startBrokerProcess(['--setup-timeout', '300ms']);
    cleanups.push(() => broker.stop());
    const client = await raw(port);
    client.write(Buffer.from('00', 'hex'));
    expect(await client.waitForFrame(isConnectionError, 5_000)).toMatchObject({ code: ERROR_CODE.INVALID_SETUP, message: expect.stringContaining('no SETUP within 300 ms') });
  });

  it('keeps routing to a service after the broker\'s stream ids for it pass 2^31-1', async () => {
    const broker = new Broker({ port: 0, firstStreamIdAfter: MAX_STREAM_ID - 7 });
    await broker.start();
    cleanups.push(() => broker.stop());
    const service = await raw(broker.port);
    service.setup({}, ['echo']);
    const client = await raw(broker.port);
    client.setup();
    await expect.poll(() => broker.registry.instanceCount).toBe(1);
    const idsSeenByService: number[] = [];
    for (let i = 0; i < 6; i++) {
      const streamId = 2 * i + 1;
      client.write({ type: FRAME_TYPE.REQUEST_RESPONSE, streamId, flags: 0, metadata: route('echo.say'), data: Buffer.from(`n${i}`) });
      const request = await service.waitForFrame((frame) => frame.type === FRAME_TYPE.REQUEST_RESPONSE && !idsSeenByService.includes(frame.streamId));
      idsSeenByService.push(request.streamId);
      service.write({ type: FRAME_TYPE.PAYLOAD, streamId: request.streamId, flags: FLAG.NEXT | FLAG.COMPLETE, metadata: null, data: Buffer.from(`n${i}`) });
      expect(await client.waitForFrame((frame) => frame.type === FRAME_TYPE.PAYLOAD && frame.streamId === streamId)).toMatchObject({ data: Buffer.from(`n${i}`) });
    }
    expect(idsSeenByService).toEqual([MAX_STREAM_ID - 5, MAX_STREAM_ID - 3, MAX_STREAM_ID - 1, 2, 4, 6]);
  });
});
