import { createServer, type Server, type Socket } from 'node:net';
import { decodeFrame, encodeFrame, FLAG, FRAME_TYPE, FrameSplitter, type Frame } from '../../src/protocol/index.js';
import { waitForFrameIn } from './wait-for-frame.js';

/**
 * A bare TCP server for one client at a time: decodes what the client sends and writes
 * whatever frames a test gives it. It answers KEEPALIVE[R] (so SDK clients see their
 * SETUP accepted) unless `isSilent`.
 */
export class RawServer {
  readonly frames: Frame[] = [];
  private socket: Socket | undefined;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async listen(options: { isSilent?: boolean; onFirstChunk?: (socket: Socket) => void } = {}): Promise<RawServer> {
    let raw!: RawServer;
    const server = createServer((socket) => {
      raw.socket = socket;
      raw.sockets.add(socket);
      socket.on('close', () => raw.sockets.delete(socket));
      socket.on('error', () => {});
      const splitter = new FrameSplitter();
      let isFirst = true;
      socket.on('data', (chunk: Buffer) => {
        if (isFirst && options.onFirstChunk) {
          isFirst = false;
          options.onFirstChunk(socket);
          return;
        }
        splitter.push(chunk, {
          onFrame: (buf, start, end) => {
            const frame = decodeFrame(buf, start, end);
            raw.frames.push(frame);
            if (!options.isSilent && frame.type === FRAME_TYPE.KEEPALIVE && frame.flags & FLAG.RESPOND) {
              socket.write(encodeFrame({ type: FRAME_TYPE.KEEPALIVE, streamId: 0, flags: 0, lastReceivedPosition: 0n, data: frame.data }));
            }
          },
        });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const address = server.address();
    raw = new RawServer(server, typeof address === 'object' && address ? address.port : 0);
    return raw;
  }

  /** Writes a frame to the latest client. */
  send(frame: Frame): void {
    this.socket!.write(encodeFrame(frame));
  }

  waitForFrame<T extends Frame>(predicate: (frame: Frame) => frame is T, timeoutMs?: number): Promise<T>;
  waitForFrame(predicate: (frame: Frame) => boolean, timeoutMs?: number): Promise<Frame>;
  waitForFrame(predicate: (frame: Frame) => boolean, timeoutMs?: number): Promise<Frame> {
    return waitForFrameIn(this.frames, predicate, timeoutMs);
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
