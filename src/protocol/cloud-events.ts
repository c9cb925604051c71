import { PROTOCOL_ERROR_CODE, ProtocolError } from './errors.js';
import { formatHostPort } from './transports.js';

/**
 * Broker-to-client events travel as METADATA_PUSH whose metadata is one CloudEvents 1.0
 * event in the JSON format (docs/wire.md, "The broker list"; CloudEvents spec v1.0.2,
 * "Required Attributes", and json-format.md). The same bytes answer the
 * `rsb.broker.cluster` route, for clients (rsocket-js) that cannot read METADATA_PUSH.
 */
export interface CloudEvent<T = unknown> {
  specversion: '1.0';
  /** Unique per `source`: consumers may treat a repeated source + id as a duplicate. */
  id: string;
  /** URI-reference naming where the event happened: here, the broker. */
  source: string;
  /** Reverse-DNS prefixed event type. */
  type: string;
  time?: string;
  subject?: string;
  datacontenttype?: string;
  /** URI of the schema `data` adheres to (optional attribute). */
  dataschema?: string;
  data?: T;
}

export const CLOUD_EVENT_TYPE = {
  /** The brokers of a cluster, sent by each of them on SETUP and whenever the list changes. */
  BROKER_LIST: 'com.rsb.broker.list',
  /**
   * The Alibaba RSocket broker's cluster list, the type being its Java class name: its SDK
   * connects to every URI in the data and leaves the brokers no longer named. rsb pushes it
   * beside its own list, so that Alibaba clients follow an rsb cluster too.
   */
  UPSTREAM_CLUSTER_CHANGED: 'com.alibaba.rsocket.upstream.UpstreamClusterChangedEvent',
} as const;
export type CloudEventType = (typeof CLOUD_EVENT_TYPE)[keyof typeof CLOUD_EVENT_TYPE];

/**
 * One broker of a cluster as the broker list carries it: where it listens for RSocket
 * connections, and its id. Clients read it as a broker address (src/client).
 */
export interface BrokerListEntry {
  id: string;
  /** Its plain TCP listener (or its first listener when it has none): what clients that predate `uris` dial. */
  host: string;
  port: number;
  /** Its admin HTTP port, when known. */
  adminPort?: number;
  /**
   * Every address it is reached at, one URI per listener (`tcp://…`, `tcps://…`,
   * `ws://…/path`, `wss://…/path`), as it advertises them (`rsb start --advertise`; its
   * bound listeners otherwise): a client follows the URIs of the transport it uses.
   * Absent when it would say no more than `tcp://host:port` (one plain TCP listener), and
   * in lists of brokers that predate it.
   */
  uris?: string[];
}

/** The data of a `com.rsb.broker.list` event. */
export interface BrokerList {
  /** The cluster's name; empty for a broker that belongs to no cluster. */
  cluster: string;
  /** The id of the broker that sent the event: lets a client tell which entry it is connected to. */
  broker: string;
  brokers: BrokerListEntry[];
}

/** `{"specversion":"1.0",...}` as UTF-8 bytes, ready to be the metadata of a METADATA_PUSH. */
export function encodeCloudEvent(event: CloudEvent): Buffer {
  return Buffer.from(JSON.stringify(event), 'utf8');
}

/** Reads one event in the JSON format, checking its required attributes; throws ProtocolError. */
export function decodeCloudEvent(bytes: Buffer): CloudEvent {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new ProtocolError(PROTOCOL_ERROR_CODE.CLOUD_EVENT, 'the event is not valid JSON', { cause: error });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProtocolError(PROTOCOL_ERROR_CODE.CLOUD_EVENT, 'the event must be a JSON object');
  }
  const event = value as Record<string, unknown>;
  // "specversion ... REQUIRED ... the value MUST be 1.0" for this version of the spec.
  if (event.specversion !== '1.0') {
    throw new ProtocolError(PROTOCOL_ERROR_CODE.CLOUD_EVENT, `specversion must be "1.0", got ${JSON.stringify(event.specversion)}`);
  }
  // id, source and type are REQUIRED and "MUST be a non-empty string".
  for (const attribute of ['id', 'source', 'type'] as const) {
    if (typeof event[attribute] !== 'string' || event[attribute] === '') {
      throw new ProtocolError(PROTOCOL_ERROR_CODE.CLOUD_EVENT, `the event's "${attribute}" must be a non-empty string`);
    }
  }
  return event as unknown as CloudEvent;
}

export function buildBrokerListEvent(list: BrokerList, id: string, time: Date): CloudEvent<BrokerList> {
  return {
    specversion: '1.0',
    id,
    source: `rsb://broker/${encodeURIComponent(list.broker)}`,
    type: CLOUD_EVENT_TYPE.BROKER_LIST,
    time: time.toISOString(),
    ...(list.cluster ? { subject: list.cluster } : {}),
    datacontenttype: 'application/json',
    data: list,
  };
}

/** The broker list carried by a `com.rsb.broker.list` event; throws ProtocolError when the data does not add up. */
export function readBrokerList(event: CloudEvent): BrokerList {
  if (event.type !== CLOUD_EVENT_TYPE.BROKER_LIST) {
    throw new ProtocolError(PROTOCOL_ERROR_CODE.CLOUD_EVENT, `expected a ${CLOUD_EVENT_TYPE.BROKER_LIST} event, got ${event.type}`);
  }
  const data = event.data as Partial<BrokerList> | undefined;
  if (typeof data !== 'object' || data === null || !Array.isArray(data.brokers)) {
    throw new ProtocolError(PROTOCOL_ERROR_CODE.CLOUD_EVENT, `${CLOUD_EVENT_TYPE.BROKER_LIST} data must be {"cluster","broker","brokers":[...]}`);
  }
  const brokers = data.brokers.map((item: unknown, index) => checkBrokerListEntry(item, `data.brokers[${index}]`));
  return { cluster: typeof data.cluster === 'string' ? data.cluster : '', broker: typeof data.broker === 'string' ? data.broker : '', brokers };
}

/** Checks one `{id, host, port}` entry; `where` names it in the error. */
export function checkBrokerListEntry(item: unknown, where: string): BrokerListEntry {
  const entry = item as Partial<BrokerListEntry> | null;
  if (
    typeof entry !== 'object' ||
    entry === null ||
    typeof entry.id !== 'string' ||
    entry.id === '' ||
    typeof entry.host !== 'string' ||
    entry.host === '' ||
    !Number.isInteger(entry.port) ||
    entry.port! < 1 ||
    entry.port! > 0xffff
  ) {
    throw new ProtocolError(PROTOCOL_ERROR_CODE.CLOUD_EVENT, `${where} must be {"id","host","port"} with a port from 1 to 65535`);
  }
  if (entry.uris !== undefined && (!Array.isArray(entry.uris) || !entry.uris.every((uri) => typeof uri === 'string' && /^[a-z]+:\/\/./.test(uri)))) {
    throw new ProtocolError(PROTOCOL_ERROR_CODE.CLOUD_EVENT, `${where}.uris must be a list of URIs like "tcp://10.0.0.5:9999"`);
  }
  // An unknown admin port (0, as rsb records one it has not learned yet) is left out.
  const hasAdminPort = Number.isInteger(entry.adminPort) && entry.adminPort! >= 1 && entry.adminPort! <= 0xffff;
  return {
    id: entry.id,
    ...trimPlainUris({ host: entry.host, port: entry.port!, uris: entry.uris }),
    ...(hasAdminPort ? { adminPort: entry.adminPort! } : {}),
  };
}

/**
 * A broker's addresses as a list entry carries them: `uris` are left out when they say no
 * more than `tcp://host:port` (one plain TCP listener), so that such a broker's entry
 * stays the `{id, host, port}` every client has always read.
 */
export function trimPlainUris(address: Pick<BrokerListEntry, 'host' | 'port' | 'uris'>): Pick<BrokerListEntry, 'host' | 'port' | 'uris'> {
  const uris = address.uris ?? [];
  const isPlainTcp = uris.length === 1 && uris[0] === describeBrokerUri({ id: '', host: address.host, port: address.port });
  return { host: address.host, port: address.port, ...(uris.length > 0 && !isPlainTcp ? { uris: [...uris] } : {}) };
}

/** The data of a `com.alibaba.rsocket.upstream.UpstreamClusterChangedEvent`: `*` is every service, the URIs every broker. */
export interface UpstreamClusterChanged {
  interfaceName: string;
  group: string;
  version: string;
  uris: string[];
}

/**
 * The Alibaba form of a broker list (docs/wire.md, "Alibaba clients"): one URI per broker —
 * the first `tcp://` or `tcps://` it advertises, which is what the Alibaba SDK dials — for
 * every service (`interfaceName` `*`), with the schema the Alibaba broker names.
 */
export function buildUpstreamClusterEvent(list: BrokerList, id: string, time: Date): CloudEvent<UpstreamClusterChanged> {
  return {
    specversion: '1.0',
    id,
    source: `rsb://broker/${encodeURIComponent(list.broker)}`,
    type: CLOUD_EVENT_TYPE.UPSTREAM_CLUSTER_CHANGED,
    time: time.toISOString(),
    datacontenttype: 'application/json',
    dataschema: `rsocket:event:${CLOUD_EVENT_TYPE.UPSTREAM_CLUSTER_CHANGED}`,
    data: { interfaceName: '*', group: '', version: '', uris: list.brokers.map(describeBrokerUri) },
  };
}

/** The URI a TCP client dials for this broker: its first `tcp://` or `tcps://`, else `tcp://host:port`. */
export function describeBrokerUri(entry: BrokerListEntry): string {
  const stream = entry.uris?.find((uri) => uri.startsWith('tcp://') || uri.startsWith('tcps://'));
  return stream ?? `tcp://${formatHostPort(entry)}`;
}
