import {
  computeBackoffDelay,
  formatBrokerAddress,
  formatBrokerName,
  isBrokerName,
  NameWatch,
  queryBroker,
  type BrokerAddress,
  type BrokerSource,
  type ReconnectPolicy,
} from '../client/index.js';
import type { TlsClientOptions } from '../transport/index.js';
import { ResolveError, RsbError } from '../errors.js';
import { BROKER_ROUTES, ProtocolError, readBrokerList, type BrokerListEntry, type CloudEvent } from '../protocol/index.js';

export interface PeerDiscoveryOptions {
  /** This broker as it advertises itself: listed first, never probed. */
  self: BrokerListEntry;
  /** `--peers`: brokers by address, and `dns:` names standing for every broker behind them. */
  sources: BrokerSource[];
  /** The cluster's brokers changed: this broker and every peer that answered, by id. */
  onChange(brokers: BrokerListEntry[]): void;
  /** One line per problem (a name that does not resolve, a peer that does not answer), and when it is over. */
  onProblem(line: string): void;
  /** Bearer token for peers that authenticate. */
  token?: string | undefined;
  /** Peers on tcps:// or wss://: what to trust (the broker's own --tls-ca: a cluster's brokers share a CA). */
  tls?: TlsClientOptions | undefined;
}

/** A peer that does not answer is asked again after this, growing to the maximum. */
const PROBE_RETRY: ReconnectPolicy = { initialDelayMs: 500, maxDelayMs: 10_000, factor: 2, jitter: 0.2 };
const PROBE_TIMEOUT_MS = 2_000;

/** What is known of one address a source named. */
interface Candidate {
  address: BrokerAddress;
  /** Its own entry (id, advertised address) once it answered; null when it turned out to be this broker. */
  entry: BrokerListEntry | null | undefined;
  failures: number;
  lastProblem: string | undefined;
  timer: NodeJS.Timeout | undefined;
  /** The names or `--peers` entries naming it: it is dropped when none does any more. */
  namedBy: Set<string>;
}

/**
 * How a broker finds the other brokers of its cluster without a shared file: the
 * addresses of `--peers`, and the A/AAAA records of its `dns:` names, resolved again on
 * an interval. Each address is asked once for its own entry (`rsb.broker.cluster`: its id
 * and the addresses it advertises), so the list every broker pushes names the same
 * brokers the same way. A name that does not resolve, or a peer that does not answer, is
 * one line and is tried again with backoff; the broker serves its own clients meanwhile.
 * A peer is listed once it has answered, and stays listed while a source names it, even
 * when it stops answering (a partition heals; its clients redial it meanwhile).
 */
export class PeerDiscovery {
  private readonly candidates = new Map<string, Candidate>();
  private readonly watches: NameWatch[] = [];
  private lastList = '';
  private isStopped = false;

  constructor(private readonly options: PeerDiscoveryOptions) {}

  start(): void {
    this.publish();
    for (const source of this.options.sources) {
      if (!isBrokerName(source)) {
        this.name(formatBrokerAddress(source), [source]);
        continue;
      }
      const label = formatBrokerName(source);
      const watch = new NameWatch(source, {
        onChange: (addresses) => this.name(label, addresses),
        onProblem: (message, retryInMs) =>
          this.options.onProblem(message === undefined ? `${label} resolves again` : `! ${message}; trying again in ${((retryInMs ?? 0) / 1000).toFixed(1)} s`),
      });
      this.watches.push(watch);
      watch.start().catch((error: unknown) => {
        if (!(error instanceof ResolveError)) throw error;
      });
    }
  }

  stop(): void {
    this.isStopped = true;
    for (const watch of this.watches) watch.stop();
    for (const candidate of this.candidates.values()) clearTimeout(candidate.timer);
  }

  /** A source's addresses now: new ones are probed, those no source names any more are dropped. */
  private name(source: string, addresses: BrokerAddress[]): void {
    const keys = new Set(addresses.map(formatBrokerAddress));
    for (const [key, candidate] of this.candidates) {
      if (keys.has(key) || !candidate.namedBy.delete(source) || candidate.namedBy.size > 0) continue;
      clearTimeout(candidate.timer);
      this.candidates.delete(key);
    }
    for (const address of addresses) {
      const key = formatBrokerAddress(address);
      const known = this.candidates.get(key);
      if (known) {
        known.namedBy.add(source);
        continue;
      }
      const candidate: Candidate = { address, entry: undefined, failures: 0, lastProblem: undefined, timer: undefined, namedBy: new Set([source]) };
      this.candidates.set(key, candidate);
      if (this.isSelf(address)) candidate.entry = null;
      else void this.probe(candidate);
    }
    this.publish();
  }

  private isSelf(address: BrokerAddress): boolean {
    const self = this.options.self;
    const key = formatBrokerAddress(address);
    return key === formatBrokerAddress(self) || (self.uris ?? []).some((uri) => uri.endsWith(`://${key}`));
  }

  private async probe(candidate: Candidate): Promise<void> {
    const key = formatBrokerAddress(candidate.address);
    try {
      const list = readBrokerList(
        await queryBroker<CloudEvent>({ ...candidate.address, appName: `rsb-peer-${this.options.self.id}`, timeoutMs: PROBE_TIMEOUT_MS, token: this.options.token, tls: this.options.tls }, BROKER_ROUTES.CLUSTER),
      );
      if (this.isStopped || this.candidates.get(key) !== candidate) return;
      const own = list.brokers.find((entry) => entry.id === list.broker);
      candidate.entry = list.broker === this.options.self.id ? null : (own ?? { id: list.broker, host: candidate.address.host, port: candidate.address.port });
      if (candidate.lastProblem !== undefined && candidate.entry) this.options.onProblem(`peer ${candidate.entry.id} at ${key} answers again`);
      candidate.lastProblem = undefined;
      this.publish();
    } catch (error) {
      if (!(error instanceof RsbError) && !(error instanceof ProtocolError)) throw error;
      if (this.isStopped || this.candidates.get(key) !== candidate) return;
      const delay = computeBackoffDelay(PROBE_RETRY, candidate.failures++);
      if (error.message !== candidate.lastProblem) {
        candidate.lastProblem = error.message;
        this.options.onProblem(`! peer ${key} does not answer: ${error.message}; trying again in ${(delay / 1000).toFixed(1)} s`);
      }
      candidate.timer = setTimeout(() => void this.probe(candidate), delay);
      candidate.timer.unref();
    }
  }

  /** This broker and the peers that answered, by id (numbers in ids sorted as numbers): every broker of the cluster lists them alike. */
  private publish(): void {
    if (this.isStopped) return;
    const peers = [...this.candidates.values()].flatMap((candidate) => (candidate.entry ? [candidate.entry] : []));
    const unique = new Map([...peers, this.options.self].map((entry) => [entry.id, entry]));
    const brokers = [...unique.values()].sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));
    const key = JSON.stringify(brokers);
    if (key === this.lastList) return;
    this.lastList = key;
    this.options.onChange(brokers);
  }
}
