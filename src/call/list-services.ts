import type { TlsClientOptions } from '../transport/index.js';
import type { ServiceSummary } from '../broker/registry.js';
import { formatCount, formatCountOf, formatElapsed } from '../cli/format.js';
import { formatTable } from '../cli/table.js';
import type { BrokerSource } from '../client/index.js';
import { BROKER_ROUTES } from '../protocol/index.js';
import { connect } from '../sdk/index.js';

export interface BrokerServices {
  /** The address asked. */
  address: string;
  /** The broker's id, from its answer; null when it could not be asked. */
  broker: string | null;
  services: ServiceSummary[];
  /** Why this broker could not be asked. */
  error?: string;
}

/** One instance of a service, once however many brokers it is registered on. */
export interface RegisteredInstance {
  service: string;
  app: string;
  uuid: string;
  /** Its address as each broker sees it (one connection per broker). */
  addresses: string[];
  /** The brokers it is registered on, by id. */
  brokers: string[];
  /** Requests in flight to it, over all its brokers. */
  inFlight: number;
  /** Its first connection. */
  connectedAt: string;
}

export interface ServicesReport {
  /** Each broker's own answer. */
  brokers: BrokerServices[];
  /** Every instance once, with the brokers it is registered on: an instance is the same app uuid serving the same service. */
  instances: RegisteredInstance[];
}

/**
 * The one call behind `rsb services`: asks each broker's own route `rsb.broker.services`
 * (any RSocket client can) for its registry. Throws ConnectError when no broker answers.
 */
export async function listServices(options: {
  brokers: BrokerSource[];
  /** Instead of `brokers`: every broker of this cluster (`rsb cluster up`), from its state file in `stateDir`. */
  cluster?: string | undefined;
  stateDir?: string | undefined;
  timeoutMs: number;
  token?: string | undefined;
  /** tcps and wss brokers: what to trust and show (resolveBrokerTls). */
  tls?: TlsClientOptions | undefined;
}): Promise<ServicesReport> {
  const client = await connect({
    ...(options.cluster !== undefined ? { cluster: options.cluster, stateDir: options.stateDir } : { brokers: options.brokers }),
    // Each broker asked is one given: the ones their lists name are not added.
    followBrokerList: false,
    app: 'rsb-services',
    token: options.token,
    ...(options.tls ? { tls: options.tls } : {}),
    timeoutMs: options.timeoutMs,
    reconnect: false,
  });
  try {
    const brokers = await Promise.all(
      client.brokers.map(async (broker): Promise<BrokerServices> => {
        if (!broker.isUp) return { address: broker.name, broker: null, services: [], error: 'not connected' };
        try {
          const answer = await client.requestResponse(BROKER_ROUTES.SERVICES, undefined, { broker: broker.name });
          const body = JSON.parse(answer.data.toString('utf8')) as { broker: string; services: ServiceSummary[] };
          return { address: broker.name, broker: body.broker, services: body.services };
        } catch (error) {
          return { address: broker.name, broker: null, services: [], error: (error as Error).message };
        }
      }),
    );
    return { brokers, instances: mergeInstances(brokers) };
  } finally {
    await client.close();
  }
}

/** The brokers' registries as one list of instances: an instance that registered on three brokers is one entry naming the three. */
export function mergeInstances(brokers: readonly BrokerServices[]): RegisteredInstance[] {
  const byKey = new Map<string, RegisteredInstance>();
  for (const entry of brokers) {
    for (const service of entry.services) {
      for (const instance of service.instances) {
        const key = `${service.key} ${instance.uuid}`;
        const known = byKey.get(key);
        if (!known) {
          byKey.set(key, { service: service.key, app: instance.app, uuid: instance.uuid, addresses: [instance.address], brokers: [entry.broker ?? entry.address], inFlight: instance.inFlight, connectedAt: instance.connectedAt });
          continue;
        }
        known.addresses.push(instance.address);
        known.brokers.push(entry.broker ?? entry.address);
        known.inFlight += instance.inFlight;
        if (Date.parse(instance.connectedAt) < Date.parse(known.connectedAt)) known.connectedAt = instance.connectedAt;
      }
    }
  }
  return [...byKey.values()];
}

/**
 * The report as `rsb services` prints it: a line per broker, then one table with a row per
 * instance — once, with the brokers it is registered on when there are several.
 */
export function formatServicesReport(report: ServicesReport, now = Date.now()): string[] {
  const lines: string[] = [];
  const answered = report.brokers.filter((entry) => entry.error === undefined);
  for (const entry of report.brokers) {
    if (entry.error !== undefined) {
      lines.push(`broker at ${entry.address}: ${entry.error}`);
      continue;
    }
    const instances = entry.services.reduce((sum, service) => sum + service.instances.length, 0);
    lines.push(`broker ${entry.broker} at ${entry.address}: ${formatCountOf(entry.services.length, 'service')}, ${formatCountOf(instances, 'instance')}`);
  }
  if (report.instances.length === 0) return lines;
  const isSeveral = answered.length > 1;
  if (isSeveral) {
    const services = new Set(report.instances.map((instance) => instance.service)).size;
    lines.push(`${formatCountOf(answered.length, 'broker')}: ${formatCountOf(services, 'service')}, ${formatCountOf(report.instances.length, 'instance')}`);
  }
  const rows = report.instances.map((instance) => [
    instance.service,
    instance.app,
    instance.uuid,
    formatAddresses(instance.addresses),
    ...(isSeveral ? [instance.brokers.join(', ')] : []),
    formatCount(instance.inFlight),
    `${formatElapsed(now - Date.parse(instance.connectedAt))} ago`,
  ]);
  const header = ['SERVICE', 'APP', 'UUID', 'ADDRESS', ...(isSeveral ? ['BROKERS'] : []), 'IN FLIGHT', 'CONNECTED'];
  lines.push(...formatTable(header, rows, [header.indexOf('IN FLIGHT')]));
  return lines;
}

/** One connection: `127.0.0.1:38826`; one per broker from the same host: `127.0.0.1 (3 connections)`. */
function formatAddresses(addresses: readonly string[]): string {
  if (addresses.length === 1) return addresses[0]!;
  const hosts = [...new Set(addresses.map((address) => address.replace(/:\d+$/, '')))];
  return `${hosts.join(', ')} (${formatCountOf(addresses.length, 'connection')})`;
}
