import { formatCountOf, formatElapsed } from '../cli/format.js';
import { LINK_EVENT, type LinkEvent } from '../client/index.js';

/** How often a mock says which brokers it is still waiting for. */
export const LINK_SUMMARY_INTERVAL_MS = 10_000;

/** One broker as the log knows it. */
interface BrokerLinks {
  /** `default-2 (127.0.0.1:10000)`: the latest label, which gains the id once a list names the broker. */
  label: string;
  /** The instances whose connection to it is down. */
  away: Set<number>;
  /** Since when it is away (its first instance lost it or could not reach it), or undefined while every instance is connected. */
  awaySince: number | undefined;
  /** Why it could not be reached the last time that was said. */
  problem: string | undefined;
}

/**
 * A mock's connections to its brokers as log lines a person can follow: a line when a
 * broker is lost, a line when it cannot be reached (and again only when the reason
 * changes), a line when every instance is back on it — however many instances the mock
 * has and however often they retry — and, while any broker is away, a summary line every
 * LINK_SUMMARY_INTERVAL_MS (`summarize`). Retries themselves are never a line: after
 * `rsb cluster down` a mock prints a few lines, not one per retry forever.
 */
export class LinkLog {
  private readonly brokers = new Map<string, BrokerLinks>();
  /** What was last said of each dns: name that would not resolve (undefined: it resolves). */
  private readonly nameProblems = new Map<string, string | undefined>();

  constructor(
    private readonly options: {
      /** Instances of the mock: each connects to every broker. */
      instances: number;
      print: (line: string) => void;
      /** Milliseconds, for "away for 12s". */
      now?: () => number;
    },
  ) {}

  record(instance: number, event: LinkEvent): void {
    switch (event.kind) {
      case LINK_EVENT.DISCONNECTED: {
        const broker = this.broker(event.broker);
        broker.away.add(instance);
        if (broker.awaySince !== undefined) return;
        broker.awaySince = this.now();
        this.options.print(`- lost ${broker.label}: ${event.message}; reconnecting`);
        return;
      }
      case LINK_EVENT.CONNECT_FAILED: {
        const broker = this.broker(event.broker);
        broker.away.add(instance);
        broker.awaySince ??= this.now();
        const problem = event.message.replace(/^could not connect to \S+: /, '');
        if (problem === broker.problem) return;
        broker.problem = problem;
        this.options.print(`  cannot reach ${broker.label}: ${problem}; retrying`);
        return;
      }
      case LINK_EVENT.CONNECTED: {
        const broker = this.broker(event.broker);
        broker.away.delete(instance);
        if (broker.awaySince === undefined || broker.away.size > 0) return;
        const after = formatElapsed(this.now() - broker.awaySince);
        broker.awaySince = undefined;
        broker.problem = undefined;
        const who = this.options.instances === 1 ? '1 instance' : `all ${formatCountOf(this.options.instances, 'instance')}`;
        this.options.print(`+ back on ${broker.label}: ${who} registered again after ${after}`);
        return;
      }
      case LINK_EVENT.BROKER_ADDED:
        if (this.brokers.has(addressOf(event.broker))) return;
        this.broker(event.broker);
        this.options.print(`+ joins ${event.broker}, named by the cluster's broker list`);
        return;
      case LINK_EVENT.BROKER_REMOVED:
        if (!this.brokers.delete(addressOf(event.broker))) return;
        this.options.print(`- leaves ${event.broker}, no longer in the cluster's broker list`);
        return;
      case LINK_EVENT.BAD_EVENT:
        this.options.print(`! instance ${instance} ignored an event from ${event.from}: ${event.message}`);
        return;
      case LINK_EVENT.NAME_PROBLEM: {
        // Every instance watches the name: a line when what it says changes, not one per instance.
        if (this.nameProblems.get(event.name) === event.message) return;
        this.nameProblems.set(event.name, event.message);
        this.options.print(event.message === undefined ? `+ ${event.name} resolves again` : `! ${event.message}; retrying`);
        return;
      }
      case LINK_EVENT.BROKER_LIST:
      case LINK_EVENT.ROTATED:
        return;
    }
  }

  /**
   * `  still unreachable, retrying: default-1 (127.0.0.1:9999) for 12s, ...`: the brokers away
   * for `minAwayMs` or more (one just lost was said already); undefined when there are none.
   */
  summarize(minAwayMs = LINK_SUMMARY_INTERVAL_MS): string | undefined {
    const now = this.now();
    const away = [...this.brokers.values()].filter((broker) => broker.awaySince !== undefined && now - broker.awaySince >= minAwayMs);
    if (away.length === 0) return undefined;
    return `  still unreachable, retrying: ${away.map((broker) => `${broker.label} for ${formatElapsed(now - broker.awaySince!)}`).join(', ')}`;
  }

  private broker(label: string): BrokerLinks {
    const key = addressOf(label);
    let broker = this.brokers.get(key);
    if (!broker) {
      broker = { label, away: new Set(), awaySince: undefined, problem: undefined };
      this.brokers.set(key, broker);
    }
    broker.label = label;
    return broker;
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }
}

/** A member's label is `id (host:port)` once its id is known, `host:port` before: the address is what stays. */
function addressOf(label: string): string {
  return /\(([^()]+)\)$/.exec(label)?.[1] ?? label;
}
