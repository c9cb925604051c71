import type { Frame } from '../../src/protocol/index.js';

/** Polls a list of received frames until one matches, for the raw test peers. */
export async function waitForFrameIn(frames: readonly Frame[], predicate: (frame: Frame) => boolean, timeoutMs = 5_000): Promise<Frame> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = frames.find(predicate);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no matching frame within ${timeoutMs} ms; got types ${JSON.stringify(frames.map((frame) => frame.type))}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
