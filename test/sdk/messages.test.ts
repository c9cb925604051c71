import { decodeCompositeMetadata as decodeWithRSocketJs, decodeRoutes, WellKnownMimeType } from 'rsocket-composite-metadata';
import { describe, expect, it } from 'vitest';
import { decodeDataMimeType, encodeDataMimeType, MIME } from '../../src/protocol/index.js';
import { decodeRequestMetadata, encodeRequestMetadata } from '../../src/sdk/index.js';
import { toPayload } from '../../src/sdk/messages.js';

describe('request metadata', () => {
  it('puts the route first, where the broker and rsocket-composite-metadata read it', () => {
    const metadata = encodeRequestMetadata('svc.echo', { headers: { tenant: 'acme' }, dataMimeType: 'application/json' });
    const entries = [...decodeWithRSocketJs(metadata)];
    expect(entries[0]!.mimeType).toBe(WellKnownMimeType.MESSAGE_RSOCKET_ROUTING.string);
    expect([...decodeRoutes(entries[0]!.content)]).toEqual(['svc.echo']);
  });

  it('carries headers as a JSON entry and the data MIME type as a per-stream entry, both read back', () => {
    const metadata = encodeRequestMetadata('svc.echo', { headers: { tenant: 'acme', trace: 'x=1' }, dataMimeType: 'application/x-custom' });
    expect(decodeRequestMetadata(metadata)).toEqual({ route: 'svc.echo', headers: { tenant: 'acme', trace: 'x=1' }, dataMimeType: 'application/x-custom' });
  });

  it('encodes a bare route once and reuses it', () => {
    expect(encodeRequestMetadata('svc.echo')).toBe(encodeRequestMetadata('svc.echo'));
  });

  it('reads a request with no metadata as one with no route', () => {
    expect(decodeRequestMetadata(null)).toEqual({ route: null, headers: {}, dataMimeType: undefined });
  });

  it('keeps the route metadata when the first channel item is turned into a payload', () => {
    const route = encodeRequestMetadata('svc.echo');
    expect(toPayload('a', route)).toEqual({ data: Buffer.from('a'), metadata: route });
    expect(toPayload(null)).toEqual({ data: Buffer.alloc(0) });
  });
});

describe('per-stream data MIME type', () => {
  it('uses the one-byte id of a well-known type and spells out any other', () => {
    expect(encodeDataMimeType(MIME.JSON)).toEqual(Buffer.of(0x85));
    expect(decodeDataMimeType(Buffer.of(0x85))).toBe(MIME.JSON);
    const custom = encodeDataMimeType('application/x-rsb');
    expect(custom[0]).toBe('application/x-rsb'.length - 1);
    expect(decodeDataMimeType(custom)).toBe('application/x-rsb');
  });

  it('refuses an entry whose type runs past its end', () => {
    expect(() => decodeDataMimeType(Buffer.of(0x05, 0x61))).toThrowError(expect.objectContaining({ code: 'ERR_INVALID_FIELD' }));
  });
});
