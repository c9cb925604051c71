import { createSocket } from 'node:dgram';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startDnsServer, stopDnsServer, updateDnsRecords, type DnsServer } from '../../src/cluster/index.js';

/** A free UDP port of 127.0.0.1, as the kernel hands one out (dnsmasq takes a port number, not 0). */
async function findFreeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/** dnsmasq on 127.0.0.1 (a real DNS server, as the lab runs it) answering `records`; `set` changes the answer, `stop` ends it. */
export async function startTestDns(records: Record<string, string[]>): Promise<{ server: string; set(records: Record<string, string[]>): void; stop(): Promise<void> }> {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), 'rsb-dns-')), 'dns');
  const dns: DnsServer = await startDnsServer({ address: '127.0.0.1', port: await findFreeUdpPort(), dir }, records);
  return { server: dns.server, set: (next) => updateDnsRecords(dns, next), stop: () => stopDnsServer(dns.pidFile) };
}
