import type { Socket } from 'node:net';

/**
 * The bytes waiting to go out on one connection, in order. Small frames are copied into a
 * shared slab so that a turn's worth of them leaves as one buffer; a frame at or above
 * `LARGE_FRAME_BYTES` is queued by reference instead of copied. Written ranges of a slab
 * are never touched again, so the socket may hold them as long as it needs.
 */
const SLAB_BYTES = 64 * 1024;
export const LARGE_FRAME_BYTES = 16 * 1024;

export class OutboundBuffer {
  private slab = Buffer.allocUnsafe(SLAB_BYTES);
  /** Start of the bytes of `slab` not yet taken for writing. */
  private sealedUpTo = 0;
  private used = 0;
  private sealed: Buffer[] = [];
  private sealedBytes = 0;

  /** Bytes queued and not yet handed to the socket. */
  get size(): number {
    return this.sealedBytes + (this.used - this.sealedUpTo);
  }

  /**
   * Makes room for `size` bytes and returns the slab to write them into at `this.offset`.
   * Call `commit(size)` after writing.
   */
  reserve(size: number): Buffer {
    if (this.used + size > this.slab.length) {
      this.seal();
      this.slab = Buffer.allocUnsafe(Math.max(SLAB_BYTES, size));
      this.sealedUpTo = 0;
      this.used = 0;
    }
    return this.slab;
  }

  /** Where the bytes reserved last start in the slab. */
  get offset(): number {
    return this.used;
  }

  commit(size: number): void {
    this.used += size;
  }

  /** Queues a buffer by reference; the caller must not change it afterwards. */
  appendReference(buf: Buffer): void {
    this.seal();
    this.sealed.push(buf);
    this.sealedBytes += buf.length;
  }

  /** Writes everything queued to `socket` and starts empty: one write, or one writev through cork/uncork. */
  writeTo(socket: Pick<Socket, 'write' | 'cork' | 'uncork'>): void {
    const chunks = this.take();
    if (chunks.length === 1) {
      socket.write(chunks[0]!);
    } else if (chunks.length > 1) {
      socket.cork();
      for (const chunk of chunks) socket.write(chunk);
      socket.uncork();
    }
  }

  /** Hands over everything queued, oldest first, and starts empty. */
  take(): Buffer[] {
    this.seal();
    const out = this.sealed;
    this.sealed = [];
    this.sealedBytes = 0;
    return out;
  }

  private seal(): void {
    if (this.used > this.sealedUpTo) {
      this.sealed.push(this.slab.subarray(this.sealedUpTo, this.used));
      this.sealedBytes += this.used - this.sealedUpTo;
      this.sealedUpTo = this.used;
    }
  }
}
