import { describe, expect, it } from 'vitest';
import {
  decodeCompositeMetadata,
  decodeWireFrame,
  encodeCompositeMetadata,
  encodeFrame,
  encodeRoutingTags,
  ERROR_CODE,
  FLAG,
  FRAME_TYPE,
  type Frame,
} from '../../src/protocol/index.js';
import { bytesOf } from '../support/hex.js';

// The byte-exact vectors of the team's wire notes (docs/wire.md, "Vectors"), each checked
// against rsocket-core 1.0.0-alpha.3 and, for the first three, a capture of a Java client.
const route = (name: string) => encodeCompositeMetadata([{ mimeType: 'message/x.rsocket.routing.v0', content: encodeRoutingTags([name]) }]);

const VECTORS: { name: string; hex: string; frame: Frame }[] = [
  {
    name: 'SETUP 1.0 with composite metadata and JSON data',
    hex: '00004b | 00000000 | 0400 | 0001 0000 | 00004e20 | 00015f90 | 27 "message/x.rsocket.composite-metadata.v0" | 10 "application/json"',
    frame: {
      type: FRAME_TYPE.SETUP, streamId: 0, flags: 0, majorVersion: 1, minorVersion: 0, keepAlive: 20_000, lifetime: 90_000,
      resumeToken: null, metadataMimeType: 'message/x.rsocket.composite-metadata.v0', dataMimeType: 'application/json',
      metadata: null, data: Buffer.alloc(0),
    },
  },
  {
    name: 'REQUEST_RESPONSE on stream 1 routed to add',
    hex: '000021 | 00000001 | 1100 | 000008 | fe 000004 03 616464 | 7b2278223a31302c202279223a32307d',
    frame: { type: FRAME_TYPE.REQUEST_RESPONSE, streamId: 1, flags: FLAG.METADATA, metadata: route('add'), data: Buffer.from('{"x":10, "y":20}') },
  },
  {
    name: 'PAYLOAD on stream 1 with NEXT and COMPLETE',
    hex: '000013 | 00000001 | 2860 | 7b22726573756c74223a33307d',
    frame: { type: FRAME_TYPE.PAYLOAD, streamId: 1, flags: FLAG.NEXT | FLAG.COMPLETE, metadata: null, data: Buffer.from('{"result":30}') },
  },
  {
    name: 'REQUEST_STREAM on stream 3 with initial N 16',
    hex: '00001c | 00000003 | 1900 | 00000010 | 00000d | fe000009087376632e6563686f | 6869',
    frame: { type: FRAME_TYPE.REQUEST_STREAM, streamId: 3, flags: FLAG.METADATA, requestN: 16, metadata: route('svc.echo'), data: Buffer.from('hi') },
  },
  {
    name: 'REQUEST_FNF on stream 7',
    hex: '000017 | 00000007 | 1500 | 00000d | fe000009087376632e6563686f | 78',
    frame: { type: FRAME_TYPE.REQUEST_FNF, streamId: 7, flags: FLAG.METADATA, metadata: route('svc.echo'), data: Buffer.from('x') },
  },
  {
    name: 'ERROR REJECTED on stream 5',
    hex: '000024 | 00000005 | 2c00 | 00000202 | 6e6f20696e7374616e6365206f66207365727669636520737663',
    frame: { type: FRAME_TYPE.ERROR, streamId: 5, flags: 0, code: ERROR_CODE.REJECTED, message: 'no instance of service svc' },
  },
  {
    name: 'KEEPALIVE with the respond flag',
    hex: '00000e | 00000000 | 0c80 | 0000000000000000',
    frame: { type: FRAME_TYPE.KEEPALIVE, streamId: 0, flags: FLAG.RESPOND, lastReceivedPosition: 0n, data: Buffer.alloc(0) },
  },
  {
    name: 'REQUEST_N on stream 3 for 8',
    hex: '00000a | 00000003 | 2000 | 00000008',
    frame: { type: FRAME_TYPE.REQUEST_N, streamId: 3, flags: 0, requestN: 8 },
  },
  {
    name: 'CANCEL on stream 3',
    hex: '000006 | 00000003 | 2400',
    frame: { type: FRAME_TYPE.CANCEL, streamId: 3, flags: 0 },
  },
  {
    name: 'METADATA_PUSH of {}',
    hex: '000008 | 00000000 | 3100 | 7b7d',
    frame: { type: FRAME_TYPE.METADATA_PUSH, streamId: 0, flags: FLAG.METADATA, metadata: Buffer.from('{}') },
  },
];

describe('wire vectors', () => {
  for (const vector of VECTORS) {
    it(`encodes ${vector.name} byte for byte`, () => {
      expect(encodeFrame(vector.frame).toString('hex')).toBe(bytesOf(vector.hex).toString('hex'));
    });

    it(`decodes ${vector.name} into its fields`, () => {
      expect(decodeWireFrame(bytesOf(vector.hex))).toEqual(vector.frame);
    });
  }

  it('encodes composite metadata holding only the route svc.echo', () => {
    expect(route('svc.echo')).toEqual(bytesOf('fe | 000009 | 08 7376632e6563686f'));
  });

  it('encodes a custom MIME entry with its length minus one in the first byte', () => {
    const expected = bytesOf('21 | "message/x.rsocket.application+json" | 000002 | 7b7d');
    expect(encodeCompositeMetadata([{ mimeType: 'message/x.rsocket.application+json', content: Buffer.from('{}') }])).toEqual(expected);
    expect(decodeCompositeMetadata(expected)).toEqual([
      { mimeType: 'message/x.rsocket.application+json', mimeId: null, content: Buffer.from('{}') },
    ]);
  });
});
