import { createSocket } from 'node:dgram';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startDnsServer, stopDnsServer, updateDnsRecords, type DnsServer } from '../../src/cluster/index.js';
import { LabError } from '../../src/errors.js';

/** A UDP port of 127.0.0.1 free now, that is free for TCP too: dnsmasq listens on both (it takes a port number, not 0). */
async function findFreeDnsPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  const tcp = createServer();
  const isTcpFree = await new Promise<boolean>((resolve) => {
    tcp.once('error', () => resolve(false));
    tcp.listen(port, '127.0.0.1', () => resolve(true));
  });
  await new Promise<void>((resolve) => (isTcpFree ? tcp.close(() => resolve()) : resolve()));
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return isTcpFree ? port : findFreeDnsPort();
}

/** dnsmasq on 127.0.0.1 (a real DNS server, as the lab runs it) answering `records`; `set` changes the answer, `stop` ends it. */
export async function startTestDns(records: Record<string, string[]>): Promise<{ server: string; set(records: Record<string, string[]>): void; stop(): Promise<void> }> {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), 'rsb-dns-')), 'dns');
  let dns: DnsServer | undefined;
  // Another process may take the port between the check and dnsmasq's bind: a few tries.
  for (let attempt = 1; dns === undefined; attempt++) {
    try {
      dns = await startDnsServer({ address: '127.0.0.1', port: await findFreeDnsPort(), dir }, records);
    } catch (error) {
      if (!(error instanceof LabError) || !/Address already in use/.test(error.message) || attempt === 5) throw error;
    }
  }
  const started = dns;
  return { server: started.server, set: (next) => updateDnsRecords(started, next), stop: () => stopDnsServer(started.pidFile) };
}
