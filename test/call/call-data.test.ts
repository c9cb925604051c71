import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { InstanceSummary, ServiceSummary } from '../../src/broker/index.js';
import { describeFrameHeader, formatFrameDump, formatServicesReport, loadCallData, mergeInstances, parseHeaderFlags, splitChannelItems, type BrokerServices, type ServicesReport } from '../../src/call/index.js';
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
  const now = Date.parse('2026-01-01T00:01:05Z');
  const service = (instances: InstanceSummary[]): ServiceSummary => ({
    key: 'svc',
    service: 'svc',
    group: '',
    version: '',
    loadBalancing: 'round-robin',
    requests: { ok: 15, error: 0, rejected: 0, cancelled: 0, timeout: 0, disconnected: 0 },
    methods: {},
    latency: { count: 0, p50Us: 0, p99Us: 0 },
    instances,
  });
  const instance = (uuid: string, address: string, inFlight: number, connectedAt: string): InstanceSummary => ({
    app: 'rsb-mock-svc',
    uuid,
    address,
    weight: 1,
    inFlight,
    forwarded: 10,
    connectedAt,
  });
  const report = (brokers: BrokerServices[]): ServicesReport => ({ brokers, instances: mergeInstances(brokers) });

  it('prints a line per broker, then one row per instance', () => {
    const lines = formatServicesReport(
      report([
        {
          address: '127.0.0.1:9999',
          broker: 'broker-1',
          services: [service([instance('u-1', '127.0.0.1:5000', 3, '2026-01-01T00:00:00Z'), instance('u-2', '127.0.0.1:5001', 12, '2026-01-01T00:01:00Z')])],
        },
        { address: '127.0.0.1:10000', broker: null, services: [], error: 'not connected' },
      ]),
      now,
    );
    expect(lines).toEqual([
      'broker broker-1 at 127.0.0.1:9999: 1 service, 2 instances',
      'broker at 127.0.0.1:10000: not connected',
      'SERVICE  APP           UUID  ADDRESS         IN FLIGHT  CONNECTED',
      'svc      rsb-mock-svc  u-1   127.0.0.1:5000          3  1m05s ago',
      'svc      rsb-mock-svc  u-2   127.0.0.1:5001         12  5s ago',
    ]);
  });

  it('lists an instance registered on three brokers once, with its brokers', () => {
    const brokers = ['b-1', 'b-2', 'b-3'].map((id, i) => ({
      address: `127.0.0.1:${9999 + i}`,
      broker: id,
      services: [service([instance('u-1', `127.0.0.1:${5000 + i}`, 1, `2026-01-01T00:00:0${i}Z`)])],
    }));
    const merged = report(brokers);
    expect(merged.instances).toEqual([
      { service: 'svc', app: 'rsb-mock-svc', uuid: 'u-1', addresses: ['127.0.0.1:5000', '127.0.0.1:5001', '127.0.0.1:5002'], brokers: ['b-1', 'b-2', 'b-3'], inFlight: 3, connectedAt: '2026-01-01T00:00:00Z' },
    ]);
    expect(formatServicesReport(merged, now)).toEqual([
      'broker b-1 at 127.0.0.1:9999: 1 service, 1 instance',
      'broker b-2 at 127.0.0.1:10000: 1 service, 1 instance',
      'broker b-3 at 127.0.0.1:10001: 1 service, 1 instance',
      '3 brokers: 1 service, 1 instance',
      'SERVICE  APP           UUID  ADDRESS                    BROKERS        IN FLIGHT  CONNECTED',
      'svc      rsb-mock-svc  u-1   127.0.0.1 (3 connections)  b-1, b-2, b-3          3  1m05s ago',
    ]);
  });
});
