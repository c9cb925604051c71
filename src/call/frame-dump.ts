import {
  decodeFrame,
  FLAG,
  FRAME_HEADER_SIZE,
  FRAME_TYPE,
  nameErrorCode,
  nameFrameType,
  readRouteFromComposite,
  readWireFlags,
  readWireFrameType,
  readWireStreamId,
  type Frame,
} from '../protocol/index.js';

/** Flag letters as Protocol.md names them; bits 0x80 and 0x40 mean other things on SETUP and KEEPALIVE. */
function nameFlags(type: number, flags: number): string[] {
  const names: string[] = [];
  if (flags & FLAG.IGNORE) names.push('I');
  if (flags & FLAG.METADATA) names.push('M');
  if (type === FRAME_TYPE.SETUP) {
    if (flags & FLAG.RESUME_ENABLE) names.push('R');
    if (flags & FLAG.LEASE) names.push('L');
  } else if (type === FRAME_TYPE.KEEPALIVE) {
    if (flags & FLAG.RESPOND) names.push('R');
  } else {
    if (flags & FLAG.FOLLOWS) names.push('F');
    if (flags & FLAG.COMPLETE) names.push('C');
    if (flags & FLAG.NEXT) names.push('N');
  }
  return names;
}
const BYTES_PER_LINE = 16;

/**
 * One frame as `rsb call --debug` prints it: the decoded header (type, stream id, flags,
 * and the fields worth a glance: route, request N, error code) and then every byte in
 * hex, from the header (the TCP length prefix is the transport's, not the frame's).
 * `arrow` is `->` for sent, `<-` for received.
 */
export function formatFrameDump(arrow: string, frame: Buffer): string[] {
  const lines = [`${arrow} ${describeFrameHeader(frame)}`];
  for (let at = 0; at < frame.length; at += BYTES_PER_LINE) {
    const slice = frame.subarray(at, Math.min(frame.length, at + BYTES_PER_LINE));
    const hex = [...slice].map((byte) => byte.toString(16).padStart(2, '0')).join(' ');
    const text = [...slice].map((byte) => (byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : '.')).join('');
    lines.push(`   ${at.toString(16).padStart(4, '0')}  ${hex.padEnd(BYTES_PER_LINE * 3 - 1)}  ${text}`);
  }
  return lines;
}

/** `REQUEST_RESPONSE stream 1, flags 0x100 (M), 42 bytes, route svc.echo`. */
export function describeFrameHeader(frame: Buffer): string {
  if (frame.length < FRAME_HEADER_SIZE) return `truncated frame, ${frame.length} bytes`;
  const type = readWireFrameType(frame, 0);
  const flags = readWireFlags(frame, 0);
  const names = nameFlags(type, flags);
  const parts = [
    `${nameFrameType(type)} stream ${readWireStreamId(frame, 0)}`,
    `flags 0x${flags.toString(16).padStart(3, '0')}${names.length ? ` (${names.join(' ')})` : ''}`,
    `${frame.length} bytes`,
  ];
  let decoded: Frame | undefined;
  try {
    decoded = decodeFrame(frame, 0, frame.length);
  } catch (error) {
    parts.push(`undecodable: ${(error as Error).message}`);
  }
  if (decoded) parts.push(...describeFields(decoded));
  return parts.join(', ');
}

function describeFields(frame: Frame): string[] {
  switch (frame.type) {
    case FRAME_TYPE.SETUP:
      return [`version ${frame.majorVersion}.${frame.minorVersion}`, `keepalive ${frame.keepAlive} ms`, `lifetime ${frame.lifetime} ms`, `metadata ${frame.metadataMimeType}`, `data ${frame.dataMimeType}`];
    case FRAME_TYPE.REQUEST_RESPONSE:
    case FRAME_TYPE.REQUEST_FNF:
    case FRAME_TYPE.REQUEST_STREAM:
    case FRAME_TYPE.REQUEST_CHANNEL: {
      const fields: string[] = [];
      if (frame.metadata) {
        try {
          const route = readRouteFromComposite(frame.metadata, 0, frame.metadata.length);
          if (route !== null) fields.push(`route ${route}`);
        } catch {
          fields.push('metadata is not composite');
        }
      }
      if (frame.type === FRAME_TYPE.REQUEST_STREAM || frame.type === FRAME_TYPE.REQUEST_CHANNEL) fields.push(`request N ${frame.requestN}`);
      fields.push(`data ${frame.data.length} bytes`);
      return fields;
    }
    case FRAME_TYPE.REQUEST_N:
      return [`request N ${frame.requestN}`];
    case FRAME_TYPE.PAYLOAD:
      return [`data ${frame.data.length} bytes`, ...(frame.metadata ? [`metadata ${frame.metadata.length} bytes`] : [])];
    case FRAME_TYPE.ERROR:
      return [`${nameErrorCode(frame.code)} (0x${frame.code.toString(16)}): ${frame.message}`];
    case FRAME_TYPE.METADATA_PUSH:
      return [`metadata ${frame.metadata.length} bytes`];
    default:
      return [];
  }
}
