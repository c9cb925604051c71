import { connect, type Socket } from 'node:net';
import { createSetupFrame, decodeFrame, encodeFrame, FrameSplitter, type Frame, type SetupFrame } from '../../src/protocol/index.js';
import { waitForFrameIn } from './wait-for-frame.js';

/** A bare TCP peer that writes whatever bytes a test gives it and decodes what comes back. */
export class RawClient {
  readonly frames: Frame[] = [];
  readonly closed: Promise<void>;
  private readonly splitter = new FrameSplitter();

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.splitter.push(chunk, { onFrame: (buf, start, end) => this.frames.push(decodeFrame(buf, start, end)) }));
    socket.on('error', () => {});
    this.closed = new Promise((resolve) => socket.on('close', () => resolve()));
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port }, () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  write(bytes: Buffer | Frame): void {
    this.socket.write(Buffer.isBuffer(bytes) ? bytes : encodeFrame(bytes));
  }

  /** A valid SETUP publishing `services`, as rsb's own peers send it. */
  setup(overrides: Partial<SetupFrame> = {}, services: string[] = []): void {
    const published = services.map((service) => ({ service, group: '', version: '' }));
    this.write(createSetupFrame({ app: { name: 'raw', uuid: `raw-${Math.random()}` }, services: published }, overrides));
  }

  waitForFrame<T extends Frame>(predicate: (frame: Frame) => frame is T, timeoutMs?: number): Promise<T>;
  waitForFrame(predicate: (frame: Frame) => boolean, timeoutMs?: number): Promise<Frame>;
  waitForFrame(predicate: (frame: Frame) => boolean, timeoutMs?: number): Promise<Frame> {
    return waitForFrameIn(this.frames, predicate, timeoutMs);
  }

  /** Resolves true if the broker closed the connection within the time. */
  async isClosedWithin(timeoutMs = 5_000): Promise<boolean> {
    return Promise.race([this.closed.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeoutMs))]);
  }

  close(): void {
    this.socket.destroy();
  }
}
