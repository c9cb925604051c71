import { CLOUD_EVENT_TYPE, decodeCloudEvent, readBrokerList, type BrokerList, type BrokerListEntry } from '../protocol/index.js';
import { isSameAddress, type BrokerAddress } from './broker-address.js';

/** What a pushed broker list changes for a client that follows it. */
export interface BrokerListChanges<M extends BrokerAddress> {
  /** Brokers to connect to. */
  added: BrokerListEntry[];
  /** Known brokers the list names, with the id it gives them. */
  kept: { member: M; entry: BrokerListEntry }[];
  /** Known brokers the list names at another address (restarted elsewhere): reconnect there. */
  moved: { member: M; entry: BrokerListEntry }[];
  /** Brokers that were members of the cluster and the list no longer names: leave them. */
  removed: M[];
}

/**
 * Compares what a client is connected to with a list a broker pushed. A broker is the
 * same when its id matches, or (before its id is known) its address. A broker given by
 * address that no list has named yet is kept: it may be outside any cluster.
 */
export function diffBrokerList<M extends BrokerAddress>(members: readonly M[], brokers: readonly BrokerListEntry[]): BrokerListChanges<M> {
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
