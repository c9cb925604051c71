import { describe, expect, it } from 'vitest';
import { RouteBytesCache } from '../../src/broker/route-bytes-cache.js';

/** A route as it lies in a frame: somewhere inside a larger buffer. */
function lying(route: string): { buf: Buffer; start: number; end: number } {
  const buf = Buffer.from(`xx${route}yy`, 'utf8');
  return { buf, start: 2, end: buf.length - 2 };
}

describe('route bytes cache', () => {
  it('finds what was kept for a route by its bytes, wherever they lie', () => {
    const cache = new RouteBytesCache<string>();
    const a = lying('svc.echo');
    cache.set(a.buf, a.start, a.end, 'target');
    const again = lying('svc.echo');
    expect(cache.get(again.buf, again.start, again.end)).toBe('target');
  });

  it('never answers for a different route of the same length', () => {
    const cache = new RouteBytesCache<string>();
    const a = lying('users.get');
    const b = lying('users.put');
    cache.set(a.buf, a.start, a.end, 'a');
    expect(cache.get(b.buf, b.start, b.end)).toBeUndefined();
    cache.set(b.buf, b.start, b.end, 'b');
    expect(cache.get(b.buf, b.start, b.end)).toBe('b');
  });

  it('keeps many distinct routes at once', () => {
    const cache = new RouteBytesCache<number>();
    const routes = ['calc.add', 'calc.sub', 'users.get', 'users.put', 'bench.echo', 'svc.ticks'];
    routes.forEach((route, i) => {
      const { buf, start, end } = lying(route);
      cache.set(buf, start, end, i);
    });
    routes.forEach((route, i) => {
      const { buf, start, end } = lying(route);
      expect(cache.get(buf, start, end)).toBe(i);
    });
  });
});
