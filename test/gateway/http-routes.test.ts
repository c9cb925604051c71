import { describe, expect, it } from 'vitest';
import { chooseGatewayMode, collectMetaHeaders, encodeQueryAsJson, formatNdjsonLine, formatSseEvent, GATEWAY_MODE, parseGatewayPath } from '../../src/gateway/index.js';

describe('gateway request mapping', () => {
  it('turns /service/method into the route service.method, dots in the service kept', () => {
    expect(parseGatewayPath('/svc/echo').route).toBe('svc.echo');
    expect(parseGatewayPath('/com.acme.Users/find').route).toBe('com.acme.Users.find');
  });

  it('turns a group and version in the service segment into the Alibaba route form', () => {
    expect(parseGatewayPath('/blue!users:1.2/find').route).toBe('blue!users.find:1.2');
    expect(parseGatewayPath('/blue%21users/find').route).toBe('blue!users.find');
  });

  it('rejects paths that are not exactly /service/method as usage errors', () => {
    for (const path of ['/', '/svc', '/svc/', '/a/b/c', '//echo', '/svc/a.b', '/%E0%A4%A/x']) {
      expect(() => parseGatewayPath(path), path).toThrowError(expect.objectContaining({ code: 'ERR_USAGE' }));
    }
  });

  it('chooses the interaction model from the mode header and Accept', () => {
    expect(chooseGatewayMode({})).toBe(GATEWAY_MODE.REQUEST_RESPONSE);
    expect(chooseGatewayMode({ mode: 'Fire-And-Forget' })).toBe(GATEWAY_MODE.FIRE_AND_FORGET);
    expect(chooseGatewayMode({ accept: 'text/event-stream' })).toBe(GATEWAY_MODE.STREAM_SSE);
    expect(chooseGatewayMode({ accept: 'application/x-ndjson, */*' })).toBe(GATEWAY_MODE.STREAM_NDJSON);
    expect(chooseGatewayMode({ mode: 'request-stream' })).toBe(GATEWAY_MODE.STREAM_NDJSON);
    expect(() => chooseGatewayMode({ mode: 'channel' })).toThrowError(expect.objectContaining({ code: 'ERR_USAGE' }));
  });

  it('collects X-Meta-* headers as request metadata', () => {
    expect(collectMetaHeaders({ 'x-meta-tenant': 'acme', 'x-meta-trace': ['a', 'b'], host: 'h' })).toEqual({ tenant: 'acme', trace: 'a, b' });
  });

  it('encodes a query as a JSON object, repeated keys as arrays', () => {
    expect(JSON.parse(encodeQueryAsJson(new URLSearchParams('a=1&b=2&b=3')).toString())).toEqual({ a: '1', b: ['2', '3'] });
  });

  it('writes stream items as ndjson lines and server-sent events', () => {
    expect(formatNdjsonLine(Buffer.from('{ "a": 1 }'))).toBe('{"a":1}\n');
    expect(formatNdjsonLine(Buffer.from('plain text'))).toBe('"plain text"\n');
    expect(formatSseEvent(Buffer.from('one\ntwo'))).toBe('data: one\ndata: two\n\n');
    expect(formatSseEvent(Buffer.from('{}'), 'error')).toBe('event: error\ndata: {}\n\n');
  });
});
