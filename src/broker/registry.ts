import { formatServiceKey, type ServiceId } from '../protocol/index.js';
import type { Session } from './session.js';

/**
 * The instances of one service key, balanced round-robin. Kept even when empty, so
 * that the router can cache a route's entry and never look the key up again.
 */
export class ServiceInstances {
  readonly sessions: Session[] = [];
  private cursor = 0;

  constructor(
    readonly key: string,
    readonly id: ServiceId,
  ) {}

  pick(): Session | undefined {
    const count = this.sessions.length;
    if (count === 0) return undefined;
    if (this.cursor >= count) this.cursor = 0;
    return this.sessions[this.cursor++];
  }
}

export interface ServiceSummary extends ServiceId {
  key: string;
  instances: { app: string; uuid: string; address: string; inFlight: number; connectedAt: string }[];
}

/** Which connection answers which service: filled from SETUP, emptied when a connection closes. */
export class ServiceRegistry {
  private readonly byKey = new Map<string, ServiceInstances>();

  /** The entry for a key, created empty if needed. */
  entry(key: string, id: ServiceId): ServiceInstances {
    let entry = this.byKey.get(key);
    if (!entry) {
      entry = new ServiceInstances(key, id);
      this.byKey.set(key, entry);
    }
    return entry;
  }

  register(session: Session, services: readonly ServiceId[]): void {
    for (const id of services) {
      const entry = this.entry(formatServiceKey(id), id);
      if (!entry.sessions.includes(session)) entry.sessions.push(session);
    }
  }

  unregister(session: Session, services: readonly ServiceId[]): void {
    for (const id of services) {
      const entry = this.byKey.get(formatServiceKey(id));
      if (!entry) continue;
      const index = entry.sessions.indexOf(session);
      if (index >= 0) entry.sessions.splice(index, 1);
    }
  }

  /** Services that have at least one instance. */
  get serviceCount(): number {
    let count = 0;
    for (const entry of this.byKey.values()) if (entry.sessions.length > 0) count++;
    return count;
  }

  get instanceCount(): number {
    let count = 0;
    for (const entry of this.byKey.values()) count += entry.sessions.length;
    return count;
  }

  list(): ServiceSummary[] {
    return [...this.byKey.values()]
      .filter((entry) => entry.sessions.length > 0)
      .sort((a, b) => a.key.localeCompare(b.key))
      .map((entry) => ({
        key: entry.key,
        ...entry.id,
        instances: entry.sessions.map((session) => ({
          app: session.app.name,
          uuid: session.app.uuid,
          address: session.remoteAddress,
          inFlight: session.servedCount,
          connectedAt: new Date(session.connectedAt).toISOString(),
        })),
      }));
  }
}
