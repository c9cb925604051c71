import { readWireDataStart } from '../../src/protocol/index.js';
import {
  LeanRequester,
  PeerConnection,
  prepareRequest,
  ResponderConnection,
  type ResponderHandler,
} from '../../src/transport/index.js';

/**
 * rsb's own lean peers, as tests drive them: a service whose answers the test decides,
 * and a caller whose requests resolve to what came back (an answer, or an ERROR's code
 * and message).
 */

export type CallResult = { ok: true; data: string } | { ok: false; code: number; message: string };

/** Answers every request with `answer` (default: the service's name). */
export function answering(answer: string): ResponderHandler {
  return { handle: (stream) => stream.next(Buffer.from(answer), null, true) };
}

export async function connectService(
  port: number,
  options: { name: string; services: string[]; weight?: number; token?: string; handler?: ResponderHandler },
): Promise<ResponderConnection> {
  return ResponderConnection.connect(
    {
      host: '127.0.0.1',
      port,
      app: { name: options.name, uuid: `${options.name}-${Math.random().toString(36).slice(2)}`, ...(options.weight ? { weight: options.weight } : {}) },
      services: options.services.map((service) => ({ service, group: '', version: '' })),
      ...(options.token ? { token: options.token } : {}),
    },
    options.handler ?? answering(options.name),
  );
}

export class Caller {
  private constructor(private readonly requester: LeanRequester<(result: CallResult) => void>) {}

  static async connect(port: number, options: { name?: string; token?: string } = {}): Promise<Caller> {
    const name = options.name ?? 'caller';
    const peer = await PeerConnection.connect(
      { host: '127.0.0.1', port, app: { name, uuid: `${name}-${Math.random().toString(36).slice(2)}` }, ...(options.token ? { token: options.token } : {}) },
      { onStreamFrame() {}, onConnectionLost() {} },
    );
    let last = '';
    const requester: LeanRequester<(result: CallResult) => void> = new LeanRequester(peer, {
      onNext(_resolve, buf, start, end) {
        last = buf.toString('utf8', readWireDataStart(buf, start, end), end);
      },
      onComplete(resolve) {
        resolve({ ok: true, data: last });
        last = '';
      },
      onError(resolve, code, message) {
        resolve({ ok: false, code, message });
      },
    });
    return new Caller(requester);
  }

  call(route: string, data = 'x'): Promise<CallResult> {
    return new Promise((resolve) => this.requester.send(prepareRequest({ route, data: Buffer.from(data) }), resolve));
  }

  /** `count` requests sent at once (one write), resolved when all have ended. */
  callMany(route: string, count: number): Promise<CallResult[]> {
    const template = prepareRequest({ route, data: Buffer.from('x') });
    return Promise.all(Array.from({ length: count }, () => new Promise<CallResult>((resolve) => this.requester.send(template, resolve))));
  }

  /** `total` calls keeping `inFlight` outstanding: each answer sends the next. */
  async callClosedLoop(route: string, total: number, inFlight: number): Promise<CallResult[]> {
    const results: CallResult[] = [];
    let sent = 0;
    const next = async (): Promise<void> => {
      while (sent < total) {
        sent++;
        results.push(await this.call(route));
      }
    };
    await Promise.all(Array.from({ length: inFlight }, next));
    return results;
  }

  async close(): Promise<void> {
    await this.requester.peer.close();
  }
}

/** Counts results by what they say: `{ a: 10, b: 5, 'error 0x202': 3 }`. */
export function tally(results: readonly CallResult[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const result of results) {
    const key = result.ok ? result.data : `error 0x${result.code.toString(16)}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}
