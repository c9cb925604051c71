import { CLOUD_EVENT_TYPE, decodeCloudEvent, readBrokerList, type BrokerAddress, type BrokerList } from '../protocol/index.js';

/** A broker a client knows: by address, and by id once a list or a state file named it. */
export interface KnownBroker {
  host: string;
  port: number;
  id: string | undefined;
}

/** What a pushed broker list changes for a client that follows it. */
export interface BrokerListChanges<M extends KnownBroker> {
  /** Brokers to connect to. */
  added: BrokerAddress[];
  /** Known brokers the list names, with the id it gives them. */
  kept: { member: M; entry: BrokerAddress }[];
  /** Known brokers the list names at another address (restarted elsewhere): reconnect there. */
  moved: { member: M; entry: BrokerAddress }[];
  /** Brokers that were members of the cluster and the list no longer names: leave them. */
  removed: M[];
}

/**
 * Compares what a client is connected to with a list a broker pushed. A broker is the
 * same when its id matches, or (before its id is known) its address. A broker given by
 * address that no list has named yet is kept: it may be outside any cluster.
 */
export function diffBrokerList<M extends KnownBroker>(members: readonly M[], brokers: readonly BrokerAddress[]): BrokerListChanges<M> {
  const changes: BrokerListChanges<M> = { added: [], kept: [], moved: [], removed: [] };
  const matched = new Set<M>();
  for (const entry of brokers) {
    const member = members.find((known) => known.id === entry.id) ?? members.find((known) => !matched.has(known) && isSameAddress(known, entry));
    if (!member) {
      changes.added.push(entry);
      continue;
    }
    matched.add(member);
    if (isSameAddress(member, entry)) changes.kept.push({ member, entry });
    else changes.moved.push({ member, entry });
  }
  for (const member of members) {
    if (!matched.has(member) && member.id !== undefined) changes.removed.push(member);
  }
  return changes;
}

/** The broker list in a METADATA_PUSH, or undefined when the push carries another event. Throws ProtocolError when it is malformed. */
export function readBrokerListPush(metadata: Buffer): BrokerList | undefined {
  const event = decodeCloudEvent(metadata);
  return event.type === CLOUD_EVENT_TYPE.BROKER_LIST ? readBrokerList(event) : undefined;
}

/** 127.0.0.1, localhost and ::1 name the same machine. */
export function isSameAddress(a: { host: string; port: number }, b: { host: string; port: number }): boolean {
  return a.port === b.port && normalizeHost(a.host) === normalizeHost(b.host);
}

function normalizeHost(host: string): string {
  return host === 'localhost' || host === '::1' || host === '[::1]' ? '127.0.0.1' : host;
}
