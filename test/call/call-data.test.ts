import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { describeFrameHeader, formatFrameDump, formatServicesReport, loadCallData, parseHeaderFlags, splitChannelItems } from '../../src/call/index.js';
import { encodeFrameBody, ERROR_CODE, FRAME_TYPE } from '../../src/protocol/index.js';
import { encodeRequestMetadata } from '../../src/sdk/index.js';

describe('rsb call data', () => {
  it('sends text as given, a file after @, and standard input for -', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'rsb-call-'));
    try {
      await writeFile(join(folder, 'body.bin'), Buffer.of(0, 1, 2));
      expect(await loadCallData('hello')).toEqual(Buffer.from('hello'));
      expect(await loadCallData(`@${join(folder, 'body.bin')}`)).toEqual(Buffer.of(0, 1, 2));
      expect(await loadCallData('-', Readable.from([Buffer.from('from '), Buffer.from('stdin')]))).toEqual(Buffer.from('from stdin'));
      expect(await loadCallData(undefined)).toEqual(Buffer.alloc(0));
      await expect(loadCallData(`@${join(folder, 'missing')}`)).rejects.toMatchObject({ code: 'ERR_USAGE', message: expect.stringContaining('ENOENT') });
    } finally {
      await rm(folder, { recursive: true });
    }
  });

  it('reads --metadata key=value pairs, the value keeping any further =', () => {
    expect(parseHeaderFlags(['tenant=acme', 'q=a=b'])).toEqual({ tenant: 'acme', q: 'a=b' });
    expect(() => parseHeaderFlags(['tenant'])).toThrowError(expect.objectContaining({ code: 'ERR_USAGE' }));
  });

  it('sends each line of the data as one channel item', () => {
    expect(splitChannelItems(Buffer.from('a\nb\nc\n')).map(String)).toEqual(['a', 'b', 'c']);
    expect(splitChannelItems(Buffer.from('a\n\nc')).map(String)).toEqual(['a', '', 'c']);
    expect(splitChannelItems(Buffer.alloc(0)).map(String)).toEqual(['']);
  });
});

describe('rsb call --debug frame dump', () => {
  it('prints the decoded header and every byte in hex', () => {
    const frame = encodeFrameBody({ type: FRAME_TYPE.REQUEST_RESPONSE, streamId: 1, flags: 0, metadata: encodeRequestMetadata('svc.echo'), data: Buffer.from('hello') });
    const lines = formatFrameDump('->', frame);
    expect(lines[0]).toBe(`-> REQUEST_RESPONSE stream 1, flags 0x100 (M), ${frame.length} bytes, route svc.echo, data 5 bytes`);
    expect(lines[1]).toMatch(/^ {3}0000 {2}00 00 00 01 11 00 00 00 0d fe 00 00 09 08 73 76 {2}\.{14}sv$/);
    expect(lines[2]).toContain('c.echohello');
  });

  it('names the error code of an ERROR frame and the R flag of a KEEPALIVE', () => {
    expect(describeFrameHeader(encodeFrameBody({ type: FRAME_TYPE.ERROR, streamId: 3, flags: 0, code: ERROR_CODE.REJECTED, message: 'no' }))).toContain(
      'REJECTED (0x202): no',
    );
    expect(describeFrameHeader(encodeFrameBody({ type: FRAME_TYPE.KEEPALIVE, streamId: 0, flags: 0x80, lastReceivedPosition: 0n, data: Buffer.alloc(0) }))).toContain(
      'flags 0x080 (R)',
    );
  });
});

describe('rsb services table', () => {
  it('prints one row per instance under a line per broker', () => {
    const now = Date.parse('2026-01-01T00:01:05Z');
    const lines = formatServicesReport(
      {
        brokers: [
          {
            address: '127.0.0.1:9999',
            broker: 'broker-1',
            services: [
              {
                key: 'svc',
                service: 'svc',
                group: '',
                version: '',
                loadBalancing: 'round-robin',
                requests: { ok: 15, error: 0, rejected: 0, cancelled: 0, timeout: 0, disconnected: 0 },
                methods: {},
                latency: { count: 0, p50Us: 0, p99Us: 0 },
                instances: [
                  { app: 'rsb-mock-svc', uuid: 'u-1', address: '127.0.0.1:5000', weight: 1, inFlight: 3, forwarded: 10, connectedAt: '2026-01-01T00:00:00Z' },
                  { app: 'rsb-mock-svc', uuid: 'u-2', address: '127.0.0.1:5001', weight: 1, inFlight: 12, forwarded: 20, connectedAt: '2026-01-01T00:01:00Z' },
                ],
              },
            ],
          },
          { address: '127.0.0.1:10000', broker: null, services: [], error: 'not connected' },
        ],
      },
      now,
    );
    expect(lines).toEqual([
      'broker broker-1 at 127.0.0.1:9999: 1 service, 2 instances',
      'SERVICE  APP           UUID  ADDRESS         IN FLIGHT  CONNECTED',
      'svc      rsb-mock-svc  u-1   127.0.0.1:5000          3  1m05s ago',
      'svc      rsb-mock-svc  u-2   127.0.0.1:5001         12  5s ago',
      '',
      'broker at 127.0.0.1:10000: not connected',
    ]);
  });
});
