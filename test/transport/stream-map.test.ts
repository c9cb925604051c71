import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_STREAM_ID } from '../../src/protocol/index.js';
import { StreamMap } from '../../src/transport/stream-map.js';

describe('stream map', () => {
  it('finds what was set by stream id, and nothing for an id never set', () => {
    const map = new StreamMap<string>();
    map.set(1, 'a');
    map.set(MAX_STREAM_ID, 'b');
    expect(map.get(1)).toBe('a');
    expect(map.get(MAX_STREAM_ID)).toBe('b');
    expect(map.get(3)).toBeUndefined();
    expect(map.has(1)).toBe(true);
    expect(map.has(3)).toBe(false);
    expect(map.size).toBe(2);
  });

  it('replaces the value of an id set twice without counting it twice', () => {
    const map = new StreamMap<string>();
    map.set(5, 'a');
    map.set(5, 'b');
    expect(map.get(5)).toBe('b');
    expect(map.size).toBe(1);
  });

  it('deletes an id once, and reports false for an id it does not hold', () => {
    const map = new StreamMap<string>();
    map.set(7, 'a');
    expect(map.delete(7)).toBe(true);
    expect(map.delete(7)).toBe(false);
    expect(map.get(7)).toBeUndefined();
    expect(map.size).toBe(0);
  });

  it('keeps every entry reachable while growing far past its first capacity', () => {
    const map = new StreamMap<number>(16);
    for (let id = 1; id < 20_000; id += 2) map.set(id, id * 10);
    expect(map.size).toBe(10_000);
    for (let id = 1; id < 20_000; id += 2) expect(map.get(id)).toBe(id * 10);
  });

  it('gives back a snapshot of its values that stays whole while entries are deleted', () => {
    const map = new StreamMap<number>();
    for (let id = 2; id <= 200; id += 2) map.set(id, id);
    const values = map.toArray();
    for (const value of values) map.delete(value);
    expect(values.sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => 2 + 2 * i));
    expect(map.size).toBe(0);
  });

  it('agrees with a Map on any sequence of sets and deletes (collisions and wrap-around included)', () => {
    const operation = fc.record({ isSet: fc.boolean(), streamId: fc.integer({ min: 1, max: 64 }), value: fc.integer() });
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 400 }), (operations) => {
        // A tiny table and ids from a small range: probe runs collide and wrap past the end.
        const map = new StreamMap<number>(16);
        const model = new Map<number, number>();
        for (const { isSet, streamId, value } of operations) {
          if (isSet) {
            map.set(streamId, value);
            model.set(streamId, value);
          } else {
            expect(map.delete(streamId)).toBe(model.delete(streamId));
          }
          expect(map.size).toBe(model.size);
        }
        for (let id = 1; id <= 64; id++) expect(map.get(id)).toBe(model.get(id));
      }),
    );
  });

  it('still holds what remains after most of a large burst is deleted', () => {
    const map = new StreamMap<number>();
    for (let id = 1; id <= 40_000; id++) map.set(id, id);
    for (let id = 1; id <= 39_990; id++) map.delete(id);
    expect(map.size).toBe(10);
    for (let id = 39_991; id <= 40_000; id++) expect(map.get(id)).toBe(id);
  });
});
