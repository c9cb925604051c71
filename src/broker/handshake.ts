import {
  decodeSetupMetadata,
  decodeFrame,
  FRAME_LENGTH_SIZE,
  ERROR_CODE,
  FLAG,
  formatServiceKey,
  FRAME_TYPE,
  MIME,
  nameFrameType,
  ProtocolError,
  readWireFrameType,
  readWireStreamId,
  type Authentication,
  type SetupDescription,
  type SetupFrame,
} from '../protocol/index.js';
import { AuthenticationRefused, type Grant } from './auth.js';

/** Bytes of a frame on TCP up to its type (length prefix, stream id, type): enough to tell SETUP from garbage before the whole frame arrives. */
const FIRST_HEADER_BYTES = FRAME_LENGTH_SIZE + 6;

/** VERIFYING: SETUP was sound and its token is being checked; frames that follow it wait. */
const HANDSHAKE_STATE = { AWAITING_SETUP: 0, VERIFYING: 1, DONE: 2 } as const;
type HandshakeState = (typeof HANDSHAKE_STATE)[keyof typeof HANDSHAKE_STATE];

/** Checks the credentials of a SETUP (JwtAuthenticator); rejects with AuthenticationRefused and the reason. */
export interface Authenticator {
  authenticate(authentication: Authentication | null): Promise<Grant>;
}

/** What the handshake needs of its connection. */
export interface HandshakePort {
  /** Ends the connection with a connection-level ERROR. */
  fail(code: number, message: string): void;
  /** Refuses the SETUP: counted and reported, then the connection ends with `code`. */
  refuse(code: number, message: string): void;
  pauseReading(): void;
  resumeReading(): void;
  /** The SETUP is accepted: the connection is in. */
  accept(setup: SetupFrame, description: SetupDescription, grant: Grant | null): void;
  /** Handles a frame held while the token was verified, once the connection is in. */
  replay(buf: Buffer, start: number, end: number): void;
}

/**
 * A connection's way in: the first bytes checked before the first frame is whole (garbage
 * is refused at once), then SETUP checked against what the broker supports and, when the
 * broker authenticates, its token verified. Verifying is asynchronous: frames that follow
 * SETUP are held, copied, reading is paused, and they are handed back in order once the
 * connection is in.
 */
export class SetupHandshake {
  private state: HandshakeState = HANDSHAKE_STATE.AWAITING_SETUP;
  /** The first bytes seen while the first header is incomplete; null once it has been checked. */
  private firstBytes: Buffer | null = Buffer.alloc(0);
  /** Frames that came after SETUP while its token was being verified, copied (only then). */
  private held: Buffer[] | null = null;

  constructor(
    private readonly port: HandshakePort,
    /** null when the broker lets anyone in. */
    private readonly authenticator: Authenticator | null,
  ) {}

  /** No frame has been read yet (a broken stream now is an INVALID_SETUP). */
  get isAwaitingSetup(): boolean {
    return this.state === HANDSHAKE_STATE.AWAITING_SETUP;
  }

  get isCheckingFirstBytes(): boolean {
    return this.firstBytes !== null;
  }

  /** On TCP: checks the first header as soon as its bytes are in; false when the connection was failed for it. */
  checkFirstBytes(chunk: Buffer): boolean {
    const head = Buffer.concat([this.firstBytes!, chunk.subarray(0, FIRST_HEADER_BYTES)]);
    if (head.length < FIRST_HEADER_BYTES) {
      this.firstBytes = head;
      return true;
    }
    this.firstBytes = null;
    const streamId = readWireStreamId(head, FRAME_LENGTH_SIZE);
    const type = readWireFrameType(head, FRAME_LENGTH_SIZE);
    if (type !== FRAME_TYPE.SETUP && type !== FRAME_TYPE.RESUME) {
      this.port.fail(ERROR_CODE.INVALID_SETUP, `the first frame must be SETUP, got ${nameFrameType(type)} on stream ${streamId}`);
      return false;
    }
    if (streamId !== 0) {
      this.port.fail(ERROR_CODE.INVALID_SETUP, `${nameFrameType(type)} must be on stream 0, got stream ${streamId}`);
      return false;
    }
    return true;
  }

  /** A frame before the connection is in: the first is SETUP; those during verification wait. */
  onFrame(buf: Buffer, start: number, end: number): void {
    if (this.state === HANDSHAKE_STATE.AWAITING_SETUP) this.onFirstFrame(buf, start, end);
    else if (this.state === HANDSHAKE_STATE.VERIFYING) (this.held ??= []).push(Buffer.from(buf.subarray(start, end)));
  }

  /** The connection closed: a verification still under way ends unheard, held frames are dropped. */
  abandon(): void {
    this.state = HANDSHAKE_STATE.DONE;
    this.held = null;
  }

  private onFirstFrame(buf: Buffer, start: number, end: number): void {
    let frame;
    try {
      frame = decodeFrame(buf, start, end);
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      this.port.fail(ERROR_CODE.INVALID_SETUP, `malformed first frame: ${error.message}`);
      return;
    }
    if (frame.type === FRAME_TYPE.RESUME) {
      this.port.fail(ERROR_CODE.REJECTED_RESUME, 'this broker does not support resumption: connect with a new SETUP');
      return;
    }
    if (frame.type !== FRAME_TYPE.SETUP) {
      this.port.fail(ERROR_CODE.INVALID_SETUP, `the first frame must be SETUP, got ${nameFrameType(frame.type)}`);
      return;
    }
    const checked = checkSetup(frame);
    if ('code' in checked) {
      this.port.refuse(checked.code, checked.message);
      return;
    }
    if (this.authenticator === null) {
      this.state = HANDSHAKE_STATE.DONE;
      this.port.accept(frame, checked, null);
      return;
    }
    // Verifying a signature is asynchronous: what follows SETUP waits, unread, until it is done.
    this.state = HANDSHAKE_STATE.VERIFYING;
    this.port.pauseReading();
    this.authenticator.authenticate(checked.authentication).then(
      (grant) => this.onVerified(frame, checked, grant),
      (error: unknown) => {
        if (this.state !== HANDSHAKE_STATE.VERIFYING) return;
        const reason = error instanceof AuthenticationRefused ? error.message : `the token could not be checked: ${String(error)}`;
        this.port.refuse(ERROR_CODE.REJECTED_SETUP, reason);
      },
    );
  }

  private onVerified(frame: SetupFrame, description: SetupDescription, grant: Grant): void {
    if (this.state !== HANDSHAKE_STATE.VERIFYING) return;
    const refused = description.services.map(formatServiceKey).find((key) => !grant.mayPublish(key));
    if (refused !== undefined) {
      this.port.refuse(ERROR_CODE.REJECTED_SETUP, grant.refusePublish(refused));
      return;
    }
    this.state = HANDSHAKE_STATE.DONE;
    this.port.accept(frame, description, grant);
    // Reading resumes first: no chunk is handled before the held frames (this runs to its end),
    // and a held request that fills its destination can pause reading again.
    this.port.resumeReading();
    const held = this.held ?? [];
    this.held = null;
    for (const heldFrame of held) this.port.replay(heldFrame, 0, heldFrame.length);
  }
}

/** Checks SETUP against what the broker supports; returns why not, or what it describes. */
function checkSetup(frame: SetupFrame): { code: number; message: string } | SetupDescription {
  if (frame.majorVersion !== 1) {
    return { code: ERROR_CODE.UNSUPPORTED_SETUP, message: `protocol version ${frame.majorVersion}.${frame.minorVersion} is not supported: this broker speaks RSocket 1.x` };
  }
  if (frame.flags & FLAG.RESUME_ENABLE) {
    return { code: ERROR_CODE.REJECTED_SETUP, message: 'resumption is not supported by this broker: connect without a resume token' };
  }
  if (frame.flags & FLAG.LEASE) {
    return { code: ERROR_CODE.UNSUPPORTED_SETUP, message: 'leasing is not supported by this broker: connect without the LEASE flag' };
  }
  if (frame.keepAlive === 0 || frame.lifetime === 0) {
    return { code: ERROR_CODE.INVALID_SETUP, message: 'keepalive interval and max lifetime must both be greater than 0' };
  }
  if (frame.metadataMimeType !== MIME.COMPOSITE_METADATA) {
    return {
      code: ERROR_CODE.UNSUPPORTED_SETUP,
      message: `metadata MIME type ${JSON.stringify(frame.metadataMimeType)} is not supported: use ${MIME.COMPOSITE_METADATA}`,
    };
  }
  try {
    return decodeSetupMetadata(frame.metadata);
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    return { code: ERROR_CODE.INVALID_SETUP, message: `SETUP metadata: ${error.message}` };
  }
}
