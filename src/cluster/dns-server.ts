import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { LabError } from '../errors.js';
import { isProcessRunning, readCommandLine, runCommand, signalPid, terminateProcess } from '../process/index.js';

/** A DNS server rsb started: dnsmasq answering the names in its hosts file, and nothing else. */
export interface DnsServerSpec {
  /** The address it answers on (the lab's bridge, or 127.0.0.1 in tests). */
  address: string;
  port: number;
  /** Folder of its hosts file and pid file. */
  dir: string;
}

export interface DnsServer {
  pid: number;
  /** `address` or `address:port`, as `--dns-server` takes it. */
  server: string;
  hostsFile: string;
  pidFile: string;
}

const STOP_GRACE_MS = 2_000;

/**
 * Starts dnsmasq as a daemon for the names of `records` (name → addresses): every A/AAAA
 * record rsb puts in its hosts file, authoritative for everything (an unknown name is
 * NXDOMAIN at once, never forwarded: `--no-resolv`, `--local=/#/`), a TTL of 1 s, on
 * `address:port` alone. dnsmasq forks once it listens, so it has started when this
 * resolves; a port it cannot bind fails here with its own words.
 */
export async function startDnsServer(spec: DnsServerSpec, records: Record<string, readonly string[]>): Promise<DnsServer> {
  mkdirSync(spec.dir, { recursive: true });
  const hostsFile = path.join(spec.dir, 'hosts');
  const pidFile = path.join(spec.dir, 'dnsmasq.pid');
  writeHostsFile(hostsFile, records);
  const args = [
    '--conf-file=/dev/null',
    '--no-resolv',
    '--no-hosts',
    '--local=/#/',
    `--addn-hosts=${hostsFile}`,
    `--listen-address=${spec.address}`,
    '--bind-interfaces',
    `--port=${spec.port}`,
    `--pid-file=${pidFile}`,
    // Stays root, so that it can read the hosts file again wherever the state directory is.
    '--user=root',
    '--local-ttl=1',
  ];
  const result = await runCommand('dnsmasq', args);
  if (result.code !== 0) throw new LabError(`dnsmasq did not start on ${spec.address}:${spec.port}: ${result.stderr.trim() || `exit ${result.code}`}`);
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) throw new LabError(`dnsmasq wrote no pid to ${pidFile}`);
  return { pid, server: spec.port === 53 ? spec.address : `${spec.address}:${spec.port}`, hostsFile, pidFile };
}

/** Puts new records in place and makes dnsmasq read them (SIGHUP): the next lookup has the new answer. */
export function updateDnsRecords(server: Pick<DnsServer, 'hostsFile' | 'pidFile'>, records: Record<string, readonly string[]>): void {
  writeHostsFile(server.hostsFile, records);
  const pid = readDnsServerPid(server.pidFile);
  if (pid !== undefined) signalPid(pid, 'SIGHUP');
}

/**
 * Stops the dnsmasq of this pid file, if one runs (a pid now running something else is
 * left alone), and removes its folder. Works from the file alone, so that a dnsmasq whose
 * starter was killed before recording it is found too.
 */
export async function stopDnsServer(pidFile: string): Promise<void> {
  const pid = readDnsServerPid(pidFile);
  if (pid !== undefined) await terminateProcess(pid, STOP_GRACE_MS);
  rmSync(path.dirname(pidFile), { recursive: true, force: true });
}

/** The pid of the dnsmasq that runs with this pid file, or undefined when none does. */
export function readDnsServerPid(pidFile: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile, 'utf8').trim());
  } catch {
    return undefined;
  }
  return Number.isInteger(pid) && pid > 0 && isDnsServerProcess(pid, pidFile) ? pid : undefined;
}

/** Whether `pid` is the dnsmasq started with this pid file. */
function isDnsServerProcess(pid: number, pidFile: string): boolean {
  return isProcessRunning(pid) && (readCommandLine(pid)?.includes(`--pid-file=${pidFile}`) ?? false);
}

function writeHostsFile(file: string, records: Record<string, readonly string[]>): void {
  const lines = Object.entries(records).flatMap(([name, addresses]) => addresses.map((address) => `${address} ${name}`));
  writeFileSync(`${file}.tmp`, `${lines.join('\n')}\n`);
  renameSync(`${file}.tmp`, file);
}
