import { describe, expect, it } from 'vitest';
import { diffBrokerList, selectListedAddress } from '../../src/client/index.js';

const entry = (id: string, port: number, host = '127.0.0.1') => ({ id, host, port });

describe('following a pushed broker list', () => {
  it('adds the brokers it does not know and names the one it knew only by address', () => {
    const seed = { host: 'localhost', port: 9999, id: undefined };
    const changes = diffBrokerList([seed], [entry('b1', 9999), entry('b2', 10000)]);
    expect(changes.kept).toEqual([{ member: seed, entry: entry('b1', 9999) }]);
    expect(changes.added).toEqual([entry('b2', 10000)]);
    expect(changes.removed).toEqual([]);
  });

  it('follows a broker that came back at another address, by its id', () => {
    const known = { host: '127.0.0.1', port: 9999, id: 'b1' };
    expect(diffBrokerList([known], [entry('b1', 12000)])).toEqual({ added: [], kept: [], moved: [{ member: known, entry: entry('b1', 12000) }], removed: [] });
  });

  it('leaves a member the list no longer names, but keeps a broker no list ever named', () => {
    const member = { host: '127.0.0.1', port: 10000, id: 'b2' };
    const outsider = { host: '10.0.0.5', port: 7000, id: undefined };
    const changes = diffBrokerList([member, outsider], [entry('b1', 9999)]);
    expect(changes.removed).toEqual([member]);
    expect(changes.added).toEqual([entry('b1', 9999)]);
  });
});

describe('choosing a listed broker\'s address by transport', () => {
  const listed = { id: 'b1', host: '10.0.0.5', port: 9999, uris: ['tcp://10.0.0.5:9999', 'tcps://10.0.0.5:9443', 'ws://10.0.0.5:8080/rsocket'] };

  it('follows the URI of the transport the client uses', () => {
    expect(selectListedAddress(listed, undefined)).toEqual({ id: 'b1', host: '10.0.0.5', port: 9999 });
    expect(selectListedAddress(listed, 'tcps')).toEqual({ id: 'b1', transport: 'tcps', host: '10.0.0.5', port: 9443 });
    expect(selectListedAddress(listed, 'ws')).toEqual({ id: 'b1', transport: 'ws', host: '10.0.0.5', port: 8080, path: '/rsocket' });
  });

  it('skips a broker with no listener on that transport, and reads a list without URIs as TCP only', () => {
    expect(selectListedAddress(listed, 'wss')).toBeUndefined();
    expect(selectListedAddress({ id: 'old', host: '10.0.0.6', port: 9999 }, undefined)).toEqual({ id: 'old', host: '10.0.0.6', port: 9999 });
    expect(selectListedAddress({ id: 'old', host: '10.0.0.6', port: 9999 }, 'ws')).toBeUndefined();
  });
});
