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
