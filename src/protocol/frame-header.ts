import { readWireRequestN, readWireStreamId, readWireFlags, readWireFrameType, locateWireData, locateWirePayload, locateWireRoute, locateWireRouteSpan, type MetadataFormat, type RouteSpan } from './wire-header.js';

const NO_BYTES = Buffer.alloc(0);

/**
 * The header of the frame being handled, read once when it arrives: where the frame lies
 * and the fields every step needs (stream id, type, flags). The steps that follow — the
 * request checks, reassembly, routing, forwarding — read it here instead of reading the
 * bytes again. One record is kept per connection and refilled for each frame, so reading
 * a header allocates nothing; it describes the current frame only until the next `read`.
 */
export class FrameHeader {
  /** The frame is `buf[start, end)` from its first header byte, as the splitter and the WebSocket receiver report it. */
  buf: Buffer = NO_BYTES;
  start = 0;
  end = 0;
  streamId = 0;
  type = 0;
  flags = 0;
  /** Where the route lies in `buf`, as `locateRoute` last found it. */
  readonly route: RouteSpan = { start: 0, end: 0 };

  read(buf: Buffer, start: number, end: number): this {
    // The frames of one chunk share its buffer: storing it once per chunk, not per frame,
    // spares the write barrier of putting a young buffer into this long-lived record.
    if (this.buf !== buf) this.buf = buf;
    this.start = start;
    this.end = end;
    this.streamId = readWireStreamId(buf, start);
    this.type = readWireFrameType(buf, start);
    this.flags = readWireFlags(buf, start);
    return this;
  }

  /** REQUEST_N's N, or the initial N of REQUEST_STREAM and REQUEST_CHANNEL; throws when the frame ends before it. */
  readRequestN(): number {
    return readWireRequestN(this.buf, this.start, this.end);
  }

  /** Where the metadata length (or, without metadata, the data) starts. */
  readPayloadStart(): number {
    return locateWirePayload(this.start, this.type);
  }

  /** Where the data starts, after the metadata; throws when the metadata length runs past the frame. */
  readDataStart(): number {
    return locateWireData(this.buf, this.start, this.end, this.type, this.flags);
  }

  /** The route (first routing tag) in a request's metadata, or null when there is none. */
  readRoute(format: MetadataFormat): string | null {
    return locateWireRoute(this.buf, this.start, this.end, this.type, this.flags, format);
  }

  /** Finds the route in `buf` without decoding it, into `route`; false when the request has none (see locateWireRouteSpan). */
  locateRoute(format: MetadataFormat): boolean {
    return locateWireRouteSpan(this.buf, this.start, this.end, this.type, this.flags, format, this.route);
  }
}
