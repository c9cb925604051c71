import { promises as dns } from 'node:dns';
import { ResolveError } from '../errors.js';
import { formatBrokerAddress, type BrokerAddress } from './broker-address.js';
import { addressOfResolved, DEFAULT_DNS_INTERVAL_MS, formatBrokerName, type BrokerName } from './broker-name.js';
import { computeBackoffDelay, type ReconnectPolicy } from './reconnect-policy.js';

/** One lookup gives up after this long: a resolver that does not answer is a problem to report, not to wait on. */
const LOOKUP_TIMEOUT_MS = 2_000;
const LOOKUP_TRIES = 2;

/**
 * Every A and AAAA record of the name as brokers, sorted (so that equal answers compare
 * equal). The name resolves if either family answers; it fails with ResolveError naming
 * the name, the resolver and the code (ENOTFOUND, ETIMEOUT, ECONNREFUSED...) otherwise.
 */
export async function resolveBrokerName(name: BrokerName): Promise<BrokerAddress[]> {
  // Node's own resolver (c-ares), not getaddrinfo: it asks the server given, and caches nothing.
  const resolver = new dns.Resolver({ timeout: LOOKUP_TIMEOUT_MS, tries: LOOKUP_TRIES });
  if (name.dnsServer) resolver.setServers([name.dnsServer]);
  const [v4, v6] = await Promise.allSettled([resolver.resolve4(name.dnsName), resolver.resolve6(name.dnsName)]);
  const ips = [...(v4.status === 'fulfilled' ? v4.value : []), ...(v6.status === 'fulfilled' ? v6.value : [])];
  if (ips.length === 0) {
    const failure = [v4, v6].find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected' && outcome.reason?.code !== 'ENODATA');
    const code = (failure?.reason as NodeJS.ErrnoException | undefined)?.code ?? 'ENODATA';
    const resolverName = name.dnsServer ? `DNS server ${name.dnsServer}` : 'the system resolver';
    throw new ResolveError(`${formatBrokerName(name)}: ${name.dnsName} did not resolve through ${resolverName} (${code})`, 'Check the name and --dns-server; it is tried again.', {
      cause: failure?.reason,
    });
  }
  return [...new Set(ips)].sort().map((ip) => addressOfResolved(name, ip));
}

export interface NameWatchHandlers {
  /** The answer changed (and once for the first answer): every broker behind the name now. */
  onChange(addresses: BrokerAddress[]): void;
  /** The name stopped resolving (the message, once per distinct problem), or resolves again (undefined). */
  onProblem?(message: string | undefined, retryInMs: number | undefined): void;
}

/**
 * Keeps a name's brokers current: resolves it now, then every interval; an answer that
 * differs from the last is reported. A lookup that fails keeps the last answer (a
 * resolver that is briefly away must not empty the cluster), is reported once, and is
 * tried again with backoff up to the interval.
 */
export class NameWatch {
  private last = '';
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;
  private isStopped = false;
  private lastProblem: string | undefined;
  private readonly intervalMs: number;
  private readonly retry: ReconnectPolicy;

  constructor(
    readonly name: BrokerName,
    private readonly handlers: NameWatchHandlers,
  ) {
    this.intervalMs = name.intervalMs ?? DEFAULT_DNS_INTERVAL_MS;
    this.retry = { initialDelayMs: Math.min(250, this.intervalMs), maxDelayMs: this.intervalMs, factor: 2, jitter: 0.2 };
  }

  /** The first lookup: resolves with its answer, or rejects with ResolveError (the watch goes on trying either way). */
  async start(): Promise<BrokerAddress[]> {
    try {
      return await this.lookup();
    } finally {
      this.schedule();
    }
  }

  stop(): void {
    this.isStopped = true;
    clearTimeout(this.timer);
  }

  private async lookup(): Promise<BrokerAddress[]> {
    try {
      const addresses = await resolveBrokerName(this.name);
      this.failures = 0;
      if (this.lastProblem !== undefined) {
        this.lastProblem = undefined;
        this.handlers.onProblem?.(undefined, undefined);
      }
      const key = addresses.map(formatBrokerAddress).join(',');
      if (key !== this.last && !this.isStopped) {
        this.last = key;
        this.handlers.onChange(addresses);
      }
      return addresses;
    } catch (error) {
      this.failures++;
      if (!(error instanceof ResolveError)) throw error;
      if (error.message !== this.lastProblem && !this.isStopped) {
        this.lastProblem = error.message;
        this.handlers.onProblem?.(error.message, this.nextDelay());
      }
      throw error;
    }
  }

  private nextDelay(): number {
    return this.failures === 0 ? this.intervalMs : computeBackoffDelay(this.retry, this.failures - 1);
  }

  private schedule(): void {
    if (this.isStopped) return;
    this.timer = setTimeout(() => {
      this.lookup().then(
        () => this.schedule(),
        (error: unknown) => {
          if (!(error instanceof ResolveError)) throw error;
          this.schedule();
        },
      );
    }, this.nextDelay());
    // A watch alone keeps no program alive: its owner's connections or servers do.
    this.timer.unref();
  }
}
