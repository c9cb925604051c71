import type { ConnectionPool } from '../../src/load/connection-pool.js';
import { ERROR_CODE, readWireDataStart } from '../../src/protocol/index.js';
import { LeanRequester, PeerConnection, prepareRequest, type PeerConnectOptions, type RequestObserver, type RequestTemplate } from '../../src/transport/index.js';

/** How a call ended: the answer's data, or the error's code and message. */
export interface CallOutcome {
  data?: string;
  code?: number;
  message?: string;
}

/** A promise per request: for tests only, the real users of the lean requester keep no closure per request. */
export interface PendingCall {
  data?: string;
  finish: (outcome: CallOutcome) => void;
}

export const PROMISE_OBSERVER: RequestObserver<PendingCall> = {
  onNext: (call, buf, start, end) => (call.data = buf.toString('utf8', readWireDataStart(buf, start, end), end)),
  onComplete: (call) => call.finish(call.data === undefined ? {} : { data: call.data }),
  onError: (call, code, message) => call.finish({ code, message }),
};

/** Anything that sends a prepared request with a context: a LeanRequester, or a load ConnectionPool through sendRoundRobin. */
export interface RequestSender {
  send(template: RequestTemplate, context: PendingCall): number;
}

/** Sends as the load generator does: on the pool's next connection that is up; with none, the request fails at once. */
export function sendRoundRobin<T>(pool: ConnectionPool<T>, observer: RequestObserver<T>): { send(template: RequestTemplate, context: T): number } {
  return {
    send(template, context) {
      const c = pool.pick();
      if (c < 0) {
        observer.onError(context, ERROR_CODE.CONNECTION_ERROR, 'no connection to any target is up');
        return 0;
      }
      return pool.send(c, template, context);
    },
  };
}

/** The pool's connections that are up now. */
export function countLiveConnections(pool: ConnectionPool<unknown>): number {
  let live = 0;
  for (let c = 0; c < pool.size; c++) if (pool.isConnected(c)) live++;
  return live;
}

/** One request-response; resolves with how it ended. */
export function call(sender: RequestSender, route: string, data = ''): Promise<CallOutcome> {
  return new Promise((finish) => sender.send(prepareRequest({ route, data: Buffer.from(data) }), { finish }));
}

/** A lean requester on its own connection, for promise-style calls. */
export async function connectRequester(options: PeerConnectOptions): Promise<LeanRequester<PendingCall>> {
  let requester!: LeanRequester<PendingCall>;
  await PeerConnection.connect(options, (peer) => (requester = new LeanRequester(peer, PROMISE_OBSERVER)));
  return requester;
}
