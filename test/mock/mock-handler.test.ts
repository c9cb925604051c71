import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MockHandler, parseMockSpec } from '../../src/mock/index.js';
import { ERROR_CODE, FRAME_TYPE, readWireDataStart, readWireFrameType, readWireRequestN } from '../../src/protocol/index.js';
import { connect, type RsbClient } from '../../src/sdk/index.js';
import { INTERACTION, LeanRequester, PeerConnection, prepareRequest, ResponderServer } from '../../src/transport/index.js';
import { seededRandom } from '../support/random.js';

/** The mock's behaviours, served by a real ResponderServer and called over real sockets (no broker). */
describe('mock behaviours', () => {
  let server: ResponderServer;
  let handler: MockHandler;
  let client: RsbClient;
  const credits = { granted: 0, received: 0, maxAhead: 0 };

  beforeAll(async () => {
    const spec = parseMockSpec({
      service: 'svc',
      methods: 'echo,slow,fail,flaky,big,ticks,paced',
      response: ['big=size:1KiB'],
      error: ['flaky=50%:0x301:out of stock'],
      stream: ['ticks=20', 'paced=3@50ms'],
      latency: ['slow=100ms'],
    });
    handler = new MockHandler(spec, new Map(), seededRandom(7));
    server = await ResponderServer.listen({ host: '127.0.0.1', port: 0 }, handler);
    client = await connect({
      brokers: [`127.0.0.1:${server.port}`],
      reconnect: false,
      // Counts stream credit granted against items received, on the wire.
      onFrame: (direction, frame) => {
        const type = readWireFrameType(frame, 0);
        if (direction === 'sent' && (type === FRAME_TYPE.REQUEST_STREAM || type === FRAME_TYPE.REQUEST_N)) credits.granted += readWireRequestN(frame, 0, frame.length);
        if (direction === 'received' && type === FRAME_TYPE.PAYLOAD && readWireDataStart(frame, 0, frame.length) < frame.length) {
          credits.received++;
          credits.maxAhead = Math.max(credits.maxAhead, credits.received - credits.granted);
        }
      },
    });
  });

  afterAll(async () => {
    await client?.close();
    await server?.close();
  });

  it('echoes, and answers a generated response of the size asked', async () => {
    expect((await client.requestResponse('svc.echo', 'hello')).data.toString()).toBe('hello');
    const big = await client.requestResponse('svc.big', 'x');
    expect(big.data.length).toBe(1024);
    expect(big.data.subarray(0, 27).toString()).toBe('abcdefghijklmnopqrstuvwxyza');
  });

  it('waits the latency before answering', async () => {
    const started = performance.now();
    await client.requestResponse('svc.slow', 'x');
    expect(performance.now() - started).toBeGreaterThanOrEqual(99);
  });

  it('fails with the code and message given, at the rate given', async () => {
    await expect(client.requestResponse('svc.fail', 'x')).rejects.toMatchObject({ errorCode: ERROR_CODE.APPLICATION_ERROR, errorMessage: 'svc.fail failed (rsb mock)' });
    const outcomes = await Promise.all(Array.from({ length: 200 }, () => client.requestResponse('svc.flaky', 'x').then(() => 'ok', (error: { errorCode: number; errorMessage: string }) => `${error.errorCode}:${error.errorMessage}`)));
    // The same seeded draws as the mock made: one per request, below 0.5 fails.
    const replay = seededRandom(7);
    const expected = outcomes.map(() => (replay() < 0.5 ? `${0x301}:out of stock` : 'ok'));
    expect(outcomes).toEqual(expected);
    expect(handler.counters.find((c) => c.method === 'flaky')).toMatchObject({ requests: 200, errors: expected.filter((o) => o !== 'ok').length });
  });

  it('sends a stream of N items, never more than the requester granted', async () => {
    credits.granted = credits.received = credits.maxAhead = 0;
    const items: string[] = [];
    for await (const item of client.requestStream('svc.ticks', 't', { prefetch: 2 })) {
      items.push(item.data.toString());
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    expect(items).toHaveLength(20);
    expect(credits.maxAhead).toBeLessThanOrEqual(0);
  });

  it('paces stream items at the interval', async () => {
    const started = performance.now();
    const items: string[] = [];
    for await (const item of client.requestStream('svc.paced', 'p')) items.push(item.data.toString());
    expect(items).toEqual(['p', 'p', 'p']);
    expect(performance.now() - started).toBeGreaterThanOrEqual(99);
  });

  it('echoes each channel item, granting the requester credit as it goes', async () => {
    const outbound = Array.from({ length: 150 }, (_, i) => `item-${i}`);
    const echoed: string[] = [];
    for await (const item of client.requestChannel('svc.echo', outbound, { prefetch: 8 })) echoed.push(item.data.toString());
    expect(echoed).toEqual(outbound);
  });

  it('answers a lean channel that completes its side in its first frame', async () => {
    const peer = await PeerConnection.connect({ host: '127.0.0.1', port: server.port }, { onStreamFrame() {}, onConnectionLost() {} });
    try {
      const answers: string[] = [];
      await new Promise<void>((resolve, reject) => {
        const requester = new LeanRequester<null>(peer, {
          onNext: (_context, buf, start, end) => answers.push(buf.toString('utf8', readWireDataStart(buf, start, end), end)),
          onComplete: () => resolve(),
          onError: (_context, code, message) => reject(new Error(`${code} ${message}`)),
        });
        requester.send(prepareRequest({ route: 'svc.echo', data: Buffer.from('one'), mode: INTERACTION.REQUEST_CHANNEL }), null);
      });
      expect(answers).toEqual(['one']);
    } finally {
      await peer.close();
    }
  });

  it('rejects a method it does not have, listing the ones it has', async () => {
    await expect(client.requestResponse('svc.nope', 'x')).rejects.toMatchObject({
      errorCode: ERROR_CODE.REJECTED,
      errorMessage: 'rsb mock svc has no method for svc.nope; it answers echo, slow, fail, flaky, big, ticks, paced',
    });
    await expect(client.requestResponse('other.echo', 'x')).rejects.toMatchObject({ errorCode: ERROR_CODE.REJECTED });
  });

  it('counts fire-and-forget requests', async () => {
    const before = handler.counters.find((c) => c.method === 'echo')!.requests;
    await client.fireAndForget('svc.echo', 'f');
    await expect.poll(() => handler.counters.find((c) => c.method === 'echo')!.requests).toBe(before + 1);
  });
});
