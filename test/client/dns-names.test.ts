import { afterEach, describe, expect, it } from 'vitest';
import { Broker } from '../../src/broker/index.js';
import {
  createLeanPool,
  formatBrokerName,
  LINK_EVENT,
  parseBrokerName,
  parseDnsServer,
  resolveBrokerName,
  resolveBrokerSources,
  type BrokerPool,
  type LinkEvent,
} from '../../src/client/index.js';
import { LeanRequester } from '../../src/transport/index.js';
import { startTestDns } from '../support/dns.js';
import { PROMISE_OBSERVER, type PendingCall } from '../support/lean-calls.js';
import { waitFor } from '../support/wait.js';

describe('broker names: dns:NAME:PORT', () => {
  it('reads dns:NAME:PORT, and dns+URI for another transport, refusing anything else in one sentence', () => {
    expect(parseBrokerName('dns:brokers.rsb.svc.cluster.local:9999')).toEqual({ dnsName: 'brokers.rsb.svc.cluster.local', port: 9999 });
    expect(formatBrokerName(parseBrokerName('dns:brokers.example:7000'))).toBe('dns:brokers.example:7000');
    expect(() => parseBrokerName('dns:brokers.example')).toThrowError(expect.objectContaining({ code: 'ERR_USAGE', message: 'broker "dns:brokers.example" is not dns:NAME:PORT' }));
    expect(() => parseBrokerName('dns:bad name:9999', '--broker')).toThrowError(expect.objectContaining({ code: 'ERR_USAGE' }));
    expect(() => parseBrokerName('dns+tcp://brokers.example', '--broker')).toThrowError(expect.objectContaining({ code: 'ERR_USAGE' }));
  });

  it('reads --dns-server as an IP address with an optional port', () => {
    expect(parseDnsServer('10.213.7.1')).toBe('10.213.7.1');
    expect(parseDnsServer('127.0.0.1:5353')).toBe('127.0.0.1:5353');
    expect(parseDnsServer('[::1]:5353')).toBe('[::1]:5353');
    expect(parseDnsServer('::1')).toBe('::1');
    expect(() => parseDnsServer('dns.example')).toThrowError(expect.objectContaining({ code: 'ERR_USAGE', message: '--dns-server "dns.example" is not an IP address with an optional port' }));
  });

  it('gives --broker dns: names the resolver of --dns-server, beside addresses given with them', () => {
    expect(resolveBrokerSources({ brokers: ['dns:brokers.example:9999'], dnsServer: '127.0.0.1:5353' })).toEqual([{ dnsName: 'brokers.example', port: 9999, dnsServer: '127.0.0.1:5353' }]);
    expect(resolveBrokerSources({ brokers: ['10.0.0.1:9999', 'dns:brokers.example:9999'] })).toEqual([
      { host: '10.0.0.1', port: 9999 },
      { dnsName: 'brokers.example', port: 9999 },
    ]);
  });
});

describe('following a DNS name', () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** Brokers on 127.0.0.1, .2 and .3, all on one port: what every A record of a headless Service looks like. */
  async function startBrokersOnOnePort(count: number): Promise<{ brokers: Broker[]; port: number }> {
    const first = new Broker({ host: '127.0.0.1', port: 0, id: 'b1' });
    await first.start();
    cleanups.push(() => first.stop());
    const brokers = [first];
    for (let index = 2; index <= count; index++) {
      const broker = new Broker({ host: `127.0.0.${index}`, port: first.port, id: `b${index}` });
      await broker.start();
      cleanups.push(() => broker.stop());
      brokers.push(broker);
    }
    return { brokers, port: first.port };
  }

  it('resolves every A record of the name, and names the name, the server and the code when it does not resolve', async () => {
    const dns = await startTestDns({ 'brokers.test': ['127.0.0.2', '127.0.0.1'] });
    cleanups.push(() => dns.stop());
    expect(await resolveBrokerName({ dnsName: 'brokers.test', port: 7000, dnsServer: dns.server })).toEqual([
      { host: '127.0.0.1', port: 7000 },
      { host: '127.0.0.2', port: 7000 },
    ]);
    await expect(resolveBrokerName({ dnsName: 'nobody.test', port: 7000, dnsServer: dns.server })).rejects.toThrowError(
      expect.objectContaining({ code: 'ERR_RESOLVE', message: `dns:nobody.test:7000: nobody.test did not resolve through DNS server ${dns.server} (ENOTFOUND)` }),
    );
  });

  it('connects to every broker behind the name, joins one the answer adds and leaves one it drops', async () => {
    const { brokers, port } = await startBrokersOnOnePort(3);
    const dns = await startTestDns({ 'brokers.test': ['127.0.0.1', '127.0.0.2'] });
    cleanups.push(() => dns.stop());
    const events: LinkEvent[] = [];
    const pool: BrokerPool<LeanRequester<PendingCall>> = createLeanPool(
      { brokers: [{ dnsName: 'brokers.test', port, dnsServer: dns.server, intervalMs: 200 }], app: { name: 'dns-test', uuid: 'dns-1' }, onEvent: (event) => events.push(event) },
      (peer) => new LeanRequester(peer, PROMISE_OBSERVER),
    );
    await pool.start();
    cleanups.push(() => pool.close());
    expect(pool.members.map((member) => member.name).sort()).toEqual([`127.0.0.1:${port}`, `127.0.0.2:${port}`]);
    await waitFor(() => brokers[0]!.connectionCount === 1 && brokers[1]!.connectionCount === 1, 'a connection to each broker named');

    dns.set({ 'brokers.test': ['127.0.0.2', '127.0.0.3'] });
    await waitFor(() => brokers[2]!.connectionCount === 1 && brokers[0]!.connectionCount === 0, 'the pool to follow the new answer');
    expect(pool.members.map((member) => member.name).sort()).toEqual([`127.0.0.2:${port}`, `127.0.0.3:${port}`]);
    expect(events.filter((event) => event.kind === LINK_EVENT.BROKER_ADDED || event.kind === LINK_EVENT.BROKER_REMOVED).map((event) => event.kind)).toEqual([
      LINK_EVENT.BROKER_ADDED,
      LINK_EVENT.BROKER_REMOVED,
    ]);
  });

  it('keeps its brokers while the name stops resolving, says so once, and says when it resolves again', async () => {
    const { port } = await startBrokersOnOnePort(1);
    const dns = await startTestDns({ 'brokers.test': ['127.0.0.1'] });
    cleanups.push(() => dns.stop());
    const events: LinkEvent[] = [];
    const pool = createLeanPool(
      { brokers: [{ dnsName: 'brokers.test', port, dnsServer: dns.server, intervalMs: 200 }], app: { name: 'dns-test', uuid: 'dns-2' }, onEvent: (event) => events.push(event) },
      (peer) => new LeanRequester(peer, PROMISE_OBSERVER),
    );
    await pool.start();
    cleanups.push(() => pool.close());
    dns.set({});
    await waitFor(() => events.some((event) => event.kind === LINK_EVENT.NAME_PROBLEM && event.message !== undefined), 'the problem line');
    await new Promise((resolve) => setTimeout(resolve, 800));
    const problems = events.filter((event) => event.kind === LINK_EVENT.NAME_PROBLEM);
    expect(problems).toHaveLength(1);
    expect(pool.liveLinks()).toHaveLength(1);
    dns.set({ 'brokers.test': ['127.0.0.1'] });
    await waitFor(() => events.filter((event) => event.kind === LINK_EVENT.NAME_PROBLEM).length === 2, 'the line saying it resolves again');
  });
});
