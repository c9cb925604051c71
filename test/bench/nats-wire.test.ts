import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decimalLength, NatsParser, readDecimal, writeDecimal, type NatsSink } from '../../src/bench/nats-wire.js';

/** What a sink heard, as text, in order. */
function recorder(): { sink: NatsSink; events: string[] } {
  const events: string[] = [];
  const sink: NatsSink = {
    onMsg(buf, subjectStart, subjectEnd, replyStart, replyEnd, payloadStart, payloadEnd) {
      const reply = replyStart < 0 ? '-' : buf.toString('latin1', replyStart, replyEnd);
      events.push(`MSG ${buf.toString('latin1', subjectStart, subjectEnd)} ${reply} ${JSON.stringify(buf.toString('latin1', payloadStart, payloadEnd))}`);
    },
    onPing: () => events.push('PING'),
    onPong: () => events.push('PONG'),
    onInfo: (json) => events.push(`INFO ${json}`),
    onError: (message) => events.push(`ERR ${message}`),
  };
  return { sink, events };
}

const STREAM = Buffer.from(
  'INFO {"server_id":"x","max_payload":1048576}\r\n' +
    '+OK\r\n' +
    'MSG bench.echo 1 _INBOX.abc.17 5\r\nhello\r\n' +
    'PING\r\n' +
    'MSG _INBOX.abc.3 1 4\r\n\r\n\r\n\r\n' +
    'msg\tlower.case\t2\t0\r\n\r\n' +
    'PONG\r\n' +
    "-ERR 'Unknown Protocol Operation'\r\n",
  'latin1',
);

const EXPECTED = [
  'INFO {"server_id":"x","max_payload":1048576}',
  'MSG bench.echo _INBOX.abc.17 "hello"',
  'PING',
  'MSG _INBOX.abc.3 - "\\r\\n\\r\\n"',
  'MSG lower.case - ""',
  'PONG',
  'ERR Unknown Protocol Operation',
];

describe('NATS wire parser', () => {
  it('reports every operation of a server stream: INFO, MSG with and without a reply subject, PING, PONG, -ERR; +OK says nothing', () => {
    const { sink, events } = recorder();
    new NatsParser().push(STREAM, sink);
    expect(events).toEqual(EXPECTED);
  });

  it('reports the same operations whatever the split into chunks, down to one byte at a time', () => {
    for (let split = 1; split < STREAM.length; split++) {
      const { sink, events } = recorder();
      const parser = new NatsParser();
      parser.push(STREAM.subarray(0, split), sink);
      parser.push(STREAM.subarray(split), sink);
      expect(events, `split at ${split}`).toEqual(EXPECTED);
    }
    const { sink, events } = recorder();
    const parser = new NatsParser();
    for (let i = 0; i < STREAM.length; i++) parser.push(STREAM.subarray(i, i + 1), sink);
    expect(events).toEqual(EXPECTED);
  });

  it('completes a message cut by a chunk end even when its payload is larger than the head it first takes of the next chunk', () => {
    const payload = 'x'.repeat(5_000);
    const stream = Buffer.from(`MSG big 1 ${payload.length}\r\n${payload}\r\nPING\r\n`, 'latin1');
    const { sink, events } = recorder();
    const parser = new NatsParser();
    parser.push(stream.subarray(0, 20), sink);
    parser.push(stream.subarray(20), sink);
    expect(events).toEqual([`MSG big - ${JSON.stringify(payload)}`, 'PING']);
  });

  it('says so when what arrives is not NATS', () => {
    const { sink, events } = recorder();
    new NatsParser().push(Buffer.from('HTTP/1.1 400 Bad Request\r\n', 'latin1'), sink);
    expect(events).toEqual(['ERR unexpected "HTTP/1.1 400 Bad Request" from the server']);
  });

  it('writes and reads back any whole number in decimal, in exactly decimalLength bytes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (value) => {
        const buf = Buffer.alloc(12, 0x20);
        const end = writeDecimal(buf, 1, value);
        expect(end - 1).toBe(decimalLength(value));
        expect(buf.toString('latin1', 1, end)).toBe(String(value));
        expect(readDecimal(buf, 1, end)).toBe(value);
      }),
    );
  });
});
