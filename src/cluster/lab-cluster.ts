import path from 'node:path';
import { STATE_FILE_VERSION, type ClusterBrokerRecord, type ClusterState, type ClusterTls } from '../client/index.js';
import { formatTransportUri, TRANSPORT } from '../protocol/index.js';
import { UsageError } from '../errors.js';
import { isBrokerProcess, labPeers, launchBroker, stopBrokerProcess } from './broker-processes.js';
import { buildLab, destroyLab, LAB_ADMIN_PORT, LAB_BROKER_PORT } from './host-lab.js';
import { checkLabTools, listLinks } from './lab-commands.js';
import { logDirPath, writeClusterState } from './state.js';

export interface LabClusterContext {
  name: string;
  stateDir: string;
  stateFile: string;
  existing: ClusterState | undefined;
  count: number | undefined;
  rsbBin: string;
  timeoutMs: number;
  signal: AbortSignal | undefined;
  progress: (line: string) => void;
  /** Waits until every broker serves the list of `state`. */
  waitForList: (state: ClusterState, timeoutMs: number) => Promise<void>;
  /**
   * A lab on TLS (`--tls`): makes the certificates for the hosts' addresses, known once the
   * lab is built. The brokers then listen on tcps only and find each other over it.
   */
  makeCertificates?: ((hosts: string[]) => Promise<ClusterTls>) | undefined;
}

/** How often a lab's brokers resolve the lab's name: brokers added to it are found within this. */
const LAB_DNS_INTERVAL = '1s';
const STOP_GRACE_MS = 5_000;

/**
 * `rsb cluster up --hosts`: each broker on a host of its own (src/cluster/host-lab.ts),
 * listening on every address of its namespace on port 9999 (admin API on 9998),
 * advertising its host's address, and finding the others through the lab's dnsmasq
 * (`--peers dns:brokers.NAME.lab:9999`) rather than the state file. A lab that runs
 * whole is kept; anything else of the same lab (a killed run, brokers that died) is
 * taken down and built again. Returns what was started, as `startCluster` does.
 */
export async function bringUpLab(context: LabClusterContext): Promise<{ state: ClusterState; started: string[]; kept: string[] }> {
  await checkLabTools({ dnsmasq: true });
  const { existing, name } = context;
  if (existing && !existing.lab) {
    throw new UsageError(`cluster ${name} already runs on this machine's loopback, not on hosts`, `Run \`rsb cluster down --name ${name}\` first, or start the lab with another --name.`);
  }
  const count = context.count ?? existing?.brokers.length ?? 3;
  if (existing?.lab && existing.brokers.length === count && (await isWhole(existing, context.stateFile))) {
    return { state: existing, started: [], kept: existing.brokers.map((broker) => broker.id) };
  }
  if (existing?.lab) {
    context.progress(`taking down what is left of lab ${existing.lab.bridge} before building it again`);
    for (const broker of existing.brokers) {
      if (isBrokerProcess(broker.pid, broker.id, context.stateFile, existing.lab)) await stopBrokerProcess(broker.pid, STOP_GRACE_MS);
    }
    await destroyLab(existing.lab.tag, existing.lab.dnsPidFile);
  }
  context.progress(`building a lab of ${count} hosts`);
  const lab = await buildLab({ stateDir: context.stateDir, name, count, dnsDir: path.join(logDirPath(context.stateDir, name), 'dns') });
  const { record } = lab;
  context.progress(`lab ${record.bridge}: ${record.subnet}, DNS ${record.dnsName} on ${record.dnsServer}`);
  try {
    // Certificates name every host's address and the lab's name: clients dial the addresses, and the name resolves to them.
    const tls = context.makeCertificates ? await context.makeCertificates([...lab.hosts.map((host) => host.address), record.dnsName]) : undefined;
    const ids = lab.hosts.map((_, index) => `${name}-${index + 1}`);
    const launched = await Promise.all(
      lab.hosts.map((host, index) => {
        context.progress(`starting broker ${ids[index]} on host ${host.netns} (${host.address})`);
        return launchBroker({
          id: ids[index]!,
          host: '0.0.0.0',
          port: LAB_BROKER_PORT,
          adminPort: LAB_ADMIN_PORT,
          clusterArgs: ['--peers', labPeers(record, tls !== undefined), '--dns-server', record.dnsServer, '--dns-interval', LAB_DNS_INTERVAL, '--cluster-name', name],
          netns: host.netns,
          ...(tls ? { tls: { cert: tls.brokerCert, key: tls.brokerKey, ca: tls.ca } } : {}),
          logFile: path.join(logDirPath(context.stateDir, name), `${ids[index]}.log`),
          rsbBin: context.rsbBin,
          timeoutMs: context.timeoutMs,
          ...(context.signal ? { signal: context.signal } : {}),
        });
      }),
    );
    const now = new Date().toISOString();
    const brokers = lab.hosts.map(
      (host, index): ClusterBrokerRecord => ({
        id: ids[index]!,
        host: host.address,
        port: LAB_BROKER_PORT,
        ...(tls ? { uris: [formatTransportUri({ transport: TRANSPORT.TCPS, host: host.address, port: LAB_BROKER_PORT })] } : {}),
        adminPort: LAB_ADMIN_PORT,
        pid: launched[index]!.pid,
        logFile: path.join(logDirPath(context.stateDir, name), `${ids[index]}.log`),
        startedAt: launched[index]!.startedAt,
        netns: host.netns,
        link: host.link,
      }),
    );
    const state: ClusterState = { version: STATE_FILE_VERSION, name, host: record.gateway, basePort: LAB_BROKER_PORT, createdAt: existing?.createdAt ?? now, updatedAt: now, brokers, lab: record, ...(tls ? { tls } : {}) };
    writeClusterState(context.stateDir, state);
    await context.waitForList(state, context.timeoutMs);
    return { state, started: ids, kept: [] };
  } catch (error) {
    // The lab's namespaces go, and with them whatever still runs inside.
    await destroyLab(record.tag, record.dnsPidFile);
    throw error;
  }
}

/** Every broker of the lab runs, and its bridge is there. */
async function isWhole(state: ClusterState, stateFile: string): Promise<boolean> {
  const lab = state.lab!;
  if (!state.brokers.every((broker) => isBrokerProcess(broker.pid, broker.id, stateFile, lab))) return false;
  return (await listLinks()).includes(lab.bridge);
}
