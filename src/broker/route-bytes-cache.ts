/** Slots of the cache: far more than the routes a broker's clients call at once. */
const SLOTS = 256;
const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const NO_KEY = Buffer.alloc(0);

/**
 * What each route resolves to, looked up by the route's bytes as they lie in the request
 * frame: a request to a route seen before is routed without decoding its text (a string
 * allocated, hashed and looked up in a Map per request otherwise). Direct-mapped: a slot
 * holds the last route that hashed to it, so the cache is bounded and a collision costs
 * only a decode.
 */
export class RouteBytesCache<T> {
  private readonly keys: Buffer[] = new Array<Buffer>(SLOTS).fill(NO_KEY);
  private readonly values: (T | undefined)[] = new Array<T | undefined>(SLOTS).fill(undefined);

  /** The value kept for the route `buf[start, end)`, or undefined. */
  get(buf: Buffer, start: number, end: number): T | undefined {
    const slot = hashBytes(buf, start, end);
    const key = this.keys[slot]!;
    const length = end - start;
    if (key.length !== length) return undefined;
    for (let i = 0; i < length; i++) if (key[i] !== buf[start + i]) return undefined;
    return this.values[slot];
  }

  set(buf: Buffer, start: number, end: number, value: T): void {
    const slot = hashBytes(buf, start, end);
    this.keys[slot] = Buffer.from(buf.subarray(start, end));
    this.values[slot] = value;
  }
}

/** FNV-1a over the bytes, folded to a slot. */
function hashBytes(buf: Buffer, start: number, end: number): number {
  let hash = FNV_OFFSET_BASIS;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ buf[i]!, FNV_PRIME);
  return (hash >>> 0) % SLOTS;
}
