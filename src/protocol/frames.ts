import { FRAME_TYPE } from './constants.js';

/**
 * Decoded frames. `flags` holds every flag bit as sent; the encoder keeps the METADATA
 * bit in step with `metadata` (null means absent, an empty Buffer means present and
 * empty). u63 positions are bigints: they do not fit a double.
 */
interface FrameHeader {
  streamId: number;
  flags: number;
}

/** Frames whose body may end in metadata and data. */
interface WithPayload {
  metadata: Buffer | null;
  data: Buffer;
}

export interface SetupFrame extends FrameHeader, WithPayload {
  type: typeof FRAME_TYPE.SETUP;
  majorVersion: number;
  minorVersion: number;
  keepAlive: number;
  lifetime: number;
  /** Present exactly when the RESUME_ENABLE flag is set. */
  resumeToken: Buffer | null;
  metadataMimeType: string;
  dataMimeType: string;
}

export interface LeaseFrame extends FrameHeader {
  type: typeof FRAME_TYPE.LEASE;
  ttl: number;
  requestCount: number;
  metadata: Buffer | null;
}

export interface KeepaliveFrame extends FrameHeader {
  type: typeof FRAME_TYPE.KEEPALIVE;
  lastReceivedPosition: bigint;
  data: Buffer;
}

export interface RequestResponseFrame extends FrameHeader, WithPayload {
  type: typeof FRAME_TYPE.REQUEST_RESPONSE;
}

export interface RequestFnfFrame extends FrameHeader, WithPayload {
  type: typeof FRAME_TYPE.REQUEST_FNF;
}

export interface RequestStreamFrame extends FrameHeader, WithPayload {
  type: typeof FRAME_TYPE.REQUEST_STREAM;
  requestN: number;
}

export interface RequestChannelFrame extends FrameHeader, WithPayload {
  type: typeof FRAME_TYPE.REQUEST_CHANNEL;
  requestN: number;
}

export interface RequestNFrame extends FrameHeader {
  type: typeof FRAME_TYPE.REQUEST_N;
  requestN: number;
}

export interface CancelFrame extends FrameHeader {
  type: typeof FRAME_TYPE.CANCEL;
}

export interface PayloadFrame extends FrameHeader, WithPayload {
  type: typeof FRAME_TYPE.PAYLOAD;
}

export interface ErrorFrame extends FrameHeader {
  type: typeof FRAME_TYPE.ERROR;
  code: number;
  message: string;
}

export interface MetadataPushFrame extends FrameHeader {
  type: typeof FRAME_TYPE.METADATA_PUSH;
  metadata: Buffer;
}

export interface ResumeFrame extends FrameHeader {
  type: typeof FRAME_TYPE.RESUME;
  majorVersion: number;
  minorVersion: number;
  resumeToken: Buffer;
  lastReceivedServerPosition: bigint;
  firstAvailableClientPosition: bigint;
}

export interface ResumeOkFrame extends FrameHeader {
  type: typeof FRAME_TYPE.RESUME_OK;
  lastReceivedClientPosition: bigint;
}

export interface ExtFrame extends FrameHeader, WithPayload {
  type: typeof FRAME_TYPE.EXT;
  extendedType: number;
}

export type Frame =
  | SetupFrame
  | LeaseFrame
  | KeepaliveFrame
  | RequestResponseFrame
  | RequestFnfFrame
  | RequestStreamFrame
  | RequestChannelFrame
  | RequestNFrame
  | CancelFrame
  | PayloadFrame
  | ErrorFrame
  | MetadataPushFrame
  | ResumeFrame
  | ResumeOkFrame
  | ExtFrame;

export type RequestFrame = RequestResponseFrame | RequestFnfFrame | RequestStreamFrame | RequestChannelFrame;
