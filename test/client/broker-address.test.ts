import { describe, expect, it } from 'vitest';
import { formatBrokerAddress, isSameAddress, parseBrokerAddress, resolveBrokerAddresses } from '../../src/client/index.js';

describe('broker addresses', () => {
  it('reads host:port, :port and a bare port', () => {
    expect(parseBrokerAddress('10.0.0.1:9999')).toEqual({ host: '10.0.0.1', port: 9999 });
    expect(parseBrokerAddress(':7000')).toEqual({ host: '127.0.0.1', port: 7000 });
    expect(parseBrokerAddress('7001')).toEqual({ host: '127.0.0.1', port: 7001 });
    expect(parseBrokerAddress('[::1]:7002')).toEqual({ host: '::1', port: 7002 });
    expect(() => parseBrokerAddress('localhost:99999')).toThrowError(expect.objectContaining({ code: 'ERR_USAGE' }));
  });

  it('refuses text that is not host:port with one sentence naming what was given', () => {
    expect(() => parseBrokerAddress('nine', '--broker')).toThrowError(expect.objectContaining({ code: 'ERR_USAGE', message: '--broker "nine" is not host:port' }));
  });

  it('prints an IPv6 host in brackets, so that the port stays readable', () => {
    expect(formatBrokerAddress({ host: '::1', port: 7002 })).toBe('[::1]:7002');
    expect(formatBrokerAddress({ host: '10.0.0.1', port: 9999 })).toBe('10.0.0.1:9999');
  });

  it('drops repeated brokers and falls back to the default broker when none is given', () => {
    expect(resolveBrokerAddresses(['127.0.0.1:7000', { host: '127.0.0.1', port: 7000 }, ':7001'])).toEqual([
      { host: '127.0.0.1', port: 7000 },
      { host: '127.0.0.1', port: 7001 },
    ]);
    expect(resolveBrokerAddresses([])).toEqual([{ host: '127.0.0.1', port: 9999 }]);
  });

  it('takes localhost, 127.0.0.1 and ::1 for the same machine, but not another port', () => {
    expect(isSameAddress({ host: 'localhost', port: 9999 }, { host: '127.0.0.1', port: 9999 })).toBe(true);
    expect(isSameAddress({ host: '::1', port: 9999 }, { host: '127.0.0.1', port: 9999 })).toBe(true);
    expect(isSameAddress({ host: '127.0.0.1', port: 9999 }, { host: '127.0.0.1', port: 9998 })).toBe(false);
  });
});

describe('broker URIs', () => {
  it('reads the transport from the scheme: tcp is plain TCP, tcps TLS, ws and wss WebSocket with a path', () => {
    expect(parseBrokerAddress('tcp://10.0.0.1:9999')).toEqual({ host: '10.0.0.1', port: 9999 });
    expect(parseBrokerAddress('tcps://broker.example:9443')).toEqual({ transport: 'tcps', host: 'broker.example', port: 9443 });
    expect(parseBrokerAddress('ws://127.0.0.1:8080/rsocket')).toEqual({ transport: 'ws', host: '127.0.0.1', port: 8080, path: '/rsocket' });
    expect(parseBrokerAddress('wss://[::1]:8443')).toEqual({ transport: 'wss', host: '::1', port: 8443, path: '/' });
  });

  it('gives ws and wss their default ports, and no default to tcp or tcps', () => {
    expect(parseBrokerAddress('ws://broker.example/rsocket')).toMatchObject({ port: 80 });
    expect(parseBrokerAddress('wss://broker.example/rsocket')).toMatchObject({ port: 443 });
    expect(() => parseBrokerAddress('tcps://broker.example', '--broker')).toThrowError(
      expect.objectContaining({ code: 'ERR_USAGE', message: '--broker "tcps://broker.example" needs a port' }),
    );
  });

  it('refuses an unsupported scheme, a path on TCP and a malformed URI, each in one sentence', () => {
    expect(() => parseBrokerAddress('http://127.0.0.1:80', '--broker')).toThrowError(
      expect.objectContaining({ code: 'ERR_USAGE', message: '--broker "http://127.0.0.1:80" has the unsupported scheme http://' }),
    );
    expect(() => parseBrokerAddress('tcp://127.0.0.1:9999/rsocket', '--broker')).toThrowError(
      expect.objectContaining({ message: '--broker "tcp://127.0.0.1:9999/rsocket" has a path, which only WebSocket (ws://, wss://) addresses take' }),
    );
    expect(() => parseBrokerAddress('ws://127.0.0.1:99999/', '--broker')).toThrowError(expect.objectContaining({ message: '--broker "ws://127.0.0.1:99999/" is not a valid URI' }));
    expect(() => parseBrokerAddress('wss://user:pw@host:1/', '--broker')).toThrowError(expect.objectContaining({ code: 'ERR_USAGE' }));
  });

  it('prints TCP as host:port, as before, and the other transports as URIs', () => {
    expect(formatBrokerAddress(parseBrokerAddress('tcp://127.0.0.1:9999'))).toBe('127.0.0.1:9999');
    expect(formatBrokerAddress(parseBrokerAddress('tcps://127.0.0.1:9443'))).toBe('tcps://127.0.0.1:9443');
    expect(formatBrokerAddress(parseBrokerAddress('wss://[::1]:8443/rs'))).toBe('wss://[::1]:8443/rs');
  });

  it('tells brokers apart by transport and WebSocket path, not by host and port alone', () => {
    expect(isSameAddress(parseBrokerAddress('127.0.0.1:9999'), parseBrokerAddress('tcp://localhost:9999'))).toBe(true);
    expect(isSameAddress(parseBrokerAddress('127.0.0.1:9999'), parseBrokerAddress('tcps://127.0.0.1:9999'))).toBe(false);
    expect(isSameAddress(parseBrokerAddress('ws://127.0.0.1:80/a'), parseBrokerAddress('ws://127.0.0.1:80/b'))).toBe(false);
  });
});
