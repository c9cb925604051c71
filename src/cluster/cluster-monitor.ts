import { BrokerQueryClient, PLAIN_CLUSTER_ACCESS, type ClusterAccess, type ClusterBrokerRecord } from '../client/index.js';
import { RsbError } from '../errors.js';
import { BROKER_ROUTES } from '../protocol/index.js';
import { BROKER_STATE, type BrokerHealth, type BrokerState } from './cluster-status.js';
import { isBrokerProcess } from './broker-processes.js';

/** One broker's line in a live view. */
export interface ClusterNodeRow {
  id: string;
  address: string;
  pid: number;
  state: BrokerState;
  /** Connections other than the monitor's own. */
  clients: number;
  services: number;
  instances: number;
  requestsPerSecond: number;
  requestsRouted: number;
}

interface Watched {
  record: ClusterBrokerRecord;
  client: BrokerQueryClient | undefined;
  row: ClusterNodeRow;
  /** The previous sample's count, undefined until there is one: a rate needs two. */
  lastRouted: number | undefined;
  lastAt: number;
}

/**
 * Samples every broker of a cluster once per `sample()`: is its pid still this broker,
 * and what does `rsb.broker.health` say, over one connection per broker kept open
 * between samples (a connection per sample would fill the brokers' logs).
 */
export class ClusterMonitor {
  private readonly watched: Watched[];

  constructor(
    records: ClusterBrokerRecord[],
    private readonly stateFile: string,
    private readonly onChange: (row: ClusterNodeRow, previous: BrokerState, problem: string | undefined) => void = () => {},
    private readonly access: ClusterAccess = PLAIN_CLUSTER_ACCESS,
  ) {
    this.watched = records.map((record) => ({
      record,
      client: undefined,
      lastRouted: undefined,
      lastAt: Date.now(),
      row: {
        id: record.id,
        address: `${record.host}:${record.port}`,
        pid: record.pid,
        state: BROKER_STATE.UP,
        clients: 0,
        services: 0,
        instances: 0,
        requestsPerSecond: 0,
        requestsRouted: 0,
      },
    }));
  }

  get rows(): ClusterNodeRow[] {
    return this.watched.map((entry) => entry.row);
  }

  async sample(): Promise<ClusterNodeRow[]> {
    await Promise.all(this.watched.map((entry) => this.sampleOne(entry)));
    return this.rows;
  }

  private async sampleOne(entry: Watched): Promise<void> {
    const previous = entry.row.state;
    let problem: string | undefined;
    if (!isBrokerProcess(entry.record.pid, entry.record.id, this.stateFile)) {
      problem = `pid ${entry.record.pid} no longer runs`;
      this.setState(entry, BROKER_STATE.DOWN);
      await this.dropClient(entry);
    } else {
      try {
        if (!entry.client?.isConnected) {
          await this.dropClient(entry);
          entry.client = await BrokerQueryClient.connect({ ...this.access.locate(entry.record), tls: this.access.tls, appName: 'rsb-cluster-monitor', timeoutMs: 900 });
        }
        this.record(entry, await entry.client.query<BrokerHealth>(BROKER_ROUTES.HEALTH));
      } catch (error) {
        if (!(error instanceof RsbError)) throw error;
        problem = error.message;
        this.setState(entry, BROKER_STATE.UNRESPONSIVE);
      }
    }
    if (entry.row.state !== previous) this.onChange(entry.row, previous, problem);
  }

  private record(entry: Watched, health: BrokerHealth): void {
    const now = Date.now();
    const routed = health.requestsRouted;
    const row = entry.row;
    row.state = BROKER_STATE.UP;
    // The monitor's own connection is one of the broker's connections.
    row.clients = Math.max(0, health.connections - 1);
    row.services = health.services;
    row.instances = health.instances;
    // A restarted broker counts from 0 again: no negative rate.
    row.requestsPerSecond = entry.lastRouted === undefined ? 0 : (Math.max(0, routed - entry.lastRouted) * 1000) / Math.max(1, now - entry.lastAt);
    row.requestsRouted = routed;
    entry.lastRouted = routed;
    entry.lastAt = now;
  }

  private setState(entry: Watched, state: BrokerState): void {
    entry.row.state = state;
    entry.row.requestsPerSecond = 0;
    entry.lastRouted = undefined;
  }

  private async dropClient(entry: Watched): Promise<void> {
    const client = entry.client;
    entry.client = undefined;
    await client?.close();
  }

  async close(): Promise<void> {
    await Promise.all(this.watched.map((entry) => this.dropClient(entry)));
  }
}
