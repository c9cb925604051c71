/**
 * The part of NATS's text protocol (https://docs.nats.io/reference/reference-protocols/nats-protocol)
 * that the bench's NATS endpoints speak: a byte-level parser of what the server sends
 * (INFO, MSG, PING, PONG, +OK, -ERR) that reports to a sink and never touches a socket,
 * and writers of what they send (CONNECT, SUB, PUB, PING, PONG). Headers (HMSG) are off:
 * CONNECT says `"headers":false`.
 *
 *   MSG <subject> <sid> [reply-to] <#bytes>\r\n<payload>\r\n
 *   PUB <subject> [reply-to] <#bytes>\r\n<payload>\r\n
 */

const CR = 0x0d;
const LF = 0x0a;
const SPACE = 0x20;
const TAB = 0x09;
const DIGIT_0 = 0x30;
/** A control line longer than this is not NATS (its longest, INFO, is a few hundred bytes). */
const MAX_CONTROL_LINE = 64 * 1024;
/** What a cut operation first takes of the next chunk to complete itself: enough for a small message. */
const CARRY_HEAD_BYTES = 512;
export const CRLF = Buffer.from('\r\n', 'latin1');

/** What the parser reports: each message with its parts as ranges of `buf`, valid during the call. */
export interface NatsSink {
  /** A MSG; `replyStart` is -1 when it has no reply subject. */
  onMsg(buf: Buffer, subjectStart: number, subjectEnd: number, replyStart: number, replyEnd: number, payloadStart: number, payloadEnd: number): void;
  onPing(): void;
  onPong(): void;
  onInfo(json: string): void;
  /** A -ERR from the server, or bytes that are not NATS. */
  onError(message: string): void;
}

/**
 * Splits what a NATS server sends into its operations. Operations wholly inside a chunk
 * are reported in place; one cut by a chunk's end is kept, copied, and completed from the
 * head of the next chunk (the head only, not the whole chunk).
 */
export class NatsParser {
  private carry: Buffer | null = null;

  push(chunk: Buffer, sink: NatsSink): void {
    let at = 0;
    if (this.carry !== null) {
      at = this.completeCarry(chunk, sink);
      if (at < 0) return;
    }
    while (at < chunk.length) {
      const next = this.parseOne(chunk, at, sink);
      if (next < 0) {
        this.keep(chunk.subarray(at), sink);
        return;
      }
      at = next;
    }
  }

  /** Completes the cut operation with as little of `chunk` as it needs; returns where the rest of the chunk starts, or -1 when it needs more. */
  private completeCarry(chunk: Buffer, sink: NatsSink): number {
    const carry = this.carry!;
    this.carry = null;
    for (let take = CARRY_HEAD_BYTES; ; take *= 4) {
      const size = Math.min(chunk.length, take);
      const head = Buffer.concat([carry, chunk.subarray(0, size)]);
      const next = this.parseOne(head, 0, sink);
      if (next >= 0) return next - carry.length;
      if (size === chunk.length) {
        this.keep(head, sink);
        return -1;
      }
    }
  }

  private keep(rest: Buffer, sink: NatsSink): void {
    if (rest.length > MAX_CONTROL_LINE && rest.indexOf(LF) < 0) {
      sink.onError(`a line of over ${MAX_CONTROL_LINE} bytes without an end: this is not a NATS server`);
      return;
    }
    this.carry = Buffer.from(rest);
  }

  /** Parses the operation at `at`; returns where the next starts, or -1 when it is not all here yet. */
  private parseOne(buf: Buffer, at: number, sink: NatsSink): number {
    const lineEnd = buf.indexOf(LF, at);
    if (lineEnd < 0) return -1;
    const textEnd = lineEnd > at && buf[lineEnd - 1] === CR ? lineEnd - 1 : lineEnd;
    if (isMsgVerb(buf, at, textEnd)) return this.parseMsg(buf, at + 4, textEnd, lineEnd + 1, sink);
    const line = buf.toString('latin1', at, textEnd);
    const verb = line.split(/[ \t]/, 1)[0]!.toUpperCase();
    switch (verb) {
      case 'PING':
        sink.onPing();
        break;
      case 'PONG':
        sink.onPong();
        break;
      case '+OK':
        break;
      case 'INFO':
        sink.onInfo(line.slice(5));
        break;
      case '-ERR':
        sink.onError(line.slice(5).replace(/^'|'$/g, ''));
        break;
      default:
        sink.onError(`unexpected ${JSON.stringify(line.slice(0, 40))} from the server`);
    }
    return lineEnd + 1;
  }

  /** `MSG` arguments in `buf[argsStart, textEnd)`: subject, sid, optional reply subject, size. */
  private parseMsg(buf: Buffer, argsStart: number, textEnd: number, payloadStart: number, sink: NatsSink): number {
    // Up to four space-separated fields; the last is the size.
    const starts = [0, 0, 0, 0];
    const ends = [0, 0, 0, 0];
    let fields = 0;
    let i = argsStart;
    while (i < textEnd && fields < 4) {
      while (i < textEnd && (buf[i] === SPACE || buf[i] === TAB)) i++;
      if (i >= textEnd) break;
      starts[fields] = i;
      while (i < textEnd && buf[i] !== SPACE && buf[i] !== TAB) i++;
      ends[fields++] = i;
    }
    if (fields < 3) {
      sink.onError(`a MSG line with ${fields} fields: ${JSON.stringify(buf.toString('latin1', argsStart - 4, textEnd))}`);
      return payloadStart;
    }
    const size = readDecimal(buf, starts[fields - 1]!, ends[fields - 1]!);
    const payloadEnd = payloadStart + size;
    if (payloadEnd + 2 > buf.length) return -1;
    const hasReply = fields === 4;
    sink.onMsg(buf, starts[0]!, ends[0]!, hasReply ? starts[2]! : -1, hasReply ? ends[2]! : -1, payloadStart, payloadEnd);
    return payloadEnd + 2;
  }
}

/** `MSG ` (any case) at `at`. */
function isMsgVerb(buf: Buffer, at: number, textEnd: number): boolean {
  return textEnd - at > 4 && (buf[at]! | 0x20) === 0x6d && (buf[at + 1]! | 0x20) === 0x73 && (buf[at + 2]! | 0x20) === 0x67 && (buf[at + 3] === SPACE || buf[at + 3] === TAB);
}

/** The decimal number in `buf[start, end)` (ASCII digits). */
export function readDecimal(buf: Buffer, start: number, end: number): number {
  let value = 0;
  for (let i = start; i < end; i++) value = value * 10 + (buf[i]! - DIGIT_0);
  return value;
}

/** Writes `value` (a whole number ≥ 0) in decimal at `at`; returns where it ends. */
export function writeDecimal(buf: Buffer, at: number, value: number): number {
  let digits = 1;
  for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) digits++;
  let rest = value;
  for (let i = at + digits - 1; i >= at; i--) {
    buf[i] = DIGIT_0 + (rest % 10);
    rest = Math.floor(rest / 10);
  }
  return at + digits;
}

/** Bytes `writeDecimal` takes for `value`. */
export function decimalLength(value: number): number {
  let digits = 1;
  for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) digits++;
  return digits;
}

/** CONNECT for a plain client: no echo of its own messages, no headers, no acknowledgements. */
export function encodeConnect(name: string): Buffer {
  const options = { verbose: false, pedantic: false, headers: false, no_responders: false, echo: false, protocol: 1, lang: 'node', version: '0', name };
  return Buffer.from(`CONNECT ${JSON.stringify(options)}\r\nPING\r\n`, 'latin1');
}

export function encodeSub(subject: string, sid: number): Buffer {
  return Buffer.from(`SUB ${subject} ${sid}\r\n`, 'latin1');
}

export const PING = Buffer.from('PING\r\n', 'latin1');
export const PONG = Buffer.from('PONG\r\n', 'latin1');
