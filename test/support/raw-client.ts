import { connect, type Socket } from 'node:net';
import { decodeWireFrame, encodeFrame, FRAME_TYPE, FrameSplitter, type Frame } from '../../src/protocol/index.js';
import { encodeSetupMetadata, MIME } from '../../src/protocol/index.js';

/** A bare TCP peer that writes whatever bytes a test gives it and decodes what comes back. */
export class RawClient {
  readonly frames: Frame[] = [];
  readonly closed: Promise<void>;
  private readonly splitter = new FrameSplitter();

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.splitter.push(chunk, { onFrame: (buf, start, end) => this.frames.push(decodeWireFrame(buf, start, end)) }));
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
  setup(overrides: Partial<Extract<Frame, { type: 1 }>> = {}, services: string[] = []): void {
    this.write({
      type: FRAME_TYPE.SETUP,
      streamId: 0,
      flags: 0,
      majorVersion: 1,
      minorVersion: 0,
      keepAlive: 30_000,
      lifetime: 90_000,
      resumeToken: null,
      metadataMimeType: MIME.COMPOSITE_METADATA,
      dataMimeType: MIME.OCTET_STREAM,
      metadata: encodeSetupMetadata({ app: { name: 'raw', uuid: `raw-${Math.random()}` }, services: services.map((service) => ({ service, group: '', version: '' })) }),
      data: Buffer.alloc(0),
      ...overrides,
    });
  }

  async waitForFrame<T extends Frame>(predicate: (frame: Frame) => frame is T, timeoutMs?: number): Promise<T>;
  async waitForFrame(predicate: (frame: Frame) => boolean, timeoutMs?: number): Promise<Frame>;
  async waitForFrame(predicate: (frame: Frame) => boolean, timeoutMs = 5_000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.find(predicate);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(this.frames.map((f) => f.type))}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Resolves true if the broker closed the connection within the time. */
  async isClosedWithin(timeoutMs = 5_000): Promise<boolean> {
    return Promise.race([this.closed.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeoutMs))]);
  }

  close(): void {
    this.socket.destroy();
  }
}
