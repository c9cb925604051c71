import type { Payload } from 'rsocket-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionClosedError, RSocketRequestError, TimeoutError } from '../../src/errors.js';
import { ERROR_CODE, FRAME_TYPE, readWireFrameType, readWireRequestN, readWireStreamId } from '../../src/protocol/index.js';
import { connect, LINK_EVENT, type IncomingRequest, type LinkEvent, type RsbClient } from '../../src/sdk/index.js';
import { RsbProcess, startBrokerProcess } from '../support/processes.js';
import { connectRSocketJs, requestChannel, requestResponse, routed, waitForInstances } from '../support/rsocket-js.js';

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The SDK against `rsb start` as a real process: as a service answering a plain
 * rsocket-js requester, and as a requester calling a real `rsb mock` process.
 */
describe('SDK through a broker', () => {
  let broker: RsbProcess;
  let port: number;
  let service: RsbClient;
  let caller: RsbClient;
  let mock: RsbProcess;
  const fired: string[] = [];
  const pulled: number[] = [];

  beforeAll(async () => {
    ({ broker, port } = await startBrokerProcess(['--id', 'sdk']));
    service = await connect({
      brokers: [`127.0.0.1:${port}`],
      app: { name: 'calc', uuid: 'calc-sdk-1' },
      services: {
        calc: {
          add: (request) => {
            const { x, y } = JSON.parse(request.data.toString()) as { x: number; y: number };
            return { data: JSON.stringify({ sum: x + y }), metadata: Buffer.from('answer-md') };
          },
          describe: (request: IncomingRequest) => JSON.stringify({ route: request.route, headers: request.headers, dataMimeType: request.dataMimeType }),
          log: { fireAndForget: (request) => void fired.push(request.data.toString()) },
          count: {
            async *requestStream(request) {
              for (let i = 1; i <= Number(request.data.toString()); i++) {
                pulled.push(i);
                yield `item-${i}`;
              }
            },
          },
          shout: {
            async *requestChannel(_request, inbound) {
              for await (const item of inbound) yield item.data.toString().toUpperCase();
            },
          },
          busy: () => {
            throw new RSocketRequestError(ERROR_CODE.REJECTED, 'too busy');
          },
          crash: () => {
            throw new Error('division by zero');
          },
          never: () => new Promise(() => {}),
        },
      },
    });
    mock = new RsbProcess(['mock', 'svc', '--methods', 'echo,slow,fail,ticks', '--stream', 'ticks=5', '--broker', `127.0.0.1:${port}`]);
    await mock.waitForOutput(/rsb mock svc ready: 1 instance on 127\.0\.0\.1:\d+/);
    caller = await connect({ brokers: [`127.0.0.1:${port}`], app: 'caller', timeoutMs: 5_000 });
  });

  afterAll(async () => {
    await caller?.close();
    await service?.close();
    await mock?.stop();
    await broker?.stop();
  });

  describe('as a service, answering a plain rsocket-js requester', () => {
    it('answers request-response with its data and metadata', async () => {
      const rsocket = await connectRSocketJs({ port });
      try {
        await waitForInstances(rsocket, 'calc');
        const answer = await requestResponse(rsocket, routed('calc.add', '{"x":2,"y":40}'));
        expect(answer.data!.toString()).toBe('{"sum":42}');
        expect(answer.metadata!.toString()).toBe('answer-md');
      } finally {
        rsocket.close();
      }
    });

    it('answers request-stream within the credit the requester grants', async () => {
      const rsocket = await connectRSocketJs({ port });
      try {
        const items: string[] = [];
        await new Promise<void>((resolve, reject) => {
          const subscription = rsocket.requestStream(routed('calc.count', '5'), 2, {
            onNext(payload: Payload) {
              items.push(payload.data!.toString());
              if (items.length === 2) setTimeout(() => subscription.request(3), 50);
            },
            onComplete: () => resolve(),
            onError: reject,
            onExtension() {},
          });
        });
        expect(items).toEqual(['item-1', 'item-2', 'item-3', 'item-4', 'item-5']);
      } finally {
        rsocket.close();
      }
    });

    it('answers request-channel item by item and sends REJECTED as REJECTED', async () => {
      const rsocket = await connectRSocketJs({ port });
      try {
        expect(await requestChannel(rsocket, routed('calc.shout', 'a'), ['b', 'c'])).toEqual(['A', 'B', 'C']);
        await expect(requestResponse(rsocket, routed('calc.busy', ''))).rejects.toMatchObject({ code: ERROR_CODE.REJECTED, message: 'too busy' });
      } finally {
        rsocket.close();
      }
    });
  });

  describe('as a requester', () => {
    it('calls every interaction model of an SDK service', async () => {
      expect((await caller.requestResponse('calc.add', '{"x":1,"y":2}')).data.toString()).toBe('{"sum":3}');
      await caller.fireAndForget('calc.log', 'fired-1');
      await expect.poll(() => fired).toContain('fired-1');
      const streamed: string[] = [];
      for await (const item of caller.requestStream('calc.count', '3')) streamed.push(item.data.toString());
      expect(streamed).toEqual(['item-1', 'item-2', 'item-3']);
      const shouted: string[] = [];
      for await (const item of caller.requestChannel('calc.shout', ['x', 'y'])) shouted.push(item.data.toString());
      expect(shouted).toEqual(['X', 'Y']);
    });

    it('sends headers and the data MIME type with the request', async () => {
      const answer = await caller.requestResponse('calc.describe', '{}', { headers: { tenant: 'acme' }, dataMimeType: 'application/json' });
      expect(JSON.parse(answer.data.toString())).toEqual({ route: 'calc.describe', headers: { tenant: 'acme' }, dataMimeType: 'application/json' });
    });

    it('asks for stream items only as they are consumed (REQUEST_N), and cancels when the loop breaks', async () => {
      const frames: { type: number; streamId: number; requestN?: number }[] = [];
      const tapped = await connect({
        brokers: [`127.0.0.1:${port}`],
        onFrame: (direction, frame) => {
          if (direction !== 'sent') return;
          const type = readWireFrameType(frame, 0);
          frames.push({ type, streamId: readWireStreamId(frame, 0), ...(type === FRAME_TYPE.REQUEST_STREAM || type === FRAME_TYPE.REQUEST_N ? { requestN: readWireRequestN(frame, 0, frame.length) } : {}) });
        },
      });
      try {
        pulled.length = 0;
        let taken = 0;
        for await (const _item of tapped.requestStream('calc.count', '1000', { prefetch: 4 })) {
          if (++taken === 6) break;
          await delay(5);
        }
        const sent = frames.filter((frame) => frame.streamId !== 0).map((frame) => `${frame.type}:${frame.requestN ?? ''}`);
        // REQUEST_STREAM for 4, REQUEST_N 2 each time half the window has been taken (items 2, 4, 6), then CANCEL.
        expect(sent).toEqual([`${FRAME_TYPE.REQUEST_STREAM}:4`, `${FRAME_TYPE.REQUEST_N}:2`, `${FRAME_TYPE.REQUEST_N}:2`, `${FRAME_TYPE.REQUEST_N}:2`, `${FRAME_TYPE.CANCEL}:`]);
        // The service's generator ran at most one item past the 10 granted.
        expect(Math.max(...pulled)).toBeLessThanOrEqual(11);
      } finally {
        await tapped.close();
      }
    });

    it('stops a stream after `take` items', async () => {
      const items: string[] = [];
      for await (const item of caller.requestStream('calc.count', '1000', { take: 3 })) items.push(item.data.toString());
      expect(items).toEqual(['item-1', 'item-2', 'item-3']);
    });

    it('calls a real rsb mock process', async () => {
      expect((await caller.requestResponse('svc.echo', 'hello')).data.toString()).toBe('hello');
      const ticks: string[] = [];
      for await (const item of caller.requestStream('svc.ticks', 't')) ticks.push(item.data.toString());
      expect(ticks).toEqual(['t', 't', 't', 't', 't']);
      const echoed: string[] = [];
      for await (const item of caller.requestChannel('svc.echo', ['a', 'b', 'c'])) echoed.push(item.data.toString());
      expect(echoed).toEqual(['a', 'b', 'c']);
    });

    it('rejects with typed errors carrying the RSocket code and message', async () => {
      const failed = await caller.requestResponse('svc.fail', 'x').catch((error: unknown) => error);
      expect(failed).toBeInstanceOf(RSocketRequestError);
      expect(failed).toMatchObject({ errorCode: ERROR_CODE.APPLICATION_ERROR, errorMessage: 'svc.fail failed (rsb mock)', errorName: 'APPLICATION_ERROR' });
      await expect(caller.requestResponse('calc.crash', 'x')).rejects.toMatchObject({ errorCode: ERROR_CODE.APPLICATION_ERROR, errorMessage: 'division by zero' });
      await expect(caller.requestResponse('calc.busy', 'x')).rejects.toMatchObject({ errorCode: ERROR_CODE.REJECTED, errorMessage: 'too busy' });
      await expect(caller.requestResponse('calc.nothing', 'x')).rejects.toMatchObject({ errorCode: ERROR_CODE.REJECTED, errorMessage: expect.stringContaining('has no method nothing') });
      await expect(caller.requestResponse('ghost.echo', 'x')).rejects.toMatchObject({ errorCode: ERROR_CODE.REJECTED, errorMessage: expect.stringContaining('no instance of service ghost') });
    });

    it('times a call out and cancels it', async () => {
      await expect(caller.requestResponse('calc.never', 'x', { timeoutMs: 100 })).rejects.toBeInstanceOf(TimeoutError);
      await expect(caller.requestResponse('svc.slow', 'x', { timeoutMs: 50 })).rejects.toThrow('no answer within 50 ms');
    });

    it('replaces a connection before its stream ids run out, and keeps answering', async () => {
      const events: LinkEvent[] = [];
      const firstStreamIds: number[] = [];
      const rotating = await connect({
        brokers: [`127.0.0.1:${port}`],
        streamIdBudget: 3,
        onLinkEvent: (event) => events.push(event),
        onFrame: (direction, frame) => {
          if (direction === 'sent' && readWireFrameType(frame, 0) === FRAME_TYPE.REQUEST_RESPONSE) firstStreamIds.push(readWireStreamId(frame, 0));
        },
      });
      try {
        for (let i = 0; i < 4; i++) expect((await rotating.requestResponse('svc.echo', `n${i}`)).data.toString()).toBe(`n${i}`);
        await expect.poll(() => events.some((event) => event.kind === LINK_EVENT.ROTATED)).toBe(true);
        for (let i = 4; i < 6; i++) expect((await rotating.requestResponse('svc.echo', `n${i}`)).data.toString()).toBe(`n${i}`);
        // A new connection starts again at stream id 1.
        expect(firstStreamIds.slice(0, 3)).toEqual([1, 3, 5]);
        expect(firstStreamIds.slice(3)).toContain(1);
      } finally {
        await rotating.close();
      }
    });
  });
});

describe('SDK when the broker restarts', () => {
  it('reconnects with backoff, registers again, and serves and calls as before', async () => {
    let { broker, port } = await startBrokerProcess();
    const events: LinkEvent[] = [];
    const reconnect = { initialDelayMs: 50, maxDelayMs: 300 };
    let service: RsbClient | undefined;
    let caller: RsbClient | undefined;
    try {
      service = await connect({ brokers: [`127.0.0.1:${port}`], services: { calc: { ping: () => 'pong' } }, reconnect, onLinkEvent: (event) => events.push(event) });
      caller = await connect({ brokers: [`127.0.0.1:${port}`], reconnect, timeoutMs: 5_000 });
      expect((await caller.requestResponse('calc.ping')).data.toString()).toBe('pong');
      await broker.stop();
      await expect.poll(() => events.map((event) => event.kind)).toContain(LINK_EVENT.DISCONNECTED);
      await expect(caller.requestResponse('calc.ping', undefined, { timeoutMs: 200 })).rejects.toMatchObject({ code: 'ERR_CONNECT' });
      ({ broker } = await startBrokerProcess([], port));
      await expect.poll(() => events.filter((event) => event.kind === LINK_EVENT.CONNECTED && event.isReconnect).length, { timeout: 10_000 }).toBe(1);
      // The caller waits for its own reconnection, then the service is registered again.
      const ping = (): Promise<string> => caller!.requestResponse('calc.ping').then((answer) => answer.data.toString(), (error: Error) => error.message);
      await expect.poll(ping, { timeout: 10_000 }).toBe('pong');
    } finally {
      await caller?.close();
      await service?.close();
      await broker.stop();
    }
  }, 40_000);

  it('fails calls in flight when the connection drops, with ConnectionClosedError', async () => {
    const { broker, port } = await startBrokerProcess();
    let service: RsbClient | undefined;
    let caller: RsbClient | undefined;
    try {
      service = await connect({ brokers: [`127.0.0.1:${port}`], services: { calc: { never: () => new Promise(() => {}) } }, reconnect: false });
      caller = await connect({ brokers: [`127.0.0.1:${port}`], reconnect: false });
      const outcome = caller.requestResponse('calc.never', 'x', { timeoutMs: 10_000 }).catch((caught: unknown) => caught);
      await delay(100);
      await broker.stop();
      const error = await outcome;
      // The broker ends the connection with ERROR[CONNECTION_CLOSE] on stream 0; rsocket-js fails what was open.
      expect(error).toBeInstanceOf(ConnectionClosedError);
      expect((error as Error).message).toContain('is shutting down');
    } finally {
      await caller?.close();
      await service?.close();
      await broker.stop();
    }
  });
});
