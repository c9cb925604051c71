import { describe, expect, it } from 'vitest';
import {
  decodeAuthentication,
  decodeCompositeMetadata,
  decodeRoutingTags,
  encodeAuthentication,
  encodeCompositeMetadata,
  encodeRoutingTags,
  FLAG,
  FRAME_TYPE,
  METADATA_FORMAT,
  parseRoute,
  PROTOCOL_ERROR_CODE,
  readWireErrorCode,
  readWireFlags,
  readWireFrameType,
  readWireRequestN,
  readWireRoute,
  readWireStreamId,
  writeWireStreamId,
  decodeFrame,
  encodeFrameBody,
} from '../../src/protocol/index.js';

const routing = (...tags: string[]) => ({ mimeType: 'message/x.rsocket.routing.v0', content: encodeRoutingTags(tags) });

describe('composite metadata', () => {
  it('round-trips well-known, custom and id-only entries', () => {
    const metadata = encodeCompositeMetadata([
      routing('svc.echo'),
      { mimeType: 'message/x.rsocket.application+json', content: Buffer.from('{"name":"a"}') },
      { mimeType: 0x05, content: Buffer.from('{}') },
    ]);
    expect(decodeCompositeMetadata(metadata)).toEqual([
      { mimeType: 'message/x.rsocket.routing.v0', mimeId: 0x7e, content: encodeRoutingTags(['svc.echo']) },
      { mimeType: 'message/x.rsocket.application+json', mimeId: null, content: Buffer.from('{"name":"a"}') },
      { mimeType: 'application/json', mimeId: 0x05, content: Buffer.from('{}') },
    ]);
  });

  it('rejects an entry whose content length runs past the metadata', () => {
    expect(() => decodeCompositeMetadata(Buffer.from('fe0000ff08', 'hex'))).toThrowError(
      expect.objectContaining({ code: PROTOCOL_ERROR_CODE.COMPOSITE_METADATA }),
    );
  });
});

describe('routing metadata and routes', () => {
  it('round-trips several tags', () => {
    expect(decodeRoutingTags(encodeRoutingTags(['svc.echo', 'tag-2', 'ünï']))).toEqual(['svc.echo', 'tag-2', 'ünï']);
  });

  it('takes the service as everything before the last dot', () => {
    expect(parseRoute('com.acme.Users.find')).toMatchObject({ service: 'com.acme.Users', method: 'find', serviceKey: 'com.acme.Users' });
  });

  it('reads the Alibaba form group!service.method:version', () => {
    expect(parseRoute('blue!com.acme.Users.find:1.2.0')).toEqual({
      route: 'blue!com.acme.Users.find:1.2.0', service: 'com.acme.Users', method: 'find', group: 'blue', version: '1.2.0',
      serviceKey: 'blue!com.acme.Users:1.2.0',
    });
  });

  it('rejects a route with no method', () => {
    for (const bad of ['svc', 'svc.', '.echo', 'g!svc:1']) {
      expect(() => parseRoute(bad)).toThrowError(expect.objectContaining({ code: PROTOCOL_ERROR_CODE.ROUTING_METADATA }));
    }
  });
});

describe('authentication metadata', () => {
  it('round-trips bearer, simple and custom forms', () => {
    for (const auth of [
      { type: 'bearer', token: 'eyJhbGciOi.x.y' },
      { type: 'simple', username: 'üser', password: 'pa:ss' },
      { type: 'custom', authType: 'x-api-key', payload: Buffer.from('k') },
      { type: 'custom', authType: 0x05, payload: Buffer.from('k') },
    ] as const) {
      expect(decodeAuthentication(encodeAuthentication(auth))).toEqual(auth);
    }
  });

  it('writes bearer as 0x81 followed by the token', () => {
    expect(encodeAuthentication({ type: 'bearer', token: 'abc' })).toEqual(Buffer.from('81616263', 'hex'));
  });

  it('rejects a simple form whose username runs past the end', () => {
    expect(() => decodeAuthentication(Buffer.from('8000ff61', 'hex'))).toThrowError(
      expect.objectContaining({ code: PROTOCOL_ERROR_CODE.AUTH_METADATA }),
    );
  });
});

describe('header-only readers', () => {
  const metadata = encodeCompositeMetadata([
    { mimeType: 'message/x.rsocket.application+json', content: Buffer.from('{}') },
    routing('svc.echo', 'second'),
  ]);
  const stream = encodeFrameBody({ type: FRAME_TYPE.REQUEST_STREAM, streamId: 9, flags: FLAG.METADATA, requestN: 16, metadata, data: Buffer.from('hi') });

  it('reads stream id, type, flags and initial request N without decoding the frame', () => {
    expect(readWireStreamId(stream, 0)).toBe(9);
    expect(readWireFrameType(stream, 0)).toBe(FRAME_TYPE.REQUEST_STREAM);
    expect(readWireFlags(stream, 0)).toBe(FLAG.METADATA);
    expect(readWireRequestN(stream, 0, stream.length)).toBe(16);
  });

  it('reads the route past a custom MIME entry in composite metadata', () => {
    expect(readWireRoute(stream, 0, stream.length, METADATA_FORMAT.COMPOSITE)).toBe('svc.echo');
  });

  it('reads the route of a frame that sits at an offset inside a larger buffer', () => {
    const padded = Buffer.concat([Buffer.alloc(7, 0xaa), stream, Buffer.alloc(5, 0xbb)]);
    expect(readWireRoute(padded, 7, 7 + stream.length, METADATA_FORMAT.COMPOSITE)).toBe('svc.echo');
  });

  it('reads the route of a custom-MIME routing entry spelled out in full', () => {
    const spelled = encodeCompositeMetadata([{ mimeType: 0x05, content: Buffer.from('{}') }]);
    const tags = encodeRoutingTags(['a.b']);
    const length = Buffer.from([0, 0, tags.length]);
    const custom = Buffer.concat([spelled, Buffer.from([27]), Buffer.from('message/x.rsocket.routing.v0'), length, tags]);
    const frame = encodeFrameBody({ type: FRAME_TYPE.REQUEST_FNF, streamId: 1, flags: 0, metadata: custom, data: Buffer.alloc(0) });
    expect(readWireRoute(frame, 0, frame.length, METADATA_FORMAT.COMPOSITE)).toBe('a.b');
  });

  it('reads the route from plain routing metadata', () => {
    const frame = encodeFrameBody({ type: FRAME_TYPE.REQUEST_RESPONSE, streamId: 1, flags: 0, metadata: encodeRoutingTags(['x.y']), data: Buffer.alloc(0) });
    expect(readWireRoute(frame, 0, frame.length, METADATA_FORMAT.ROUTING)).toBe('x.y');
  });

  it('returns null for a request without metadata or without a routing entry', () => {
    const bare = encodeFrameBody({ type: FRAME_TYPE.REQUEST_RESPONSE, streamId: 1, flags: 0, metadata: null, data: Buffer.from('x') });
    expect(readWireRoute(bare, 0, bare.length, METADATA_FORMAT.COMPOSITE)).toBeNull();
    const noRoute = encodeFrameBody({
      type: FRAME_TYPE.REQUEST_RESPONSE, streamId: 1, flags: 0, metadata: encodeCompositeMetadata([{ mimeType: 0x05, content: Buffer.from('{}') }]), data: Buffer.alloc(0),
    });
    expect(readWireRoute(noRoute, 0, noRoute.length, METADATA_FORMAT.COMPOSITE)).toBeNull();
  });

  it('rejects a frame whose metadata length runs past its end', () => {
    const broken = Buffer.from(stream);
    broken.writeUIntBE(0xffff, 6 + 4, 3);
    expect(() => readWireRoute(broken, 0, broken.length, METADATA_FORMAT.COMPOSITE)).toThrowError(
      expect.objectContaining({ code: PROTOCOL_ERROR_CODE.METADATA_LENGTH }),
    );
  });

  it('rewrites the stream id in place and leaves every other byte alone', () => {
    const copy = Buffer.from(stream);
    writeWireStreamId(copy, 0, 0x7ffffffe);
    expect(decodeFrame(copy)).toEqual({ ...decodeFrame(stream), streamId: 0x7ffffffe });
  });

  it('reads the code of an ERROR frame', () => {
    const error = encodeFrameBody({ type: FRAME_TYPE.ERROR, streamId: 3, flags: 0, code: 0x202, message: 'no' });
    expect(readWireErrorCode(error, 0, error.length)).toBe(0x202);
  });
});
