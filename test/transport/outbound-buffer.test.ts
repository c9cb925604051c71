import { describe, expect, it } from 'vitest';
import { LARGE_FRAME_BYTES, OutboundBuffer } from '../../src/transport/outbound-buffer.js';

function append(buffer: OutboundBuffer, text: string): void {
  const bytes = Buffer.from(text);
  bytes.copy(buffer.reserve(bytes.length), buffer.offset);
  buffer.commit(bytes.length);
}

describe('outbound buffer', () => {
  it('coalesces small writes into one buffer per take', () => {
    const buffer = new OutboundBuffer();
    append(buffer, 'ab');
    append(buffer, 'cd');
    expect(buffer.size).toBe(4);
    expect(buffer.take()).toEqual([Buffer.from('abcd')]);
    expect(buffer.size).toBe(0);
  });

  it('keeps order when a large buffer is queued by reference between small ones', () => {
    const buffer = new OutboundBuffer();
    const large = Buffer.alloc(LARGE_FRAME_BYTES, 7);
    append(buffer, 'head');
    buffer.appendReference(large);
    append(buffer, 'tail');
    const chunks = buffer.take();
    expect(chunks.map((chunk) => chunk.length)).toEqual([4, LARGE_FRAME_BYTES, 4]);
    expect(chunks[1]).toBe(large);
    expect(Buffer.concat(chunks).subarray(-4).toString()).toBe('tail');
  });

  it('never writes over bytes already taken for the socket', () => {
    const buffer = new OutboundBuffer();
    append(buffer, 'first');
    const [taken] = buffer.take();
    append(buffer, 'second');
    expect(taken!.toString()).toBe('first');
    expect(buffer.take()[0]!.toString()).toBe('second');
  });

  it('starts a new slab when the current one is full', () => {
    const buffer = new OutboundBuffer();
    for (let i = 0; i < 100; i++) append(buffer, 'x'.repeat(1000));
    const chunks = buffer.take();
    expect(chunks.length).toBeGreaterThan(1);
    expect(Buffer.concat(chunks).length).toBe(100_000);
  });
});
