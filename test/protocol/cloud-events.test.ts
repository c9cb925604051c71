import { describe, expect, it } from 'vitest';
import {
  buildBrokerListEvent,
  CLOUD_EVENT_TYPE,
  decodeCloudEvent,
  encodeCloudEvent,
  PROTOCOL_ERROR_CODE,
  readBrokerList,
} from '../../src/protocol/index.js';

const list = { cluster: 'default', broker: 'b1', brokers: [{ id: 'b1', host: '127.0.0.1', port: 9999 }, { id: 'b2', host: '127.0.0.1', port: 10000 }] };

describe('CloudEvents broker list', () => {
  it('round-trips a broker list event through its JSON bytes', () => {
    const event = buildBrokerListEvent(list, 'e-1', new Date('2026-01-02T03:04:05Z'));
    const decoded = decodeCloudEvent(encodeCloudEvent(event));
    expect(decoded).toEqual({
      specversion: '1.0',
      id: 'e-1',
      source: 'rsb://broker/b1',
      type: CLOUD_EVENT_TYPE.BROKER_LIST,
      time: '2026-01-02T03:04:05.000Z',
      subject: 'default',
      datacontenttype: 'application/json',
      data: list,
    });
    expect(readBrokerList(decoded)).toEqual(list);
  });

  it.each([
    ['not JSON', '{"specversion":'],
    ['not an object', '[1,2]'],
    ['the wrong specversion', '{"specversion":"0.3","id":"1","source":"s","type":"t"}'],
    ['an empty id', '{"specversion":"1.0","id":"","source":"s","type":"t"}'],
    ['no source', '{"specversion":"1.0","id":"1","type":"t"}'],
  ])('refuses an event that is %s', (_, text) => {
    expect(() => decodeCloudEvent(Buffer.from(text))).toThrow(expect.objectContaining({ code: PROTOCOL_ERROR_CODE.CLOUD_EVENT }));
  });

  it('refuses a broker list whose entries lack a valid port', () => {
    const event = buildBrokerListEvent({ ...list, brokers: [{ id: 'b1', host: '127.0.0.1', port: 70000 }] }, 'e-2', new Date());
    expect(() => readBrokerList(event)).toThrow(/data.brokers\[0\]/);
  });

  it('keeps a known admin port of a broker and leaves out an unknown one (0)', () => {
    const brokers = [{ id: 'b1', host: '127.0.0.1', port: 9999, adminPort: 9998 }, { id: 'b2', host: '127.0.0.1', port: 10000, adminPort: 0 }];
    const event = decodeCloudEvent(encodeCloudEvent(buildBrokerListEvent({ ...list, brokers }, 'e-3', new Date())));
    expect(readBrokerList(event).brokers).toEqual([{ id: 'b1', host: '127.0.0.1', port: 9999, adminPort: 9998 }, { id: 'b2', host: '127.0.0.1', port: 10000 }]);
  });

  it('keeps the URIs of a broker on several transports, and leaves out one that says no more than tcp://host:port', () => {
    const brokers = [
      { id: 'b1', host: '127.0.0.1', port: 9999, uris: ['tcp://127.0.0.1:9999'] },
      { id: 'b2', host: '127.0.0.1', port: 10000, uris: ['tcp://127.0.0.1:10000', 'tcps://127.0.0.1:10443'] },
      { id: 'b3', host: '10.0.0.7', port: 9443, uris: ['tcps://10.0.0.7:9443'] },
    ];
    const event = decodeCloudEvent(encodeCloudEvent(buildBrokerListEvent({ ...list, brokers }, 'e-4', new Date())));
    expect(readBrokerList(event).brokers).toEqual([{ id: 'b1', host: '127.0.0.1', port: 9999 }, brokers[1], brokers[2]]);
  });

  it('refuses to read a broker list from an event of another type', () => {
    expect(() => readBrokerList({ specversion: '1.0', id: '1', source: 's', type: 'com.example.other' })).toThrow(/expected a com.rsb.broker.list event/);
  });
});
