import { once } from 'node:events';
import { connect as netConnect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { Broker, BrokerEvent } from '../../src/broker/index.js';
import { createLeanPool } from '../../src/client/index.js';
import { BROKER_ROUTES, TRANSPORT, type Transport } from '../../src/protocol/index.js';
import { ECHO_HANDLER, ResponderConnection, type PeerConnectOptions } from '../../src/transport/index.js';
import { useCertificates } from '../support/certificates.js';
import { useInProcessBrokers } from '../support/in-process.js';
import { call, connectRequester } from '../support/lean-calls.js';
import { connectService } from '../support/lean-peers.js';
import { waitFor } from '../support/wait.js';

const LOOPBACK = '127.0.0.1';

describe('a broker on every transport at once', () => {
  const { startBroker, own } = useInProcessBrokers();
  const certificates = useCertificates('transports');

  async function startFourListeners(options: { events?: BrokerEvent[]; clientAuth?: 'none' | 'request' | 'require' } = {}) {
    const { brokerCert, brokerKey, ca } = certificates();
    return startBroker(
      {
        listen: [
          { transport: TRANSPORT.TCP, host: LOOPBACK, port: 0 },
          { transport: TRANSPORT.TCPS, host: LOOPBACK, port: 0 },
          { transport: TRANSPORT.WS, host: LOOPBACK, port: 0, path: '/rsocket' },
          { transport: TRANSPORT.WSS, host: LOOPBACK, port: 0, path: '/rsocket' },
        ],
        tls: { cert: brokerCert, key: brokerKey, ca, clientAuth: options.clientAuth ?? 'none' },
      },
      options.events ? (event) => options.events!.push(event) : undefined,
    );
  }

  function listenerOf(broker: Broker, transport: Transport) {
    return broker.boundListeners.find((listener) => listener.transport === transport)!;
  }

  const identity = (name: string): Pick<PeerConnectOptions, 'app'> => ({ app: { name, uuid: `${name}-${Math.random().toString(36).slice(2)}` } });

  it('routes a requester on each transport to a service on TCP, and back', async () => {
    const broker = await startFourListeners();
    own(await connectService(broker.port, { name: 'echo', services: ['svc'] }), (service) => service.peer.close());
    for (const listener of broker.boundListeners) {
      const requester = own(await connectRequester({ ...listener, tls: { ca: certificates().ca }, ...identity(`caller-${listener.transport}`) }), (r) => r.peer.close());
      expect(await call(requester, 'svc.echo', 'hi'), listener.uri).toEqual({ data: 'echo' });
    }
  });

  it('carries frames past the size queued by reference both ways between a WebSocket service and a TLS requester', async () => {
    const broker = await startFourListeners();
    const ws = listenerOf(broker, TRANSPORT.WS);
    own(
      await ResponderConnection.connect({ ...ws, ...identity('echo-ws'), services: [{ service: 'big', group: '', version: '' }] }, ECHO_HANDLER),
      (service) => service.peer.close(),
    );
    const requester = own(await connectRequester({ ...listenerOf(broker, TRANSPORT.TCPS), tls: { ca: certificates().ca }, ...identity('caller-tls') }), (r) => r.peer.close());
    for (const size of [10, 200, 70_000, 300_000]) {
      const data = 'x'.repeat(size - 1) + 'y';
      expect((await call(requester, 'big.echo', data)).data, `${size} bytes`).toBe(data);
    }
  });

  it('pushes every broker\'s URIs, one per listener, and a WebSocket client follows the WebSocket ones', async () => {
    const other = await startFourListeners();
    const broker = await startFourListeners();
    const entry = (id: string, b: typeof broker) => ({ id, host: b.host, port: b.port, uris: b.boundListeners.map((listener) => listener.uri) });
    broker.membership.update({ name: 'pair', brokers: [entry('a', broker), entry('b', other)] });
    other.membership.update({ name: 'pair', brokers: [entry('a', broker), entry('b', other)] });
    const pool = own(createLeanPool({ brokers: [listenerOf(broker, TRANSPORT.WS)], ...identity('follower') }, (peer) => ({ peer, onStreamFrame() {}, onConnectionLost() {} })), (p) => p.close());
    await pool.start();
    await waitFor(() => pool.members.length === 2 && pool.members.every((member) => member.isUp), 'the pool on both brokers');
    expect(pool.members.map((member) => member.name).sort()).toEqual([listenerOf(broker, TRANSPORT.WS).uri, listenerOf(other, TRANSPORT.WS).uri].sort());
    const standalone = await startFourListeners();
    const described = standalone.membership.describe().data!.brokers[0]!;
    expect(described.uris).toEqual(standalone.boundListeners.map((listener) => listener.uri));
    expect(described.uris!.map((uri) => uri.split(':')[0])).toEqual(['tcp', 'tcps', 'ws', 'wss']);
  });

  it('shows a client certificate\'s subject in the connection list and the connection event, and requires one when told', async () => {
    const events: BrokerEvent[] = [];
    const broker = await startFourListeners({ events, clientAuth: 'require' });
    const { ca, clientCert, clientKey } = certificates();
    for (const transport of [TRANSPORT.TCPS, TRANSPORT.WSS]) {
      own(await connectRequester({ ...listenerOf(broker, transport), tls: { ca, cert: clientCert, key: clientKey }, ...identity(`mtls-${transport}`) }), (r) => r.peer.close());
    }
    const listed = broker.listConnections().filter((connection) => connection.app.startsWith('mtls-'));
    expect(listed.map((connection) => [connection.transport, connection.tlsSubject])).toEqual([
      [TRANSPORT.TCPS, 'CN=rsb transports client, O=rsb development'],
      [TRANSPORT.WSS, 'CN=rsb transports client, O=rsb development'],
    ]);
    expect(events.filter((event) => event.kind === 'session-ready').map((event) => (event as { session: { tlsSubject?: string } }).session.tlsSubject)).toEqual([
      'CN=rsb transports client, O=rsb development',
      'CN=rsb transports client, O=rsb development',
    ]);
    await expect(connectRequester({ ...listenerOf(broker, TRANSPORT.TCPS), tls: { ca }, ...identity('no-certificate'), connectTimeoutMs: 2_000 })).rejects.toThrow();
    await waitFor(() => events.some((event) => event.kind === 'handshake-failed'), 'the refused handshake reported');
  });

  it('refuses an upgrade on another path and from an origin not allowed, with the HTTP status saying why', async () => {
    const broker = await startBroker({ listen: [{ transport: TRANSPORT.WS, host: LOOPBACK, port: 0, path: '/rsocket' }], wsAllowedOrigins: ['https://app.example'] });
    const { port } = listenerOf(broker, TRANSPORT.WS);
    const statusOf = async (path: string, origin?: string): Promise<number> => {
      const websocket = new WebSocket(`ws://${LOOPBACK}:${port}${path}`, origin ? { origin } : {});
      websocket.on('error', () => {});
      const [, response] = (await Promise.race([once(websocket, 'unexpected-response'), once(websocket, 'open').then(() => [null, { statusCode: 101 }])])) as [unknown, { statusCode: number }];
      websocket.terminate();
      return response.statusCode;
    };
    expect(await statusOf('/other')).toBe(404);
    expect(await statusOf('/rsocket', 'https://evil.example')).toBe(403);
    expect(await statusOf('/rsocket', 'https://app.example')).toBe(101);
    expect(await statusOf('/rsocket')).toBe(101);
  });

  it('answers a WebSocket ping with a pong', async () => {
    const broker = await startBroker({ listen: [{ transport: TRANSPORT.WS, host: LOOPBACK, port: 0, path: '/' }] });
    const websocket = own(new WebSocket(`ws://${LOOPBACK}:${listenerOf(broker, TRANSPORT.WS).port}/`), (w) => w.terminate());
    await once(websocket, 'open');
    websocket.ping(Buffer.from('are you there'));
    const [payload] = (await once(websocket, 'pong')) as [Buffer];
    expect(payload.toString()).toBe('are you there');
  });

  it('closes a connection whose TLS handshake or WebSocket upgrade does not finish within the handshake timeout', async () => {
    const events: BrokerEvent[] = [];
    const { brokerCert, brokerKey } = certificates();
    const broker = await startBroker(
      {
        listen: [
          { transport: TRANSPORT.TCPS, host: LOOPBACK, port: 0 },
          { transport: TRANSPORT.WS, host: LOOPBACK, port: 0, path: '/' },
        ],
        tls: { cert: brokerCert, key: brokerKey, clientAuth: 'none' },
        handshakeTimeoutMs: 300,
      },
      (event) => events.push(event),
    );
    for (const transport of [TRANSPORT.TCPS, TRANSPORT.WS]) {
      const socket = netConnect(listenerOf(broker, transport).port, LOOPBACK);
      socket.on('error', () => {});
      await once(socket, 'connect');
      // A byte at a time, never finishing: a TLS ClientHello's first byte, or the start of an upgrade request.
      socket.write(transport === TRANSPORT.TCPS ? Buffer.of(0x16) : 'GET / HTTP/1.1\r\n');
      await once(socket, 'close');
    }
    expect(events.filter((event) => event.kind === 'handshake-failed').map((event) => (event as { transport: string }).transport).sort()).toEqual([TRANSPORT.TCPS, TRANSPORT.WS]);
  });

  it('answers its own routes to a WebSocket client, as to any other', async () => {
    const broker = await startBroker({ listen: [{ transport: TRANSPORT.WS, host: LOOPBACK, port: 0, path: '/' }] });
    const requester = own(await connectRequester({ ...listenerOf(broker, TRANSPORT.WS), ...identity('asker') }), (r) => r.peer.close());
    const health = await call(requester, BROKER_ROUTES.HEALTH);
    expect(JSON.parse(health.data!)).toMatchObject({ status: 'up' });
  });
});
