/** Fibonacci hashing: consecutive stream ids (every peer counts up by 2) land far apart. */
const GOLDEN_RATIO_U32 = 0x9e3779b1;
const MIN_CAPACITY = 16;
/** Below this the table never shrinks: a connection's usual in-flight window fits without churn. */
const SHRINK_ABOVE_CAPACITY = 4096;

/**
 * The streams of one connection by stream id: an open-addressing hash table (linear
 * probing, deletion by backward shift, so no tombstones) that allocates only when it
 * grows. A JS Map allocates a new backing table every few hundred set/delete pairs, and
 * with a few hundred requests in flight those tables outlive a scavenge and are promoted:
 * the broker then spends its time in the garbage collector. Stream id 0 (the connection
 * itself) is never a key, so 0 marks an empty slot.
 */
export class StreamMap<V> {
  private keys: Int32Array;
  private values: (V | undefined)[];
  private mask: number;
  private shift: number;
  private count = 0;

  constructor(capacity = MIN_CAPACITY) {
    const size = 2 ** Math.ceil(Math.log2(Math.max(MIN_CAPACITY, capacity)));
    this.keys = new Int32Array(size);
    this.values = new Array<V | undefined>(size).fill(undefined);
    this.mask = size - 1;
    this.shift = 32 - Math.log2(size);
  }

  get size(): number {
    return this.count;
  }

  get(streamId: number): V | undefined {
    const keys = this.keys;
    for (let slot = this.slotOf(streamId); ; slot = (slot + 1) & this.mask) {
      const key = keys[slot]!;
      if (key === streamId) return this.values[slot];
      if (key === 0) return undefined;
    }
  }

  has(streamId: number): boolean {
    return this.get(streamId) !== undefined;
  }

  /** Adds or replaces the value of `streamId` (never 0). */
  set(streamId: number, value: V): void {
    // At most half full, so that probes stay short.
    if ((this.count + 1) * 2 > this.keys.length) this.resize(this.keys.length * 2);
    const keys = this.keys;
    let slot = this.slotOf(streamId);
    for (; keys[slot] !== 0; slot = (slot + 1) & this.mask) {
      if (keys[slot] === streamId) {
        this.values[slot] = value;
        return;
      }
    }
    keys[slot] = streamId;
    this.values[slot] = value;
    this.count++;
  }

  delete(streamId: number): boolean {
    const keys = this.keys;
    const mask = this.mask;
    let slot = this.slotOf(streamId);
    for (; keys[slot] !== streamId; slot = (slot + 1) & mask) {
      if (keys[slot] === 0) return false;
    }
    // Backward shift: pull later entries of the same probe run into the hole, so no lookup stops early.
    let hole = slot;
    for (let next = (hole + 1) & mask; keys[next] !== 0; next = (next + 1) & mask) {
      const home = this.slotOf(keys[next]!);
      // `next` may move into the hole unless its home lies cyclically in (hole, next].
      const staysPut = hole <= next ? hole < home && home <= next : hole < home || home <= next;
      if (staysPut) continue;
      keys[hole] = keys[next]!;
      this.values[hole] = this.values[next];
      hole = next;
    }
    keys[hole] = 0;
    this.values[hole] = undefined;
    this.count--;
    if (this.keys.length > SHRINK_ABOVE_CAPACITY && this.count * 16 < this.keys.length) this.resize(this.keys.length / 4);
    return true;
  }

  clear(): void {
    this.keys.fill(0);
    this.values.fill(undefined);
    this.count = 0;
  }

  /** The values, in no particular order, as an array of their own: safe to use while the map changes. */
  toArray(): V[] {
    const out: V[] = [];
    for (let slot = 0; slot < this.keys.length; slot++) if (this.keys[slot] !== 0) out.push(this.values[slot]!);
    return out;
  }

  private slotOf(streamId: number): number {
    return Math.imul(streamId, GOLDEN_RATIO_U32) >>> this.shift;
  }

  private resize(capacity: number): void {
    const oldKeys = this.keys;
    const oldValues = this.values;
    this.keys = new Int32Array(capacity);
    this.values = new Array<V | undefined>(capacity).fill(undefined);
    this.mask = capacity - 1;
    this.shift = 32 - Math.log2(capacity);
    this.count = 0;
    for (let slot = 0; slot < oldKeys.length; slot++) if (oldKeys[slot] !== 0) this.set(oldKeys[slot]!, oldValues[slot]!);
  }
}
