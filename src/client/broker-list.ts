import { UsageError } from '../errors.js';
import { CLOUD_EVENT_TYPE, decodeCloudEvent, readBrokerList, TRANSPORT, type BrokerList, type BrokerListEntry } from '../protocol/index.js';
import { isSameAddress, parseBrokerAddress, type BrokerAddress } from './broker-address.js';

/** A broker a list names, at the address a client of one transport dials. */
export type ListedBroker = BrokerAddress & { id: string };

/**
 * Where a client on `transport` reaches a listed broker: the first of the entry's URIs on
 * that transport, or, from a list without URIs (older brokers: TCP only), its host and
 * port on TCP. Undefined when the broker has no listener on that transport, or its URI
 * is not one a client can dial: a WebSocket client follows WebSocket URIs only, a TLS
 * client TLS ones.
 */
export function selectListedAddress(entry: BrokerListEntry, transport: BrokerAddress['transport']): ListedBroker | undefined {
  const wanted = transport ?? TRANSPORT.TCP;
  if (entry.uris === undefined) return wanted === TRANSPORT.TCP ? { host: entry.host, port: entry.port, id: entry.id } : undefined;
  for (const uri of entry.uris) {
    let address: BrokerAddress;
    try {
      address = parseBrokerAddress(uri, 'listed URI');
    } catch (error) {
      if (error instanceof UsageError) continue;
      throw error;
    }
    if ((address.transport ?? TRANSPORT.TCP) === wanted) return { ...address, id: entry.id };
  }
  return undefined;
}

/** What a pushed broker list changes for a client that follows it. */
export interface BrokerListChanges<M extends BrokerAddress> {
  /** Brokers to connect to. */
  added: ListedBroker[];
  /** Known brokers the list names, with the id it gives them. */
  kept: { member: M; entry: ListedBroker }[];
  /** Known brokers the list names at another address (restarted elsewhere): reconnect there. */
  moved: { member: M; entry: ListedBroker }[];
  /** Brokers that were members of the cluster and the list no longer names: leave them. */
  removed: M[];
}

/**
 * Compares what a client is connected to with a list a broker pushed. A broker is the
 * same when its id matches, or (before its id is known) its address. A broker given by
 * address that no list has named yet is kept: it may be outside any cluster.
 */
export function diffBrokerList<M extends BrokerAddress>(members: readonly M[], brokers: readonly ListedBroker[]): BrokerListChanges<M> {
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
