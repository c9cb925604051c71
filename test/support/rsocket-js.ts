import { RSocketConnector, type ClientTransport, type RSocket } from 'rsocket-core';
import { TcpClientTransport } from 'rsocket-tcp-client';
import { encodeSetupMetadata, MIME, type ServiceId } from '../../src/protocol/index.js';
import { requestResponse, routed } from './rsocket-js-requests.js';

export { answerChannelUpperCased, requestChannel, requestResponse, routed } from './rsocket-js-requests.js';

/** An rsocket-js 1.0.0-alpha.3 peer, the independent implementation the broker must interoperate with. */
export async function connectRSocketJs(options: {
  port: number;
  /** Another transport than TCP to 127.0.0.1:port (rsocket-js's WebSocket client, a TLS socket under its TCP client). */
  transport?: ClientTransport;
  app?: { name: string; uuid: string };
  services?: ServiceId[];
  responder?: Partial<RSocket>;
  keepAliveMs?: number;
  lifetimeMs?: number;
}): Promise<RSocket> {
  const connector = new RSocketConnector({
    setup: {
      keepAlive: options.keepAliveMs ?? 1_000,
      lifetime: options.lifetimeMs ?? 10_000,
      dataMimeType: 'application/octet-stream',
      metadataMimeType: MIME.COMPOSITE_METADATA,
      payload: { data: null, metadata: encodeSetupMetadata({ app: options.app ?? { name: 'rsocket-js-test', uuid: `u-${Math.random()}` }, services: options.services ?? [] }) },
    },
    transport: options.transport ?? new TcpClientTransport({ connectionOptions: { host: '127.0.0.1', port: options.port } }),
    ...(options.responder ? { responder: options.responder } : {}),
  });
  return connector.connect();
}

export function service(name: string): ServiceId {
  return { service: name, group: '', version: '' };
}

/** Polls the broker's own `rsb.broker.services` route until `name` has `count` instances. */
export async function waitForInstances(rsocket: RSocket, name: string, count = 1, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await requestResponse(rsocket, routed('rsb.broker.services', ''));
    const { services } = JSON.parse(answer.data!.toString()) as { services: { key: string; instances: unknown[] }[] };
    if ((services.find((entry) => entry.key === name)?.instances.length ?? 0) >= count) return;
    if (Date.now() > deadline) throw new Error(`service ${name} did not reach ${count} instance(s) within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
