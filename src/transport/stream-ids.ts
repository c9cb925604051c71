import { StreamIdsExhaustedError } from '../errors.js';
import { MAX_STREAM_ID } from '../protocol/index.js';

/**
 * Hands out stream ids of one parity: odd for the side that connected (the client), even
 * for the side that accepted (Protocol.md, "Stream Identifiers"). Ids wrap below 2^31 and
 * skip any id still in use, so a long-lived connection never runs out.
 */
export class StreamIdAllocator {
  private last: number;

  constructor(
    private readonly first: 1 | 2,
    private readonly isInUse: (streamId: number) => boolean,
    /** Start just below this id: lets tests reach the wrap without 2^30 requests. */
    startAfter = first - 2,
  ) {
    this.last = startAfter;
  }

  next(): number {
    for (let attempts = 0; attempts < 1_000_000; attempts++) {
      let id = this.last + 2;
      if (id > MAX_STREAM_ID) id = this.first;
      this.last = id;
      if (!this.isInUse(id)) return id;
    }
    throw new StreamIdsExhaustedError();
  }
}
