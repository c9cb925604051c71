import { afterEach, describe, expect, it } from 'vitest';
import { Broker } from '../../src/broker/index.js';
import { decodeSetupMetadata, decodeWireFrame, FLAG, FRAME_LENGTH_SIZE, FRAME_TYPE, METADATA_FORMAT, parseRoute, readWireRoute, type PayloadFrame } from '../../src/protocol/index.js';
import { bytesOf } from '../support/hex.js';
import { RawClient } from '../support/raw-client.js';
import { waitFor } from '../support/wait.js';

/*
 * Frames as the Alibaba RSocket broker's Java SDK writes them (alibaba-rsocket-core:
 * RSocketMimeType, BinaryRoutingMetadata, AppMetadata, ServiceRegistryMetadata), built
 * byte by byte here rather than with rsb's encoder: composite entries under the ids that
 * SDK reserves (0x51 application, 0x54 service registry, 0x50 binary routing).
 */

const APP_JSON = '{"name":"calc-java","uuid":"6f0c2a5e-1b1d-4a3e-9d4e-2f0b3c4d5e6f","ip":"10.0.0.9","sdk":"Alibaba-RSocket-1.1.6/1.0.0"}';
const REGISTRY_JSON = '{"published":[{"group":"","service":"com.example.Calc","version":"1.0.0"}],"subscribed":[]}';
const REQUESTER_APP_JSON = '{"name":"web-java","uuid":"0d7e4b1c-9a2f-4c3b-8e1d-7f6a5b4c3d2e"}';
const ROUTING_KEY = 'com.example.Calc.add:1.0.0';

/** A u24 as six hex digits. */
function u24(value: number): string {
  return value.toString(16).padStart(6, '0');
}

/** `| id | u24 length | content |`: one composite entry under a well-known (or reserved) id. */
function entry(idHex: string, content: Buffer): Buffer {
  return Buffer.concat([bytesOf(`${idHex} ${u24(content.length)}`), content]);
}

/** A frame as it goes on TCP: the 24-bit length prefix, then the frame (which readers count from its header, past the prefix). */
function framed(frame: Buffer): Buffer {
  return Buffer.concat([bytesOf(u24(frame.length)), frame]);
}

/** SETUP with METADATA (flags 0x100), version 1.0, keepalive 20 s, lifetime 90 s, composite metadata, JSON data. */
function alibabaSetup(metadata: Buffer): Buffer {
  const head = bytesOf(
    `00000000 | 0500 | 0001 0000 | 00004e20 | 00015f90 | 27 "message/x.rsocket.composite-metadata.v0" | 10 "application/json" | ${u24(metadata.length)}`,
  );
  return framed(Buffer.concat([head, metadata]));
}

/** 0xD1 application info (0x80 | 0x51), then 0xD4 service registry (0x80 | 0x54). */
const SERVICE_SETUP_METADATA = Buffer.concat([entry('d1', Buffer.from(APP_JSON)), entry('d4', Buffer.from(REGISTRY_JSON))]);
const REQUESTER_SETUP_METADATA = entry('d1', Buffer.from(REQUESTER_APP_JSON));

/**
 * Request metadata as the SDK sends it: the binary routing entry first (0xD0 = 0x80 | 0x50:
 * service id 0x2a, handler id 0x07, flags 0, the routing key), then its routing entry
 * (0xFE = 0x80 | 0x7E) whose tag carries the SDK's own `?sticky=1`, then the data MIME
 * type (0xFA = 0x80 | 0x7A, JSON 0x05 + 0x80).
 */
const REQUEST_METADATA = Buffer.concat([
  entry('d0', Buffer.concat([bytesOf('0000002a 00000007 00000000'), Buffer.from(ROUTING_KEY)])),
  entry('fe', Buffer.concat([Buffer.from([ROUTING_KEY.length + 9]), Buffer.from(`${ROUTING_KEY}?sticky=1`)])),
  entry('fa', bytesOf('85')),
]);

/** REQUEST_RESPONSE (type 0x04) with METADATA on stream 1: `11 00` is the type and flags. */
function alibabaRequest(data: string): Buffer {
  const head = bytesOf(`00000001 | 1100 | ${u24(REQUEST_METADATA.length)}`);
  return framed(Buffer.concat([head, REQUEST_METADATA, Buffer.from(data)]));
}

describe('the Alibaba SDK frames, byte for byte', () => {
  it('reads the application and the published services from entries 0x51 and 0x54 of SETUP', () => {
    const bytes = alibabaSetup(SERVICE_SETUP_METADATA);
    const frame = decodeWireFrame(bytes, 0, bytes.length);
    expect(frame.type).toBe(FRAME_TYPE.SETUP);
    const description = decodeSetupMetadata(frame.type === FRAME_TYPE.SETUP ? frame.metadata : null);
    expect(description.app).toMatchObject({ name: 'calc-java', uuid: '6f0c2a5e-1b1d-4a3e-9d4e-2f0b3c4d5e6f', ip: '10.0.0.9' });
    expect(description.services).toEqual([{ service: 'com.example.Calc', group: '', version: '1.0.0' }]);
  });

  it('routes on the key of the binary routing entry 0x50, read in place from the frame', () => {
    const bytes = alibabaRequest('[1,2]');
    const route = readWireRoute(bytes, FRAME_LENGTH_SIZE, bytes.length, METADATA_FORMAT.COMPOSITE);
    expect(route).toBe(ROUTING_KEY);
    expect(parseRoute(route!)).toMatchObject({ service: 'com.example.Calc', method: 'add', version: '1.0.0', serviceKey: 'com.example.Calc:1.0.0' });
  });

  it('cuts the SDK\'s own ?sticky=1&e=… off the routing key', () => {
    const content = Buffer.concat([bytesOf('0000002a 00000007 00000001'), Buffer.from(`${ROUTING_KEY}?sticky=1&e=10.0.0.9`)]);
    const metadata = entry('d0', content);
    const bytes = framed(Buffer.concat([bytesOf(`00000001 | 1100 | ${u24(metadata.length)}`), metadata]));
    expect(readWireRoute(bytes, FRAME_LENGTH_SIZE, bytes.length, METADATA_FORMAT.COMPOSITE)).toBe(ROUTING_KEY);
  });

  it('falls back to the routing entry when the binary routing entry holds ids alone (older SDKs)', () => {
    const metadata = Buffer.concat([entry('d0', bytesOf('0000002a 00000007')), entry('fe', Buffer.concat([Buffer.from([8]), Buffer.from('svc.echo')]))]);
    const bytes = framed(Buffer.concat([bytesOf(`00000001 | 1100 | ${u24(metadata.length)}`), metadata]));
    expect(readWireRoute(bytes, FRAME_LENGTH_SIZE, bytes.length, METADATA_FORMAT.COMPOSITE)).toBe('svc.echo');
  });
});

describe('Alibaba clients through the broker', () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('registers a service published under 0x54 and forwards a request routed by 0x50 to it, the frames unchanged', async () => {
    const broker = new Broker({ port: 0, id: 'b1' });
    await broker.start();
    cleanups.push(() => broker.stop());

    const service = await RawClient.connect(broker.port);
    cleanups.push(() => service.close());
    service.write(alibabaSetup(SERVICE_SETUP_METADATA));
    await waitFor(() => broker.registry.serviceCount === 1, 'the service to register');
    expect(broker.registry.list().map((summary) => summary.key)).toEqual(['com.example.Calc:1.0.0']);

    const requester = await RawClient.connect(broker.port);
    cleanups.push(() => requester.close());
    requester.write(alibabaSetup(REQUESTER_SETUP_METADATA));
    requester.write(alibabaRequest('[1,2]'));

    const forwarded = await service.waitForFrame((frame) => frame.type === FRAME_TYPE.REQUEST_RESPONSE);
    expect(forwarded.type === FRAME_TYPE.REQUEST_RESPONSE && Buffer.compare(forwarded.metadata!, REQUEST_METADATA)).toBe(0);
    service.write({ type: FRAME_TYPE.PAYLOAD, streamId: forwarded.streamId, flags: FLAG.NEXT | FLAG.COMPLETE, metadata: null, data: Buffer.from('3') });

    const answer = await requester.waitForFrame((frame): frame is PayloadFrame => frame.type === FRAME_TYPE.PAYLOAD);
    expect(answer.streamId).toBe(1);
    expect(answer.data.toString()).toBe('3');
  });
});
