import { createRequire } from 'node:module';
import { connect as tlsConnect } from 'node:tls';
import type { Payload, RSocket } from 'rsocket-core';
import { TcpClientTransport } from 'rsocket-tcp-client';
import { WebsocketClientTransport } from 'rsocket-websocket-client';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { Broker } from '../../src/broker/index.js';
import { encodeSetupMetadata, MIME, TRANSPORT, type Transport } from '../../src/protocol/index.js';
import { ECHO_HANDLER, ResponderConnection } from '../../src/transport/index.js';
import { useCertificates } from '../support/certificates.js';
import { useInProcessBrokers } from '../support/in-process.js';
import { connect } from '../../src/sdk/index.js';
import { answerChannelUpperCased, connectRSocketJs, requestChannel, requestResponse, routed, service, waitForInstances } from '../support/rsocket-js.js';

const LOOPBACK = '127.0.0.1';

/** rsocket-js 1.0.0-alpha.3's WebSocket client on `ws`, as a Node program uses it. */
function webSocketTransport(url: string): WebsocketClientTransport {
  return new WebsocketClientTransport({ url, wsCreator: (target) => new WebSocket(target) as unknown as globalThis.WebSocket });
}

/** rsocket-js 1.0.0-alpha.3's TCP client on a TLS socket. */
function tlsTransport(port: number, ca: Buffer): TcpClientTransport {
  return new TcpClientTransport({ connectionOptions: { host: LOOPBACK, port }, socketCreator: (options) => tlsConnect({ ...options, ca }) });
}

/** Answers request-response with the data reversed, and a stream with as many items as asked, numbered. */
const REVERSING_RESPONDER: Partial<RSocket> = {
  requestResponse(payload, responder) {
    responder.onNext({ data: Buffer.from([...payload.data!.toString()].reverse().join('')) }, true);
    return { cancel() {}, onExtension() {} };
  },
  requestChannel: (first, _initialN, _isCompleted, subscriber) => answerChannelUpperCased(first, subscriber),
  requestStream(payload, initialN, responder) {
    let sent = 0;
    const total = Number(payload.data!.toString());
    const send = (n: number): void => {
      for (let i = 0; i < n && sent < total; i++) responder.onNext({ data: Buffer.from(`item-${++sent}`) }, sent === total);
    };
    send(initialN);
    return { request: send, cancel() {}, onExtension() {} };
  },
};

function collectStream(rsocket: RSocket, payload: Payload, credit: number): Promise<string[]> {
  const items: string[] = [];
  return new Promise((resolve, reject) => {
    const stream = rsocket.requestStream(payload, credit, {
      onNext: (item, isComplete) => {
        items.push(item.data!.toString());
        if (isComplete) resolve(items);
        else if (items.length % credit === 0) stream.request(credit);
      },
      onComplete: () => resolve(items),
      onError: reject,
      onExtension() {},
    });
  });
}

describe('independent RSocket peers on other transports, through the broker', () => {
  const { startBroker, own } = useInProcessBrokers();
  const certificates = useCertificates('interop');

  async function startBrokerOnEveryTransport(): Promise<Broker> {
    return startBroker({
      listen: [
        { transport: TRANSPORT.TCP, host: LOOPBACK, port: 0 },
        { transport: TRANSPORT.TCPS, host: LOOPBACK, port: 0 },
        { transport: TRANSPORT.WS, host: LOOPBACK, port: 0, path: '/rsocket' },
      ],
      tls: { cert: certificates().brokerCert, key: certificates().brokerKey, clientAuth: 'none' },
    });
  }
  const listenerOf = (broker: Broker, transport: Transport) => broker.boundListeners.find((listener) => listener.transport === transport)!;

  it('rsocket-js alpha.3 over WebSocket calls an rsocket-js service on TCP: response, stream with credit, channel', async () => {
    const broker = await startBrokerOnEveryTransport();
    own(await connectRSocketJs({ port: broker.port, services: [service('rev')], responder: REVERSING_RESPONDER }), (r) => r.close());
    const requester = own(await connectRSocketJs({ port: 0, transport: webSocketTransport(listenerOf(broker, TRANSPORT.WS).uri) }), (r) => r.close());
    await waitForInstances(requester, 'rev');
    expect((await requestResponse(requester, routed('rev.say', 'hello'))).data!.toString()).toBe('olleh');
    expect(await collectStream(requester, routed('rev.count', '7'), 3)).toEqual(['item-1', 'item-2', 'item-3', 'item-4', 'item-5', 'item-6', 'item-7']);
    expect(await requestChannel(requester, routed('rev.shout', 'a'), ['b'])).toEqual(['A', 'B']);
  });

  it('rsocket-js alpha.3 over TLS calls an rsocket-js service on WebSocket, and a channel runs both ways', async () => {
    const broker = await startBrokerOnEveryTransport();
    own(
      await connectRSocketJs({ port: 0, transport: webSocketTransport(listenerOf(broker, TRANSPORT.WS).uri), services: [service('rev')], responder: REVERSING_RESPONDER }),
      (r) => r.close(),
    );
    const requester = own(await connectRSocketJs({ port: 0, transport: tlsTransport(listenerOf(broker, TRANSPORT.TCPS).port, certificates().ca) }), (r) => r.close());
    await waitForInstances(requester, 'rev');
    expect((await requestResponse(requester, routed('rev.say', 'over tls'))).data!.toString()).toBe('slt revo');
    expect(await requestChannel(requester, routed('rev.shout', 'one'), ['two', 'three'])).toEqual(['ONE', 'TWO', 'THREE']);
  });

  it('a lean service on WebSocket answers frames past the size queued by reference to rsocket-js on TLS', async () => {
    const broker = await startBrokerOnEveryTransport();
    own(
      await ResponderConnection.connect({ ...listenerOf(broker, TRANSPORT.WS), app: { name: 'echo-ws', uuid: 'echo-ws' }, services: [service('echo')] }, ECHO_HANDLER),
      (connection) => connection.peer.close(),
    );
    const requester = own(await connectRSocketJs({ port: 0, transport: tlsTransport(listenerOf(broker, TRANSPORT.TCPS).port, certificates().ca) }), (r) => r.close());
    await waitForInstances(requester, 'echo');
    const big = Buffer.alloc(100_000, 'z');
    expect((await requestResponse(requester, routed('echo.say', big))).data).toEqual(big);
  });

  it('rsocket-websocket-client 0.0.27, the older codec, calls a service on TCP', async () => {
    const broker = await startBrokerOnEveryTransport();
    own(await connectRSocketJs({ port: broker.port, services: [service('rev')], responder: REVERSING_RESPONDER }), (r) => r.close());
    // The old client and its rsocket-core 0.0.27, nested under the alias so that the SDK's path never sees them.
    const requireOld = createRequire(createRequire(import.meta.url).resolve('rsocket-websocket-client-0027'));
    const { RSocketClient, BufferEncoders } = requireOld('rsocket-core') as OldRSocketCore;
    const OldWebSocketClient = (requireOld('rsocket-websocket-client-0027') as { default: new (options: object, encoders: unknown) => unknown }).default;
    const client = new RSocketClient({
      setup: {
        keepAlive: 1_000,
        lifetime: 10_000,
        dataMimeType: 'application/octet-stream',
        metadataMimeType: MIME.COMPOSITE_METADATA,
        payload: { data: Buffer.alloc(0), metadata: encodeSetupMetadata({ app: { name: 'old-client', uuid: 'old-client-1' }, services: [] }) },
      },
      transport: new OldWebSocketClient({ url: listenerOf(broker, TRANSPORT.WS).uri, wsCreator: (url: string) => new WebSocket(url) }, BufferEncoders),
    });
    own(client, (c) => c.close());
    const socket = await new Promise<OldSocket>((resolve, reject) => client.connect().subscribe({ onComplete: resolve, onError: reject }));
    const answer = await new Promise<{ data: Buffer }>((resolve, reject) => socket.requestResponse(routed('rev.say', 'old codec') as never).subscribe({ onComplete: resolve, onError: reject }));
    expect(answer.data.toString()).toBe('cedoc dlo');
  });
});

interface OldSocket {
  requestResponse(payload: never): { subscribe(subscriber: { onComplete(value: { data: Buffer }): void; onError(error: Error): void }): void };
}
interface OldRSocketCore {
  BufferEncoders: unknown;
  RSocketClient: new (options: object) => { connect(): { subscribe(subscriber: { onComplete(socket: OldSocket): void; onError(error: Error): void }): void }; close(): void };
}

describe('the SDK on TLS and WebSocket', () => {
  const { startBroker, own } = useInProcessBrokers();
  const certificates = useCertificates('sdk');

  it('publishes a service over wss and calls it over tcps, trusting the CA given; without it the certificate is refused', async () => {
    const { brokerCert, brokerKey, ca } = certificates();
    const broker = await startBroker({
      listen: [
        { transport: TRANSPORT.TCPS, host: LOOPBACK, port: 0 },
        { transport: TRANSPORT.WSS, host: LOOPBACK, port: 0, path: '/rsocket' },
      ],
      tls: { cert: brokerCert, key: brokerKey, clientAuth: 'none' },
    });
    const uriOf = (transport: Transport) => broker.boundListeners.find((listener) => listener.transport === transport)!.uri;
    own(
      await connect({ brokers: [uriOf(TRANSPORT.WSS)], tls: { ca }, app: 'sdk-service', services: { greet: { hello: (request) => `hello ${request.data.toString()}` } }, reconnect: false }),
      (client) => client.close(),
    );
    const caller = own(await connect({ brokers: [uriOf(TRANSPORT.TCPS)], tls: { ca }, app: 'sdk-caller', reconnect: false }), (client) => client.close());
    expect((await caller.requestResponse('greet.hello', 'tls')).data.toString()).toBe('hello tls');
    await expect(connect({ brokers: [uriOf(TRANSPORT.TCPS)], app: 'untrusting', reconnect: false })).rejects.toThrow(/self-signed|unable to verify|SELF_SIGNED|UNABLE_TO_VERIFY/i);
  });
});
