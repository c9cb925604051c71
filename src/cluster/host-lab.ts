import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { LabRecord } from '../client/index.js';
import { LabError } from '../errors.js';
import { killProcess, runCommand } from '../process/index.js';
import { readDnsServerPid, startDnsServer, stopDnsServer } from './dns-server.js';
import { ip, listIpv4Addresses, listLinks, listNamespacePids, listNamespaces } from './lab-commands.js';
import { lockCluster } from './state.js';

/*
 * A lab of hosts on one machine: a Linux bridge `rsb-TAG` with the address 10.213.N.1/24,
 * and per broker a network namespace `rsb-TAG-I` joined to it by a veth pair (`rsb-TAG-I`
 * on the bridge, `eth0` inside, address 10.213.N.(10+I)). The /24 is routed to the bridge
 * alone and the namespaces have no default route, so nothing from the lab leaves the
 * machine. TAG is a hash of the state directory and the cluster name, so that two labs
 * (or two checkouts) never share a name, and a later `up` finds what a killed run left.
 */

/** The lab's /24s are 10.213.N.0/24, N free on this machine. */
const SUBNET_PREFIX = '10.213';
/** Brokers are .11, .12, ...: clear of the bridge's .1. */
const FIRST_HOST = 10;
export const LAB_BROKER_PORT = 9999;
export const LAB_ADMIN_PORT = 9998;
/** The name inside each host of its link to the bridge. */
const HOST_INTERFACE = 'eth0';

/** A lab host as it was built: its namespace, its link on the bridge, its address. */
export interface LabHost {
  netns: string;
  link: string;
  address: string;
}

export interface BuiltLab {
  record: LabRecord;
  hosts: LabHost[];
}

/** `rsb-` and six characters: bridge `rsb-TAG` (10), links `rsb-TAG-64` (13): Linux names stay within 15. */
export function labTag(stateDir: string, name: string): string {
  return createHash('sha256').update(`${path.resolve(stateDir)}\0${name}`).digest('hex').slice(0, 6);
}

/** `brokers.NAME.lab`: the name every broker of the lab answers to. */
export function labDnsName(name: string): string {
  return `brokers.${name.toLowerCase().replace(/[^a-z0-9-]/g, '-')}.lab`;
}

function hostNames(tag: string, index: number): { netns: string; link: string } {
  return { netns: `rsb-${tag}-${index + 1}`, link: `rsb-${tag}-${index + 1}` };
}

/**
 * Builds the lab for `count` brokers: removes whatever an earlier lab of the same tag left
 * behind, takes a free 10.213.N.0/24 (under a machine-wide lock, so two labs starting at
 * once never pick the same), creates the bridge and the hosts, and starts dnsmasq on the
 * bridge answering `dnsName` with every host's address. A step that fails tears down what
 * was built and throws LabError.
 */
export async function buildLab(options: { stateDir: string; name: string; count: number; dnsDir: string }): Promise<BuiltLab> {
  const tag = labTag(options.stateDir, options.name);
  const dnsPidFile = path.join(options.dnsDir, 'dnsmasq.pid');
  await destroyLab(tag, dnsPidFile);
  const bridge = `rsb-${tag}`;
  const unlock = lockCluster(tmpdir(), 'rsb-lab-subnets');
  let subnet: number;
  try {
    subnet = await chooseSubnet();
    await ip('link', 'add', bridge, 'type', 'bridge');
    await ip('addr', 'add', `${SUBNET_PREFIX}.${subnet}.1/24`, 'dev', bridge);
  } catch (error) {
    await destroyLab(tag, dnsPidFile);
    throw error;
  } finally {
    unlock();
  }
  try {
    await ip('link', 'set', bridge, 'up');
    const hosts: LabHost[] = [];
    for (let index = 0; index < options.count; index++) {
      const { netns, link } = hostNames(tag, index);
      const address = `${SUBNET_PREFIX}.${subnet}.${FIRST_HOST + index + 1}`;
      await ip('netns', 'add', netns);
      await ip('link', 'add', link, 'type', 'veth', 'peer', 'name', HOST_INTERFACE, 'netns', netns);
      await ip('link', 'set', link, 'master', bridge);
      await ip('link', 'set', link, 'up');
      await ip('-n', netns, 'link', 'set', 'lo', 'up');
      await ip('-n', netns, 'addr', 'add', `${address}/24`, 'dev', HOST_INTERFACE);
      await ip('-n', netns, 'link', 'set', HOST_INTERFACE, 'up');
      hosts.push({ netns, link, address });
    }
    const gateway = `${SUBNET_PREFIX}.${subnet}.1`;
    const dnsName = labDnsName(options.name);
    const dns = await startDnsServer({ address: gateway, port: 53, dir: options.dnsDir }, { [dnsName]: hosts.map((host) => host.address) });
    const record: LabRecord = {
      tag,
      bridge,
      subnet: `${SUBNET_PREFIX}.${subnet}.0/24`,
      gateway,
      dnsName,
      dnsServer: dns.server,
      dnsmasqPid: dns.pid,
      dnsPidFile: dns.pidFile,
      dnsHostsFile: dns.hostsFile,
    };
    return { record, hosts };
  } catch (error) {
    await destroyLab(tag, dnsPidFile);
    throw error;
  }
}

/** The lowest N with no address of this machine in 10.213.N.0/24. */
async function chooseSubnet(): Promise<number> {
  const taken = new Set((await listIpv4Addresses()).filter((address) => address.startsWith(`${SUBNET_PREFIX}.`)).map((address) => Number(address.split('.')[2])));
  for (let subnet = 1; subnet < 255; subnet++) if (!taken.has(subnet)) return subnet;
  throw new LabError(`every ${SUBNET_PREFIX}.N.0/24 is taken on this machine`, 'Stop some labs with `rsb cluster down`.');
}

/**
 * Removes everything of the lab `tag`: the processes still in its namespaces (SIGKILL:
 * their brokers were stopped before, or the run that started them was killed), the
 * namespaces (their `eth0` ends go with them, and so do the veth pairs), any link left on
 * this side, the bridge, and its dnsmasq. Nothing there is fine; it can run twice.
 */
export async function destroyLab(tag: string, dnsPidFile: string): Promise<void> {
  // The DNS server first: one left running keeps its address and port, and a lab built later on the same /24 could not bind them.
  await stopDnsServer(dnsPidFile);
  const prefix = `rsb-${tag}`;
  const namespaces = (await listNamespaces()).filter((name) => isLabName(name, prefix));
  for (const netns of namespaces) {
    for (const pid of await listNamespacePids(netns)) await killProcess(pid);
    await ip('netns', 'del', netns);
  }
  for (const link of (await listLinks()).filter((name) => isLabName(name, prefix))) {
    // A veth goes with its peer's namespace, which the kernel tears down in the background: it may be gone by now.
    const result = await runCommand('ip', ['link', 'del', link]);
    if (result.code !== 0 && !/Cannot find device/.test(result.stderr)) throw new LabError(`\`ip link del ${link}\` failed: ${result.stderr.trim()}`);
  }
}

/** What is left of the lab `tag` on this machine: namespaces, links and a running dnsmasq, by name. Empty once it is down. */
export async function findLabLeftovers(tag: string, dnsPidFile: string): Promise<string[]> {
  // A namespace's links go once the kernel has finished tearing it down, in the background: give it a moment.
  const deadline = Date.now() + LEFTOVER_WAIT_MS;
  for (;;) {
    const left = await listLeftovers(tag, dnsPidFile);
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const LEFTOVER_WAIT_MS = 3_000;

async function listLeftovers(tag: string, dnsPidFile: string): Promise<string[]> {
  const prefix = `rsb-${tag}`;
  const left = [
    ...(await listNamespaces()).filter((name) => isLabName(name, prefix)).map((name) => `namespace ${name}`),
    ...(await listLinks()).filter((name) => isLabName(name, prefix)).map((name) => `link ${name}`),
  ];
  const dnsmasq = readDnsServerPid(dnsPidFile);
  if (dnsmasq !== undefined) left.push(`dnsmasq pid ${dnsmasq}`);
  return left;
}

function isLabName(name: string, prefix: string): boolean {
  return name === prefix || new RegExp(`^${prefix}-\\d+$`).test(name);
}
