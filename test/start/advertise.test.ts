import { describe, expect, it } from 'vitest';
import { resolveAdvertised } from '../../src/start/advertise.js';

const TCP = { scheme: 'tcp', port: 9999 };

describe('what a broker advertises', () => {
  it('advertises the address it listens on', () => {
    expect(resolveAdvertised([{ ...TCP, host: '10.0.0.5' }], [], ['127.0.0.1', '10.0.0.5'])).toMatchObject({ host: '10.0.0.5', port: 9999, uris: ['tcp://10.0.0.5:9999'] });
  });

  it('never advertises 0.0.0.0 or loopback for a broker bound to every address: the first other address of the host, IPv4 first', () => {
    const advertised = resolveAdvertised([{ ...TCP, host: '0.0.0.0' }], [], ['127.0.0.1', '::1', 'fd00::2', '192.0.2.2']);
    expect(advertised).toMatchObject({ host: '192.0.2.2', uris: ['tcp://192.0.2.2:9999'] });
    expect(advertised.reason).toMatch(/first non-loopback address/);
    expect(resolveAdvertised([{ ...TCP, host: '::' }], [], ['127.0.0.1', 'fd00::2']).uris).toEqual(['tcp://[fd00::2]:9999']);
  });

  it('falls back to loopback, and says so, on a host with no other address', () => {
    const advertised = resolveAdvertised([{ ...TCP, host: '0.0.0.0' }], [], ['127.0.0.1']);
    expect(advertised.uris).toEqual(['tcp://127.0.0.1:9999']);
    expect(advertised.reason).toMatch(/^loopback/);
  });

  it('takes --advertise in the order of the listeners, host:port as tcp://', () => {
    expect(resolveAdvertised([{ ...TCP, host: '0.0.0.0' }], ['10.1.2.3:7000'], [])).toMatchObject({ host: '10.1.2.3', port: 7000, uris: ['tcp://10.1.2.3:7000'] });
    expect(resolveAdvertised([{ ...TCP, host: '0.0.0.0' }], ['tcp://pod-1.brokers:9999'], []).uris).toEqual(['tcp://pod-1.brokers:9999']);
  });

  it('refuses 0.0.0.0, a transport the listener does not speak, and more addresses than listeners, each in one sentence', () => {
    expect(() => resolveAdvertised([{ ...TCP, host: '0.0.0.0' }], ['0.0.0.0:9999'], [])).toThrowError(expect.objectContaining({ code: 'ERR_USAGE', message: '--advertise "0.0.0.0:9999" names no host a client can reach' }));
    expect(() => resolveAdvertised([{ ...TCP, host: '0.0.0.0' }], ['ws://10.0.0.5:8080/rsocket'], [])).toThrowError(expect.objectContaining({ code: 'ERR_USAGE' }));
    expect(() => resolveAdvertised([{ ...TCP, host: '0.0.0.0' }], ['10.0.0.5:1', '10.0.0.5:2'], [])).toThrowError(
      expect.objectContaining({ code: 'ERR_USAGE', message: '2 --advertise addresses for 1 listener' }),
    );
  });
});
