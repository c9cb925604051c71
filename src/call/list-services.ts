import type { TlsClientOptions } from '../transport/index.js';
import type { ServiceSummary } from '../broker/registry.js';
import { formatCount, formatCountOf, formatElapsed } from '../cli/format.js';
import { formatTable } from '../cli/table.js';
import type { BrokerAddress } from '../client/index.js';
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

export interface ServicesReport {
  brokers: BrokerServices[];
}

/**
 * The one call behind `rsb services`: asks each broker's own route `rsb.broker.services`
 * (any RSocket client can) for its registry. Throws ConnectError when no broker answers.
 */
export async function listServices(options: {
  brokers: BrokerAddress[];
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
    return { brokers };
  } finally {
    await client.close();
  }
}

/** The report as `rsb services` prints it: per broker, one row per instance. */
export function formatServicesReport(report: ServicesReport, now = Date.now()): string[] {
  const lines: string[] = [];
  for (const entry of report.brokers) {
    if (lines.length) lines.push('');
    if (entry.error !== undefined) {
      lines.push(`broker at ${entry.address}: ${entry.error}`);
      continue;
    }
    const instances = entry.services.reduce((sum, service) => sum + service.instances.length, 0);
    lines.push(`broker ${entry.broker} at ${entry.address}: ${formatCountOf(entry.services.length, 'service')}, ${formatCountOf(instances, 'instance')}`);
    if (instances === 0) continue;
    const rows = entry.services.flatMap((service) =>
      service.instances.map((instance) => [service.key, instance.app, instance.uuid, instance.address, formatCount(instance.inFlight), `${formatElapsed(now - Date.parse(instance.connectedAt))} ago`]),
    );
    lines.push(...formatTable(['SERVICE', 'APP', 'UUID', 'ADDRESS', 'IN FLIGHT', 'CONNECTED'], rows, [4]));
  }
  return lines;
}

