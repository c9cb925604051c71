import { readU24 } from './bytes.js';
import { FRAME_HEADER_SIZE, FRAME_LENGTH_SIZE, MAX_FRAME_LENGTH } from './constants.js';
import { PROTOCOL_ERROR_CODE, ProtocolError } from './errors.js';

/** Receives whole frames as `buf[start, end)`, from the first header byte: the length prefix is not part of the frame. */
export interface FrameSink {
  onFrame(buf: Buffer, start: number, end: number): void;
}

/**
 * Splits a TCP byte stream into frames (u24 length prefix, Protocol.md "Framing Format").
 * Frames wholly inside a chunk are reported in place, as offsets into that chunk (from the
 * header, past the prefix); only a
 * frame that straddles chunks is copied, once, into a buffer of its exact size. The
 * reported bytes stay valid after `push` returns: chunks and copies are never reused.
 *
 * After a ProtocolError the stream is out of step and the splitter must not be used again.
 */
export class FrameSplitter {
  /** The bytes of a frame cut by a chunk end: a 3-byte prefix scratch until the length is known. */
  private partial: Buffer | null = null;
  private partialFilled = 0;

  constructor(private readonly maxFrameLength: number = MAX_FRAME_LENGTH) {}

  /** True while part of a frame is waiting for the next chunk. */
  get hasPartialFrame(): boolean {
    return this.partial !== null;
  }

  push(chunk: Buffer, sink: FrameSink): void {
    let at = this.partial === null ? 0 : this.completePartial(chunk, sink);
    const end = chunk.length;
    while (at + FRAME_LENGTH_SIZE <= end) {
      const frameEnd = at + FRAME_LENGTH_SIZE + this.readLength(chunk, at);
      if (frameEnd > end) break;
      sink.onFrame(chunk, at + FRAME_LENGTH_SIZE, frameEnd);
      at = frameEnd;
    }
    if (at < end) this.startPartial(chunk, at);
  }

  private readLength(buf: Buffer, at: number): number {
    const length = readU24(buf, at);
    if (length < FRAME_HEADER_SIZE) {
      throw new ProtocolError(PROTOCOL_ERROR_CODE.FRAME_TOO_SHORT, `frame length ${length} is shorter than the 6-byte header`);
    }
    if (length > this.maxFrameLength) {
      throw new ProtocolError(PROTOCOL_ERROR_CODE.FRAME_TOO_LONG, `frame length ${length} exceeds the limit of ${this.maxFrameLength} bytes`);
    }
    return length;
  }

  private startPartial(chunk: Buffer, at: number): void {
    const available = chunk.length - at;
    if (available < FRAME_LENGTH_SIZE) {
      this.partial = Buffer.allocUnsafe(FRAME_LENGTH_SIZE);
    } else {
      this.partial = Buffer.allocUnsafe(FRAME_LENGTH_SIZE + this.readLength(chunk, at));
    }
    this.partialFilled = chunk.copy(this.partial, 0, at);
  }

  /** Feeds the head of `chunk` into the cut frame; returns where the rest of the chunk starts. */
  private completePartial(chunk: Buffer, sink: FrameSink): number {
    let partial = this.partial!;
    let at = 0;
    if (partial.length === FRAME_LENGTH_SIZE && this.partialFilled < FRAME_LENGTH_SIZE) {
      const taken = chunk.copy(partial, this.partialFilled, 0, FRAME_LENGTH_SIZE - this.partialFilled);
      this.partialFilled += taken;
      at = taken;
      if (this.partialFilled < FRAME_LENGTH_SIZE) return at;
      const sized = Buffer.allocUnsafe(FRAME_LENGTH_SIZE + this.readLength(partial, 0));
      partial.copy(sized, 0, 0, FRAME_LENGTH_SIZE);
      this.partial = partial = sized;
    }
    const taken = chunk.copy(partial, this.partialFilled, at, at + partial.length - this.partialFilled);
    this.partialFilled += taken;
    at += taken;
    if (this.partialFilled === partial.length) {
      this.partial = null;
      this.partialFilled = 0;
      sink.onFrame(partial, FRAME_LENGTH_SIZE, partial.length);
    }
    return at;
  }
}
