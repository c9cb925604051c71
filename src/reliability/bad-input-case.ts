import { connect, type Socket } from 'node:net';
import {
  createSetupFrame,
  decodeFrame,
  encodeCompositeMetadata,
  encodeFrame,
  encodeRoutingTags,
  ERROR_CODE,
  FLAG,
  FRAME_TYPE,
  FrameSplitter,
  MIME,
  nameErrorCode,
  type Frame,
  type SetupFrame,
} from '../protocol/index.js';
import { ECHO_HANDLER, LeanRequester, PeerConnection, prepareRequest, ResponderConnection } from '../transport/index.js';
import { BrokerProcess } from './broker-process.js';
import { reportBadInputRun, type CaseResult } from './case-result.js';

export interface BadInputOptions {
  /** Connections that send random bytes or mutated frames, on top of the scripted cases. */
  fuzzConnections: number;
  /** Requests the well-behaved client keeps in flight meanwhile. */
  inFlight?: number;
  /** The broker's frame limit for this run (the oversized case sends one byte more). */
  maxFrameSize?: number;
}

const MAX_FRAME_SIZE = 64 * 1024;
const route = encodeCompositeMetadata([{ mimeType: MIME.ROUTING, content: encodeRoutingTags(['echo.say']) }]);
const empty = Buffer.alloc(0);

function setupFrame(overrides: Partial<SetupFrame> = {}): SetupFrame {
  return createSetupFrame({ app: { name: 'bad-input', uuid: `b-${Math.random()}` } }, overrides);
}
const SETUP = encodeFrame(setupFrame());

/** What the spec asks of the broker for one kind of bad input (Protocol.md sections quoted in session.ts). */
interface ScriptedCase {
  name: string;
  bytes: () => Buffer;
  /** The ERROR code expected back, and on which stream; undefined: nothing in particular. */
  expectError?: { code: number; streamId: number };
  /** Whether the broker must close the connection. */
  isClosed: boolean;
}

export const SCRIPTED_CASES: ScriptedCase[] = [
  { name: 'garbage first bytes', bytes: () => Buffer.from('GET / HTTP/1.1\r\n\r\n'), expectError: { code: ERROR_CODE.INVALID_SETUP, streamId: 0 }, isClosed: true },
  { name: 'frame before SETUP', bytes: () => encodeFrame({ type: FRAME_TYPE.REQUEST_RESPONSE, streamId: 1, flags: 0, metadata: route, data: empty }), expectError: { code: ERROR_CODE.INVALID_SETUP, streamId: 0 }, isClosed: true },
  { name: 'length 0', bytes: () => Buffer.from('000000', 'hex'), expectError: { code: ERROR_CODE.INVALID_SETUP, streamId: 0 }, isClosed: true },
  { name: 'length 2^24-1', bytes: () => Buffer.concat([SETUP, Buffer.from('ffffff00000001', 'hex')]), expectError: { code: ERROR_CODE.CONNECTION_ERROR, streamId: 0 }, isClosed: true },
  { name: 'truncated frame, then the client hangs up', bytes: () => Buffer.concat([SETUP, encodeFrame({ type: FRAME_TYPE.REQUEST_RESPONSE, streamId: 1, flags: 0, metadata: route, data: Buffer.from('cut') }).subarray(0, 12)]), isClosed: false },
  { name: 'metadata length past the end', bytes: () => Buffer.concat([SETUP, Buffer.from('00000c000000011100 0000ff616263'.replace(/ /g, ''), 'hex')]), expectError: { code: ERROR_CODE.CONNECTION_ERROR, streamId: 0 }, isClosed: true },
  { name: 'unknown frame type', bytes: () => Buffer.concat([SETUP, Buffer.from('0000060000000144 00'.replace(/ /g, ''), 'hex')]), expectError: { code: ERROR_CODE.CONNECTION_ERROR, streamId: 0 }, isClosed: true },
  { name: 'request on stream 0', bytes: () => Buffer.concat([SETUP, Buffer.from('000006000000001000', 'hex')]), expectError: { code: ERROR_CODE.CONNECTION_ERROR, streamId: 0 }, isClosed: true },
  {
    name: 'reused stream id (ignored)',
    bytes: () => Buffer.concat([SETUP, ...[1, 1].map(() => encodeFrame({ type: FRAME_TYPE.REQUEST_STREAM, streamId: 1, flags: 0, requestN: 1, metadata: route, data: empty }))]),
    isClosed: false,
  },
  { name: 'REQUEST_N of 0 (ignored)', bytes: () => Buffer.concat([SETUP, Buffer.from('00000a000000032000 00000000'.replace(/ /g, ''), 'hex')]), isClosed: false },
  { name: 'initial request N of 0', bytes: () => Buffer.concat([SETUP, Buffer.from('00000a000000011800 00000000'.replace(/ /g, ''), 'hex')]), expectError: { code: ERROR_CODE.INVALID, streamId: 1 }, isClosed: false },
  { name: 'second SETUP (ignored)', bytes: () => Buffer.concat([SETUP, encodeFrame(setupFrame({ majorVersion: 7 }))]), isClosed: false },
  { name: 'RESUME', bytes: () => encodeFrame({ type: FRAME_TYPE.RESUME, streamId: 0, flags: 0, majorVersion: 1, minorVersion: 0, resumeToken: Buffer.from('t'), lastReceivedServerPosition: 0n, firstAvailableClientPosition: 0n }), expectError: { code: ERROR_CODE.REJECTED_RESUME, streamId: 0 }, isClosed: true },
  { name: 'SETUP with lease', bytes: () => encodeFrame(setupFrame({ flags: FLAG.LEASE })), expectError: { code: ERROR_CODE.UNSUPPORTED_SETUP, streamId: 0 }, isClosed: true },
  { name: 'SETUP with resume token', bytes: () => encodeFrame(setupFrame({ flags: FLAG.RESUME_ENABLE, resumeToken: Buffer.from('t') })), expectError: { code: ERROR_CODE.REJECTED_SETUP, streamId: 0 }, isClosed: true },
  {
    name: 'oversized frame',
    bytes: () => Buffer.concat([SETUP, encodeFrame({ type: FRAME_TYPE.REQUEST_FNF, streamId: 1, flags: 0, metadata: route, data: Buffer.alloc(MAX_FRAME_SIZE) })]),
    expectError: { code: ERROR_CODE.CONNECTION_ERROR, streamId: 0 },
    isClosed: true,
  },
];

/** What a bad connection got back. */
interface Outcome {
  frames: Frame[];
  isClosed: boolean;
}

/**
 * The scripted bad inputs of SCRIPTED_CASES, each checked against what the spec asks, and
 * `fuzzConnections` connections of random bytes and mutated frames — all while a
 * well-behaved client keeps requests in flight through the same broker and must see no error.
 */
export async function runBadInputCase(options: BadInputOptions): Promise<CaseResult> {
  const broker = await BrokerProcess.start(['--id', 'bad-input', '--max-frame-size', String(options.maxFrameSize ?? MAX_FRAME_SIZE), '--setup-timeout', '1s']);
  let service: ResponderConnection | undefined;
  let client: PeerConnection | undefined;
  try {
    service = await ResponderConnection.connect({ host: '127.0.0.1', port: broker.port, services: [{ service: 'echo', group: '', version: '' }] }, ECHO_HANDLER);
    client = await PeerConnection.connect({ host: '127.0.0.1', port: broker.port }, { onStreamFrame() {}, onConnectionLost() {} });
    const valid = { sent: 0, answered: 0, errored: 0, isRunning: true };
    const template = prepareRequest({ route: 'echo.say', data: Buffer.from('valid') });
    const requester = new LeanRequester<number>(client, {
      onComplete: () => {
        valid.answered++;
        if (valid.isRunning) (valid.sent++, requester.send(template, 0));
      },
      onError: () => {
        valid.errored++;
      },
    });
    for (let i = 0; i < (options.inFlight ?? 8); i++) (valid.sent++, requester.send(template, 0));

    const failures: string[] = [];
    for (const scripted of SCRIPTED_CASES) {
      const outcome = await sendAndWatch(broker.port, scripted.bytes(), scripted.isClosed ? 5_000 : 600);
      const problem = judge(scripted, outcome);
      if (problem) failures.push(`${scripted.name}: ${problem}`);
    }
    let fuzzed = 0;
    for (let started = 0; started < options.fuzzConnections; started += 50) {
      const batch = Array.from({ length: Math.min(50, options.fuzzConnections - started) }, (_, i) => sendAndWatch(broker.port, fuzzBytes(started + i), 1_500));
      fuzzed += (await Promise.all(batch)).length;
    }
    valid.isRunning = false;
    const deadline = Date.now() + 5_000;
    while (requester.inFlight > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    return reportBadInputRun({
      name: 'bad input',
      claim: `${SCRIPTED_CASES.length} scripted malformed inputs answered as the spec says, ${fuzzed} fuzzed connections, a valid client alongside`,
      connections: 2 + SCRIPTED_CASES.length + fuzzed,
      traffic: { sent: valid.sent, answered: valid.answered, errored: valid.errored, unanswered: requester.inFlight },
      failures,
      isBrokerAlive: broker.isRunning,
      peakBrokerRssBytes: broker.memory().peakRssBytes,
      heldNote: 'every scripted case answered as expected',
    });
  } finally {
    await client?.close();
    await service?.peer.close();
    await broker.stop();
  }
}

function judge(scripted: ScriptedCase, outcome: Outcome): string | undefined {
  const error = outcome.frames.find((frame) => frame.type === FRAME_TYPE.ERROR);
  if (scripted.expectError) {
    if (!error || error.type !== FRAME_TYPE.ERROR) return `expected ERROR ${nameErrorCode(scripted.expectError.code)}, got none`;
    if (error.code !== scripted.expectError.code || error.streamId !== scripted.expectError.streamId) {
      return `expected ERROR ${nameErrorCode(scripted.expectError.code)} on stream ${scripted.expectError.streamId}, got ${nameErrorCode(error.code)} on stream ${error.streamId}`;
    }
  } else if (error && error.streamId === 0) {
    return `expected no connection error, got ${error.type === FRAME_TYPE.ERROR ? nameErrorCode(error.code) : ''}`;
  }
  if (scripted.isClosed && !outcome.isClosed) return 'expected the broker to close the connection';
  if (!scripted.isClosed && outcome.isClosed) return 'expected the connection to stay open';
  return undefined;
}

/** Random bytes, or a valid SETUP followed by random bytes: both must only ever cost their own connection. */
function fuzzBytes(seed: number): Buffer {
  const random = Buffer.from(Array.from({ length: 8 + (seed % 120) }, () => Math.floor(Math.random() * 256)));
  return seed % 2 === 0 ? random : Buffer.concat([SETUP, random]);
}

/** Opens a connection, writes `bytes`, and collects what comes back for `waitMs` or until the broker closes it. */
function sendAndWatch(port: number, bytes: Buffer, waitMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const frames: Frame[] = [];
    const splitter = new FrameSplitter();
    const socket: Socket = connect({ host: '127.0.0.1', port }, () => socket.write(bytes));
    const finish = (isClosed: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ frames, isClosed });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.on('data', (chunk: Buffer) => {
      try {
        splitter.push(chunk, { onFrame: (buf, start, end) => frames.push(decodeFrame(buf, start, end)) });
      } catch {
        // The broker only sends valid frames; a decoding failure here would show up as a missing ERROR.
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => finish(true));
  });
}
