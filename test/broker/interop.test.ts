import type { Payload, RSocket } from 'rsocket-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODE } from '../../src/protocol/index.js';
import { startBrokerProcess, type RsbProcess } from '../support/processes.js';
import { answerChannelUpperCased, connectRSocketJs, requestChannel, requestResponse, routed, service, waitForInstances } from '../support/rsocket-js.js';

/**
 * `rsb start` as a real process, driven by rsocket-js 1.0.0-alpha.3 peers: a service that
 * registers through SETUP, and a requester calling every interaction model through the broker.
 */
describe('broker interop with rsocket-js', () => {
  let broker: RsbProcess;
  let port: number;
  let requester: RSocket;
  let serviceSocket: RSocket;
  const fireAndForgetReceived: string[] = [];
  const streamRequests: number[] = [];

  beforeAll(async () => {
    ({ broker, port } = await startBrokerProcess(['--id', 'interop']));
    serviceSocket = await connectRSocketJs({
      port,
      app: { name: 'calc', uuid: 'calc-1' },
      services: [service('calc')],
      responder: {
        requestResponse(payload, subscriber) {
          const { x, y } = JSON.parse(payload.data!.toString()) as { x: number; y: number };
          subscriber.onNext({ data: Buffer.from(JSON.stringify({ result: x + y })), metadata: Buffer.from('answer-md') }, true);
          return { cancel() {}, onExtension() {} };
        },
        fireAndForget(payload) {
          fireAndForgetReceived.push(payload.data!.toString());
          return { cancel() {} };
        },
        requestStream(payload, initialN, subscriber) {
          // Emits `count` items, never more than the requester has asked for.
          const count = Number(payload.data!.toString());
          let credit = initialN;
          let sent = 0;
          streamRequests.push(initialN);
          const pump = (): void => {
            while (credit > 0 && sent < count) {
              credit--;
              sent++;
              subscriber.onNext({ data: Buffer.from(`item-${sent}`) }, sent === count);
            }
          };
          queueMicrotask(pump);
          return {
            request(n) {
              streamRequests.push(n);
              credit += n;
              pump();
            },
            cancel() {},
            onExtension() {},
          };
        },
        requestChannel: (first, _initialN, _isCompleted, subscriber) => answerChannelUpperCased(first, subscriber),
      },
    });
    requester = await connectRSocketJs({ port, app: { name: 'caller', uuid: 'caller-1' } });
    await waitForInstances(requester, 'calc');
  });

  afterAll(async () => {
    requester?.close();
    serviceSocket?.close();
    await broker?.stop();
  });

  it('routes request-response to the registered service and returns its exact answer', async () => {
    const answer = await requestResponse(requester, routed('calc.add', '{"x":10, "y":20}'));
    expect(answer.data!.toString()).toBe('{"result":30}');
    expect(answer.metadata!.toString()).toBe('answer-md');
  });

  it('delivers fire-and-forget to the service', async () => {
    requester.fireAndForget(routed('calc.log', 'fired'), { onComplete() {}, onError() {} });
    await expect.poll(() => fireAndForgetReceived).toContain('fired');
  });

  it('forwards request-stream with REQUEST_N flow control in both directions', async () => {
    const items: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const subscription = requester.requestStream(routed('calc.count', '5'), 2, {
        onNext(payload: Payload, isComplete: boolean) {
          items.push(payload.data!.toString());
          if (isComplete) resolve();
          else if (items.length >= 2) subscription.request(1);
        },
        onComplete: () => resolve(),
        onError: reject,
        onExtension() {},
      });
    });
    expect(items).toEqual(['item-1', 'item-2', 'item-3', 'item-4', 'item-5']);
    // The service saw the initial 2 and then REQUEST_N frames of 1: flow control crossed the broker.
    expect(streamRequests.slice(-4)).toEqual([2, 1, 1, 1]);
  });

  it('forwards request-channel items both ways until both sides complete', async () => {
    expect(await requestChannel(requester, routed('calc.shout', 'a'), ['b', 'c'])).toEqual(['A', 'B', 'C']);
  });

  it('rejects a request for a service with no instance, naming the service', async () => {
    const error = await requestResponse(requester, routed('ghost.echo', 'x')).catch((e: unknown) => e as Error & { code?: number });
    expect(error).toMatchObject({ code: ERROR_CODE.REJECTED });
    expect((error as Error).message).toContain('no instance of service ghost');
  });

  it('rejects a route that names no method', async () => {
    const error = await requestResponse(requester, routed('justaservice', 'x')).catch((e: unknown) => e as Error & { code?: number });
    expect(error).toMatchObject({ code: ERROR_CODE.REJECTED });
  });

  it('answers rsb.broker.services itself with the registered instances', async () => {
    const answer = await requestResponse(requester, routed('rsb.broker.services', ''));
    const listing = JSON.parse(answer.data!.toString()) as { broker: string; services: { key: string; instances: { app: string; uuid: string }[] }[] };
    expect(listing.broker).toBe('interop');
    expect(listing.services.find((entry) => entry.key === 'calc')?.instances).toEqual([expect.objectContaining({ app: 'calc', uuid: 'calc-1' })]);
  });
});
