import { FLAG, FRAME_TYPE, FrameHeader } from '../protocol/index.js';
import { FragmentedRequest } from './fragmented-request.js';
import type { Requester, Router } from './router.js';
import type { StreamTable } from './stream-table.js';

/**
 * Reassembly of one connection's requests sent in fragments (Protocol.md, "Fragmentation
 * And Reassembly"), only as far as routing needs: a request whose first fragment holds its
 * route is routed at once and its fragments follow the stream link like any frame; one
 * whose route is cut is held, copied, until the route is whole, then routed with the
 * fragments held so far.
 */
export class RequestFragments {
  /** Requests waiting for the rest of their route, by stream id. */
  private readonly held = new Map<number, FragmentedRequest>();
  /** The header of a held frame being sent on; apart from the connection's, which describes the frame that completed the route. */
  private readonly heldHeader = new FrameHeader();

  constructor(
    private readonly requester: Requester,
    private readonly router: Pick<Router, 'route' | 'routeTo' | 'rejectUnrouted'>,
    private readonly streams: Pick<StreamTable, 'forward'>,
    private readonly maxFrameLength: number,
  ) {}

  isHolding(streamId: number): boolean {
    return this.held.has(streamId);
  }

  /** The first fragment of a request: routed at once if it holds the route, else held until the route is complete. */
  onFirstFragment(header: FrameHeader): void {
    const pending = new FragmentedRequest(header.type, this.maxFrameLength);
    pending.add(header);
    if (pending.readRoute(false)) this.router.route(this.requester, header);
    else this.held.set(header.streamId, pending);
  }

  /** A frame on a stream with no link: a further fragment of a held request, or else a late frame, dropped as the spec asks. */
  onUnlinkedFrame(header: FrameHeader): void {
    const streamId = header.streamId;
    const pending = this.held.get(streamId);
    if (pending === undefined) return;
    if (header.type !== FRAME_TYPE.PAYLOAD) {
      // CANCEL (or ERROR) abandons the request before it was ever forwarded.
      this.held.delete(streamId);
      return;
    }
    pending.add(header);
    const flags = header.flags;
    // Metadata comes before data (Protocol.md, "Fragmentation"): data, no M flag or the last fragment ends it.
    const isMetadataComplete = (flags & FLAG.FOLLOWS) === 0 || (flags & FLAG.METADATA) === 0 || header.readDataStart() < header.end;
    const route = pending.readRoute(isMetadataComplete);
    if (route === null) return;
    this.held.delete(streamId);
    if (route === undefined) {
      this.router.rejectUnrouted(this.requester, pending.type, streamId);
      return;
    }
    const [first, ...rest] = pending.frames;
    this.router.routeTo(this.requester, route, this.heldHeader.read(first!, 0, first!.length));
    for (const frame of rest) this.streams.forward(this.requester, this.heldHeader.read(frame, 0, frame.length));
  }
}
