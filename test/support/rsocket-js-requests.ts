import type { OnExtensionSubscriber, OnNextSubscriber, OnTerminalSubscriber, Payload, RSocket, Requestable, Cancellable } from 'rsocket-core';
import { encodeCompositeMetadata, encodeRoutingTags, MIME } from '../../src/protocol/index.js';

/*
 * rsocket-js 1.0.0-alpha.3 requests as promises, with nothing of Node in them: the browser
 * page (test/browser/page.ts) bundles them as the Node tests use them.
 */

export function routed(route: string, data: string | Buffer): Payload {
  return {
    data: typeof data === 'string' ? Buffer.from(data) : data,
    metadata: encodeCompositeMetadata([{ mimeType: MIME.ROUTING, content: encodeRoutingTags([route]) }]),
  };
}

/** Request-response as a promise; rejects with the error rsocket-js reports (it carries `.code`). */
export function requestResponse(rsocket: RSocket, payload: Payload): Promise<Payload> {
  return new Promise((resolve, reject) => {
    rsocket.requestResponse(payload, {
      onNext: (answer) => resolve(answer),
      onComplete: () => resolve({ data: null }),
      onError: (error) => reject(error),
      onExtension: () => {},
    });
  });
}

/**
 * Request-channel as a promise of the items answered: `first` opens the channel, and the
 * `rest` go out once the responder grants credit, the last one completing our side.
 */
export function requestChannel(rsocket: RSocket, first: Payload, rest: string[]): Promise<string[]> {
  const outbound = [...rest];
  const received: string[] = [];
  return new Promise((resolve, reject) => {
    const channel = rsocket.requestChannel(first, 16, false, {
      onNext: (payload) => void received.push(payload.data!.toString()),
      onComplete: () => resolve(received),
      onError: reject,
      onExtension() {},
      request() {
        while (outbound.length) channel.onNext({ data: Buffer.from(outbound.shift()!) }, outbound.length === 0);
      },
      cancel() {},
    });
  });
}

/** A responder's request-channel: each inbound item answered upper-cased, credit for 16 granted at once. */
export function answerChannelUpperCased(
  first: Payload,
  subscriber: OnNextSubscriber & OnTerminalSubscriber & OnExtensionSubscriber & Requestable & Cancellable,
): OnNextSubscriber & OnTerminalSubscriber & OnExtensionSubscriber & Requestable & Cancellable {
  subscriber.onNext({ data: Buffer.from(first.data!.toString().toUpperCase()) }, false);
  subscriber.request(16);
  return {
    onNext(payload, isComplete) {
      subscriber.onNext({ data: Buffer.from(payload.data!.toString().toUpperCase()) }, false);
      if (isComplete) subscriber.onComplete();
    },
    onComplete: () => subscriber.onComplete(),
    onError() {},
    onExtension() {},
    request() {},
    cancel() {},
  };
}
