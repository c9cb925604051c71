import { FLAG, METADATA_LENGTH_SIZE, PROTOCOL_ERROR_CODE, ProtocolError, readRouteFromComposite, type FrameHeader } from '../protocol/index.js';

/**
 * A fragmented request whose route was not in its first fragment: metadata may be split
 * across fragments (Protocol.md, "Fragmentation And Reassembly"), so its frames are held,
 * copied, until the routing entry is complete. Rare; requests whose first fragment holds
 * the route are forwarded at once and their fragments follow the stream link.
 */
export class FragmentedRequest {
  readonly frames: Buffer[] = [];
  private readonly metadataParts: Buffer[] = [];
  private bytes = 0;

  constructor(
    readonly type: number,
    private readonly maxBytes: number,
  ) {}

  /** Holds a copy of the frame in `header` and its part of the metadata; throws when the request grows past the limit. */
  add(header: FrameHeader): void {
    const { buf, start, end } = header;
    this.bytes += end - start;
    if (this.bytes > this.maxBytes) {
      throw new ProtocolError(PROTOCOL_ERROR_CODE.FRAME_TOO_LONG, `fragmented request exceeds ${this.maxBytes} bytes before its route is complete`);
    }
    const copy = Buffer.from(buf.subarray(start, end));
    this.frames.push(copy);
    if (header.flags & FLAG.METADATA) {
      const dataStart = header.readDataStart() - start;
      this.metadataParts.push(copy.subarray(header.readPayloadStart() - start + METADATA_LENGTH_SIZE, dataStart));
    }
  }

  /**
   * The route once the metadata so far holds a complete routing entry; null while it may
   * still come; `undefined` when the metadata is complete and has none.
   */
  readRoute(isMetadataComplete: boolean): string | null | undefined {
    const metadata = Buffer.concat(this.metadataParts);
    try {
      const route = readRouteFromComposite(metadata, 0, metadata.length);
      if (route !== null) return route;
    } catch (error) {
      // An entry cut at a fragment boundary reads as an overrun until its rest arrives.
      if (!(error instanceof ProtocolError) || isMetadataComplete) throw error;
      return null;
    }
    return isMetadataComplete ? undefined : null;
  }
}
