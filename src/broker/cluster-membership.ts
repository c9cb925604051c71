import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { UsageError } from '../errors.js';
import {
  buildBrokerListEvent,
  buildUpstreamClusterEvent,
  checkBrokerListEntry,
  encodeCloudEvent,
  encodeFrameBody,
  FLAG,
  FRAME_TYPE,
  ProtocolError,
  type BrokerListEntry,
  type BrokerList,
  type CloudEvent,
} from '../protocol/index.js';
import type { EmitEvent } from './events.js';

/** A client connection as the membership pushes to it. */
export interface ListReceiver {
  readonly connection: { sendEncoded(frame: Buffer): void };
}

/** What the membership needs of its broker. */
export interface MembershipPorts {
  /** This broker's id and where it listens, for the list it answers with when it belongs to no cluster. */
  describeSelf(): BrokerListEntry;
  readonly startedAt: number;
  /** Every client past SETUP, to push a changed list to. */
  readyClients(): Iterable<ListReceiver>;
  readonly emit: EmitEvent;
}

/** The cluster a broker belongs to, as given in its options or read from its cluster file. */
export interface ClusterDefinition {
  name: string;
  brokers: BrokerListEntry[];
}

/**
 * How often the cluster file is read again. Reading a small file four times a second
 * costs the broker nothing measurable, and it is immune to what makes change watchers
 * miss updates: `fs.watch` on the file loses it when the file is replaced by rename (how
 * rsb writes it), and `fs.watchFile` misses a change made before its first stat() ran.
 */
const CLUSTER_FILE_POLL_MS = 250;

/**
 * What makes a broker cluster-aware without any routing exchange (docs/architecture.md, "The cluster
 * model"): it knows the cluster's broker list and pushes it to every client — once when
 * the client's SETUP is accepted, and again to every client whenever the list changes —
 * as METADATA_PUSH carrying a `com.rsb.broker.list` CloudEvent, followed by the same list
 * as the Alibaba broker's UpstreamClusterChangedEvent for Alibaba clients. The pushes are
 * encoded once per change and the same bytes go to every connection.
 *
 * A broker that belongs to no cluster pushes nothing (rsocket-js peers unpatched for
 * METADATA_PUSH drop their connection on one), and answers `rsb.broker.cluster` with
 * itself alone.
 */
export class ClusterMembership {
  private definition: ClusterDefinition | undefined;
  private event: CloudEvent<BrokerList> | undefined;
  /** The list as rsb's event and as Alibaba's (UpstreamClusterChangedEvent), encoded once per change: the same bytes go to every client. */
  private pushFrames: Buffer[] = [];
  /** The file's text when last read: it is parsed again only when it changed. */
  private lastText: string | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  /** The last problem logged, so that one that persists is logged once, not four times a second. */
  private lastProblem: string | undefined;

  constructor(private readonly ports: MembershipPorts) {}

  /** The cluster's name and brokers; undefined while the broker belongs to none. */
  get cluster(): ClusterDefinition | undefined {
    return this.definition;
  }

  /** The current list as an event: the cluster's, or this broker alone when it belongs to none. */
  describe(): CloudEvent<BrokerList> {
    if (this.event) return this.event;
    const self = this.ports.describeSelf();
    return buildBrokerListEvent({ cluster: '', broker: self.id, brokers: [self] }, `${self.id}-standalone`, new Date(this.ports.startedAt));
  }

  /** Sets the list; when it differs from the current one, pushes it to every connected client. Returns whether it changed. */
  update(definition: ClusterDefinition): boolean {
    if (this.definition && isSameDefinition(this.definition, definition)) return false;
    this.definition = { name: definition.name, brokers: definition.brokers.map((entry) => ({ ...entry })) };
    this.event = buildBrokerListEvent({ cluster: definition.name, broker: this.ports.describeSelf().id, brokers: this.definition.brokers }, randomUUID(), new Date());
    const alibaba = buildUpstreamClusterEvent(this.event.data!, randomUUID(), new Date());
    this.pushFrames = [this.event, alibaba].map((event) => encodeFrameBody({ type: FRAME_TYPE.METADATA_PUSH, streamId: 0, flags: FLAG.METADATA, metadata: encodeCloudEvent(event) }));
    for (const client of this.ports.readyClients()) this.announceTo(client);
    this.ports.emit({ kind: 'cluster-changed', cluster: definition.name, brokers: this.definition.brokers });
    return true;
  }

  /** Sends the current list, in rsb's form and in Alibaba's, to one client (called when its SETUP is accepted). */
  announceTo(client: ListReceiver): void {
    for (const frame of this.pushFrames) client.connection.sendEncoded(frame);
  }

  /**
   * Reads the cluster file now and again whenever it changes; a missing file is waited for.
   * Throws UsageError when the file is there but malformed; later changes that are
   * malformed are logged and the last good list is kept.
   */
  watch(path: string): void {
    this.lastText = readClusterFileText(path);
    if (this.lastText !== undefined) this.update(parseClusterFile(this.lastText, path));
    this.pollTimer = setInterval(() => this.reloadFile(path), CLUSTER_FILE_POLL_MS);
    this.pollTimer.unref();
  }

  stop(): void {
    clearInterval(this.pollTimer);
  }

  private reloadFile(path: string): void {
    try {
      const text = readClusterFileText(path);
      // Missing: not written yet, or removed as the cluster stops. Either way the last list stands.
      if (text === undefined || text === this.lastText) return;
      this.lastText = text;
      this.update(parseClusterFile(text, path));
      this.lastProblem = undefined;
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      if (error.message === this.lastProblem) return;
      this.lastProblem = error.message;
      this.ports.emit({ kind: 'cluster-file-error', path, message: error.message });
    }
  }
}

/** The cluster file's list, or undefined while there is no file. */
export function readClusterFile(path: string): ClusterDefinition | undefined {
  const text = readClusterFileText(path);
  return text === undefined ? undefined : parseClusterFile(text, path);
}

function readClusterFileText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new UsageError(`cannot read cluster file ${path}: ${code ?? (error as Error).message}`, undefined, { cause: error });
  }
}

/**
 * Reads a cluster file: `{"name": "...", "brokers": [{"id", "host", "port", "adminPort"?}, ...]}`.
 * Other fields are ignored, so the state file `rsb cluster up` writes serves as one.
 */
export function parseClusterFile(text: string, path: string): ClusterDefinition {
  const shape = 'Write it as {"name": "...", "brokers": [{"id": "b1", "host": "127.0.0.1", "port": 9999}, ...]}.';
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`cluster file ${path} is not valid JSON`, shape, { cause: error });
  }
  const file = value as { name?: unknown; brokers?: unknown } | null;
  if (typeof file !== 'object' || file === null || typeof file.name !== 'string' || !Array.isArray(file.brokers)) {
    throw new UsageError(`cluster file ${path} needs a "name" and a "brokers" list`, shape);
  }
  try {
    return { name: file.name, brokers: file.brokers.map((entry, index) => checkBrokerListEntry(entry, `brokers[${index}]`)) };
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    throw new UsageError(`cluster file ${path}: ${error.message}`, shape, { cause: error });
  }
}

function isSameDefinition(a: ClusterDefinition, b: ClusterDefinition): boolean {
  return (
    a.name === b.name &&
    a.brokers.length === b.brokers.length &&
    a.brokers.every((entry, index) => {
      const other = b.brokers[index]!;
      return (
        entry.id === other.id &&
        entry.host === other.host &&
        entry.port === other.port &&
        entry.adminPort === other.adminPort &&
        (entry.uris ?? []).join(' ') === (other.uris ?? []).join(' ')
      );
    })
  );
}
