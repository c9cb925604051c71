import { describe, expect, it } from 'vitest';
import { MAX_STREAM_ID } from '../../src/protocol/index.js';
import { StreamIdAllocator } from '../../src/transport/stream-ids.js';

describe('stream id allocator', () => {
  it('hands out odd ids from 1 for a client and even ids from 2 for a server', () => {
    const client = new StreamIdAllocator(1, () => false);
    const server = new StreamIdAllocator(2, () => false);
    expect([client.next(), client.next(), client.next()]).toEqual([1, 3, 5]);
    expect([server.next(), server.next(), server.next()]).toEqual([2, 4, 6]);
  });

  it('wraps below 2^31 back to the first id of its parity', () => {
    const client = new StreamIdAllocator(1, () => false, MAX_STREAM_ID - 2);
    expect([client.next(), client.next()]).toEqual([MAX_STREAM_ID, 1]);
    const server = new StreamIdAllocator(2, () => false, MAX_STREAM_ID - 3);
    expect([server.next(), server.next()]).toEqual([MAX_STREAM_ID - 1, 2]);
  });

  it('skips ids still in use after wrapping', () => {
    const inUse = new Set([1, 3]);
    const client = new StreamIdAllocator(1, (id) => inUse.has(id), MAX_STREAM_ID);
    expect(client.next()).toBe(5);
  });

  it('throws a typed error when every id it tries is in use', () => {
    const client = new StreamIdAllocator(1, () => true);
    expect(() => client.next()).toThrowError(expect.objectContaining({ code: 'ERR_STREAM_IDS_EXHAUSTED' }));
  });
});
