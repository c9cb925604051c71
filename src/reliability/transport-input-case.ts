import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { WebSocket } from 'ws';
import { createDevelopmentCertificates, type DevelopmentCertificates } from '../cluster/index.js';
import {
  createSetupFrame,
  decodeFrame,
  encodeCompositeMetadata,
  encodeFrame,
  encodeFrameBody,
  encodeRoutingTags,
  ERROR_CODE,
  FRAME_TYPE,
  MIME,
  nameErrorCode,
  TRANSPORT,
  type Frame,
  type Transport,
  type TransportEndpoint,
} from '../protocol/index.js';
import { ECHO_HANDLER, LeanRequester, PeerConnection, prepareRequest, ResponderConnection, type TlsClientOptions } from '../transport/index.js';
import { BrokerProcess } from './broker-process.js';
import { reportBadInputRun, type CaseResult, type NeighbourTraffic } from './case-result.js';

/** Short, so that the cases that wait for it end quickly. */
const HANDSHAKE_TIMEOUT_MS = 1_000;
const MAX_FRAME_SIZE = 64 * 1024;
const WS_PATH = '/rsocket';
const ALLOWED_ORIGIN = 'https://app.example';
/** RFC 6455, 7.4.1: "a message that is too big for it to process". */
const WS_MESSAGE_TOO_BIG = 1009;

/** How one bad connection ended, as its own side saw it. */
interface Ending {
  /** The RSocket ERROR the broker sent before closing, if any. */
  error?: { code: number; streamId: number };
  /** The HTTP status of a refused upgrade. */
  httpStatus?: number;
  /** The WebSocket close code. */
  closeCode?: number;
  /** The connection is gone (closed by the broker, or the handshake refused). */
  isClosed: boolean;
  elapsedMs: number;
}

interface TransportInputCase {
  name: string;
  run(broker: BrokerEndpoints): Promise<Ending>;
  /** What the broker must have done; a sentence naming what happened otherwise. */
  judge(ending: Ending): string | undefined;
}

interface BrokerEndpoints {
  tcp: TransportEndpoint;
  tcps: TransportEndpoint;
  ws: TransportEndpoint;
  /** A client certificate from a CA the broker does not trust. */
  strangerTls: TlsClientOptions;
  /** The broker's CA, for cases that get past the handshake. */
  trustedTls: TlsClientOptions;
}

const ROUTE = encodeCompositeMetadata([{ mimeType: MIME.ROUTING, content: encodeRoutingTags(['echo.say']) }]);
const SETUP_BODY = encodeFrameBody(createSetupFrame({ app: { name: 'bad-transport-input', uuid: 'bad-transport-input' } }));

const isClosedWithin = (limitMs: number) => (ending: Ending): string | undefined =>
  !ending.isClosed ? `still open after ${limitMs} ms` : undefined;

const expectsConnectionError = (code: number) => (ending: Ending): string | undefined => {
  if (!ending.error) return `expected ERROR ${nameErrorCode(code)}, got none`;
  if (ending.error.code !== code || ending.error.streamId !== 0) return `expected ERROR ${nameErrorCode(code)} on stream 0, got ${nameErrorCode(ending.error.code)} on stream ${ending.error.streamId}`;
  return ending.isClosed ? undefined : 'expected the broker to close the connection';
};

/**
 * The transports' own bad input (docs/transports.md): what never becomes an RSocket
 * connection, and WebSocket messages that are not one frame. Each case opens its own
 * connection and must end only that one.
 */
export const TRANSPORT_INPUT_CASES: TransportInputCase[] = [
  {
    name: 'plaintext to the TLS port',
    run: ({ tcps }) => sendRaw(tcps, encodeFrame(createSetupFrame({ app: { name: 'plain', uuid: 'plain' } })), 5_000),
    judge: isClosedWithin(5_000),
  },
  {
    name: 'TLS to the plaintext port',
    run: ({ tcp, trustedTls }) => handshakeTls(tcp, trustedTls, 5_000),
    judge: (ending) => (ending.isClosed ? undefined : 'the TLS client is still connected'),
  },
  {
    name: 'TLS handshake never completes',
    // One byte of a ClientHello, and then nothing.
    run: ({ tcps }) => sendRaw(tcps, Buffer.of(0x16), HANDSHAKE_TIMEOUT_MS * 5),
    judge: (ending) => (!ending.isClosed ? 'still open' : ending.elapsedMs < HANDSHAKE_TIMEOUT_MS * 0.8 ? `closed after ${Math.round(ending.elapsedMs)} ms, before the handshake timeout` : undefined),
  },
  {
    name: 'client certificate from another CA',
    run: ({ tcps, strangerTls }) => handshakeTls(tcps, strangerTls, 5_000),
    judge: (ending) => (ending.isClosed ? undefined : 'the connection was let in'),
  },
  {
    name: 'WebSocket upgrade on a wrong path',
    run: ({ ws }) => openWebSocket({ ...ws, path: '/elsewhere' }, {}, [], 5_000),
    judge: (ending) => (ending.httpStatus === 404 ? undefined : `expected HTTP 404, got ${ending.httpStatus ?? 'an upgrade'}`),
  },
  {
    name: 'WebSocket upgrade from a refused origin',
    run: ({ ws }) => openWebSocket(ws, { origin: 'https://evil.example' }, [], 5_000),
    judge: (ending) => (ending.httpStatus === 403 ? undefined : `expected HTTP 403, got ${ending.httpStatus ?? 'an upgrade'}`),
  },
  {
    name: 'a text message',
    run: ({ ws }) => openWebSocket(ws, { origin: ALLOWED_ORIGIN }, [SETUP_BODY, 'SETUP as text'], 5_000),
    judge: expectsConnectionError(ERROR_CODE.CONNECTION_ERROR),
  },
  {
    name: 'a message over the frame limit',
    run: ({ ws }) => openWebSocket(ws, {}, [SETUP_BODY, Buffer.alloc(MAX_FRAME_SIZE + 1)], 5_000),
    judge: (ending) => (ending.closeCode === WS_MESSAGE_TOO_BIG ? undefined : `expected close code ${WS_MESSAGE_TOO_BIG}, got ${ending.closeCode ?? 'none'}`),
  },
  {
    name: 'a message holding two frames',
    run: ({ ws }) => {
      const cancel = encodeFrameBody({ type: FRAME_TYPE.CANCEL, streamId: 1, flags: 0 });
      return openWebSocket(ws, {}, [SETUP_BODY, Buffer.concat([cancel, cancel])], 5_000);
    },
    judge: expectsConnectionError(ERROR_CODE.CONNECTION_ERROR),
  },
  {
    name: 'a message holding a length prefix',
    run: ({ ws }) => openWebSocket(ws, {}, [SETUP_BODY, encodeFrame({ type: FRAME_TYPE.REQUEST_RESPONSE, streamId: 1, flags: 0, metadata: ROUTE, data: Buffer.from('x') })], 5_000),
    judge: expectsConnectionError(ERROR_CODE.CONNECTION_ERROR),
  },
  {
    name: 'an upgrade request dribbled a byte at a time',
    run: ({ ws }) => dribble(ws, `GET ${WS_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`, 200, HANDSHAKE_TIMEOUT_MS * 5),
    judge: (ending) => (!ending.isClosed ? 'still open' : ending.elapsedMs < HANDSHAKE_TIMEOUT_MS * 0.8 ? `closed after ${Math.round(ending.elapsedMs)} ms, before the handshake timeout` : undefined),
  },
];

/**
 * A broker listening on TCP, TLS requiring client certificates and WebSocket, fed the
 * cases of TRANSPORT_INPUT_CASES one by one while a neighbour on WebSocket and one on TLS
 * keep requests in flight to a service on TCP: every case must end its own connection
 * only, and the neighbours see no error.
 */
export async function runTransportInputCase(options: { inFlight?: number } = {}): Promise<CaseResult> {
  const dir = await mkdtemp(path.join(tmpdir(), 'rsb-transport-input-'));
  let broker: BrokerProcess | undefined;
  const peers: PeerConnection[] = [];
  try {
    const [trusted, stranger] = await Promise.all([createDevelopmentCertificates(path.join(dir, 'trusted'), { name: 'reliability' }), createDevelopmentCertificates(path.join(dir, 'stranger'), { name: 'stranger' })]);
    broker = await BrokerProcess.start([
      '--id', 'transport-input',
      '--listen', 'tcps://127.0.0.1:0',
      '--listen', `ws://127.0.0.1:0${WS_PATH}`,
      '--tls-cert', trusted.brokerCert, '--tls-key', trusted.brokerKey, '--tls-ca', trusted.ca, '--tls-client-auth', 'require',
      '--ws-allowed-origins', ALLOWED_ORIGIN,
      '--max-frame-size', String(MAX_FRAME_SIZE),
      '--handshake-timeout', `${HANDSHAKE_TIMEOUT_MS}ms`,
    ]);
    const endpoints = describeEndpoints(broker, await readClientTls(trusted), await readClientTls(stranger));
    const service = await ResponderConnection.connect({ ...endpoints.tcp, services: [{ service: 'echo', group: '', version: '' }] }, ECHO_HANDLER);
    peers.push(service.peer);
    const neighbours = await Promise.all([startNeighbour(endpoints.ws, undefined, options.inFlight ?? 8), startNeighbour(endpoints.tcps, endpoints.trustedTls, options.inFlight ?? 8)]);
    for (const neighbour of neighbours) peers.push(neighbour.peer);

    const failures: string[] = [];
    for (const scripted of TRANSPORT_INPUT_CASES) {
      const problem = scripted.judge(await scripted.run(endpoints));
      if (problem) failures.push(`${scripted.name}: ${problem}`);
    }
    for (const neighbour of neighbours) neighbour.stop();
    const deadline = Date.now() + 5_000;
    while (neighbours.some((neighbour) => neighbour.requester.inFlight > 0) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    const traffic: NeighbourTraffic = { sent: 0, answered: 0, errored: 0, unanswered: 0 };
    for (const neighbour of neighbours) {
      traffic.sent += neighbour.counts.sent;
      traffic.answered += neighbour.counts.answered;
      traffic.errored += neighbour.counts.errored;
      traffic.unanswered += neighbour.requester.inFlight;
    }
    return reportBadInputRun({
      name: 'transport bad input',
      claim: `${TRANSPORT_INPUT_CASES.length} bad TLS and WebSocket inputs each ended only their own connection, neighbours on WebSocket and TLS alongside`,
      connections: 3 + TRANSPORT_INPUT_CASES.length,
      traffic,
      failures,
      isBrokerAlive: broker.isRunning,
      peakBrokerRssBytes: broker.memory().peakRssBytes,
      heldNote: 'every case closed its own connection as expected',
    });
  } finally {
    await Promise.all(peers.map((peer) => peer.close()));
    await broker?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

async function readClientTls(certificates: DevelopmentCertificates): Promise<TlsClientOptions> {
  const [ca, cert, key] = await Promise.all([readFile(certificates.ca), readFile(certificates.clientCert), readFile(certificates.clientKey)]);
  return { ca, cert, key };
}

function describeEndpoints(broker: BrokerProcess, trustedTls: TlsClientOptions, strangerTls: TlsClientOptions): BrokerEndpoints {
  const find = (scheme: string): TransportEndpoint => {
    const uri = new URL(broker.uris.find((candidate) => candidate.startsWith(`${scheme}://`))!);
    return { transport: scheme as Transport, host: '127.0.0.1', port: Number(uri.port), ...(scheme === TRANSPORT.WS ? { path: uri.pathname } : {}) };
  };
  return { tcp: find(TRANSPORT.TCP), tcps: find(TRANSPORT.TCPS), ws: find(TRANSPORT.WS), trustedTls, strangerTls };
}

/** A well-behaved requester keeping `inFlight` requests going until stopped. */
async function startNeighbour(endpoint: TransportEndpoint, tls: TlsClientOptions | undefined, inFlight: number) {
  const peer = await PeerConnection.connect({ ...endpoint, tls, app: { name: `neighbour-${endpoint.transport}`, uuid: `neighbour-${endpoint.transport}` } }, { onStreamFrame() {}, onConnectionLost() {} });
  const counts = { sent: 0, answered: 0, errored: 0 };
  let isRunning = true;
  const template = prepareRequest({ route: 'echo.say', data: Buffer.from('neighbour') });
  const requester: LeanRequester<number> = new LeanRequester<number>(peer, {
    onComplete: () => {
      counts.answered++;
      if (isRunning) (counts.sent++, requester.send(template, 0));
    },
    onError: () => void counts.errored++,
  });
  for (let i = 0; i < inFlight; i++) (counts.sent++, requester.send(template, 0));
  return { peer, requester, counts, stop: () => (isRunning = false) };
}

/** Raw TCP: writes `bytes` and waits for the broker to close, at most `waitMs`. */
function sendRaw(endpoint: TransportEndpoint, bytes: Buffer, waitMs: number): Promise<Ending> {
  return watchSocket(netConnect(endpoint.port, endpoint.host), (socket) => socket.write(bytes), waitMs);
}

/** Raw TCP: writes `text` one byte every `everyMs`, until the broker closes the connection or `waitMs` passes. */
function dribble(endpoint: TransportEndpoint, text: string, everyMs: number, waitMs: number): Promise<Ending> {
  let timer: NodeJS.Timeout | undefined;
  return watchSocket(
    netConnect(endpoint.port, endpoint.host),
    (socket) => {
      let at = 0;
      timer = setInterval(() => {
        if (at < text.length && !socket.destroyed) socket.write(text[at++]!);
      }, everyMs);
    },
    waitMs,
  ).finally(() => clearInterval(timer));
}

/** A TLS client: the handshake fails (or the broker closes what follows) and the connection ends. */
function handshakeTls(endpoint: TransportEndpoint, tls: TlsClientOptions, waitMs: number): Promise<Ending> {
  return watchSocket(tlsConnect({ host: endpoint.host, port: endpoint.port, ca: tls.ca, cert: tls.cert, key: tls.key, rejectUnauthorized: false }), (socket) => socket.write(encodeFrame(createSetupFrame({ app: { name: 'tls', uuid: 'tls' } }))), waitMs);
}

function watchSocket(socket: Socket, onConnect: (socket: Socket) => void, waitMs: number): Promise<Ending> {
  const started = performance.now();
  return new Promise((resolve) => {
    const finish = (isClosed: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ isClosed, elapsedMs: performance.now() - started });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.once('connect', () => onConnect(socket));
    socket.on('data', () => {});
    socket.on('error', () => {});
    socket.once('close', () => finish(true));
  });
}

/** A WebSocket client: the upgrade (refused with an HTTP status, or done), then `messages`, then what the broker does. */
function openWebSocket(endpoint: TransportEndpoint, headers: { origin?: string }, messages: (Buffer | string)[], waitMs: number): Promise<Ending> {
  const started = performance.now();
  return new Promise((resolve) => {
    let error: Ending['error'];
    let httpStatus: number | undefined;
    const websocket = new WebSocket(`ws://${endpoint.host}:${endpoint.port}${endpoint.path ?? '/'}`, { ...headers, perMessageDeflate: false });
    const finish = (isClosed: boolean, closeCode?: number): void => {
      clearTimeout(timer);
      websocket.terminate();
      resolve({ isClosed, elapsedMs: performance.now() - started, ...(error ? { error } : {}), ...(httpStatus ? { httpStatus } : {}), ...(closeCode ? { closeCode } : {}) });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    websocket.on('error', () => {});
    websocket.on('unexpected-response', (_request, response) => {
      httpStatus = response.statusCode;
      finish(true);
    });
    websocket.on('open', () => {
      for (const message of messages) websocket.send(message, { binary: typeof message !== 'string' });
    });
    websocket.on('message', (data: Buffer) => {
      // A reply that does not decode is the broker's fault, for this case to report, not the runner's end.
      let frame: Frame;
      try {
        frame = decodeFrame(data);
      } catch {
        finish(true);
        return;
      }
      if (frame.type === FRAME_TYPE.ERROR) error = { code: frame.code, streamId: frame.streamId };
    });
    websocket.on('close', (code) => finish(true, code));
  });
}
