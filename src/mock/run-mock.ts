import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { waitForShutdownSignal } from '../cli/output.js';
import { formatCount, formatCountOf } from '../cli/format.js';
import { UsageError } from '../errors.js';
import { parseServiceKey, toPeerSetupOptions } from '../sdk/setup.js';
import { ResponderServer, type TlsClientOptions } from '../transport/index.js';
import { announceReady, type MockReady } from '../process/index.js';
import { ClusterResponder, FAST_RECONNECT_POLICY, keepAliveForLifetime, type BrokerSource, type ReconnectPolicy } from '../client/index.js';
import { createLiveView, type MockMethodRow } from '../ui/index.js';
import { LINK_SUMMARY_INTERVAL_MS, LinkLog } from './link-log.js';
import { MockHandler, type MethodCounters } from './mock-handler.js';
import { describeBehaviour, type MockSpec } from './spec.js';

export interface RunMockOptions {
  spec: MockSpec;
  /** Where to register: every broker of a cluster, or any of them (the others are learned from the list they push). */
  brokers: BrokerSource[];
  /** Join the brokers the pushed lists name (default true); false keeps to `brokers`. */
  followBrokerList?: boolean | undefined;
  /** Separate connections to each broker, each a registered instance. */
  instances: number;
  /** Also accept direct connections here (no broker): the baseline of a load run. */
  listen?: { host: string; port: number } | undefined;
  /** Bearer token for brokers that require authentication. */
  token?: string | undefined;
  /** tcps and wss brokers: what to trust and show (resolveBrokerTls). */
  tls?: TlsClientOptions | undefined;
  /** App name in SETUP; default `rsb-mock-<service>`. */
  appName?: string | undefined;
  reconnect?: Partial<ReconnectPolicy> | undefined;
  /** A broker silent this long is taken for gone (`--keepalive-lifetime`); the lean default otherwise. */
  keepaliveLifetimeMs?: number | undefined;
  /** Live Ink view (a terminal) or plain lines. */
  isInteractive: boolean;
  print: (line: string) => void;
  /** Resolves with a reason when the mock should stop; default: SIGINT or SIGTERM. */
  until?: Promise<string> | undefined;
  /** Called once every instance is registered, with the listening port if any. */
  onReady?: ((ready: { listenPort: number | null }) => void) | undefined;
}

export interface MockReport {
  service: string;
  brokers: string[];
  instances: number;
  listenPort: number | null;
  methods: MethodCounters[];
  /** Requests for methods the mock does not have. */
  unknownRequests: number;
  stoppedBy: string;
  uptimeMs: number;
}

/**
 * A mock redials a lost broker at most a second apart (services built on the SDK wait up
 * to 5 s): until it has registered again, a restarted broker answers its share of the
 * traffic REJECTED.
 */
export const MOCK_RECONNECT_POLICY: ReconnectPolicy = FAST_RECONNECT_POLICY;

/** Plain figures lines are printed this often while requests flow. */
const PLAIN_INTERVAL_MS = 5_000;

/**
 * The one call behind `rsb mock`: registers `instances` connections with every broker
 * (and listens for direct connections with `listen`), answers with the spec's
 * behaviours on the lean responder, shows live counts, and on SIGINT/SIGTERM closes
 * every connection — which unregisters the instances — and reports the counts.
 */
export async function runMock(options: RunMockOptions): Promise<MockReport> {
  const { spec, print } = options;
  const startedAt = Date.now();
  const handler = new MockHandler(spec, await loadResponseFiles(spec));
  // One responder per instance, each registered on every broker of the cluster, and again on a broker that comes back.
  const instances: ClusterResponder[] = [];
  const brokers = (): string[] => instances[0]?.pool.members.map((member) => member.name) ?? [];
  let where = '';
  const rates = new MethodRates();
  let lastTotal = 0;
  const view = await createLiveView({
    isInteractive: options.isInteractive,
    print,
    plainIntervalMs: PLAIN_INTERVAL_MS,
    plainLine: () => {
      const rows = rates.read(handler.counters);
      const total = rows.reduce((sum, row) => sum + row.requests, 0);
      if (total === lastTotal) return undefined;
      lastTotal = total;
      return `requests: ${rows
        .map((row) => `${row.method} ${formatCount(row.requests)} (${formatRate(row.requestsPerSecond)}/s${row.errors ? `, ${formatCountOf(row.errors, 'error')}` : ''})`)
        .join(', ')}`;
    },
    view: 'MockStatus',
    props: () => ({
      service: spec.service,
      where,
      connected: instances.reduce((sum, instance) => sum + instance.pool.liveLinks().length, 0),
      connections: instances.reduce((sum, instance) => sum + instance.pool.members.length, 0),
      rows: rates.read(handler.counters),
    }),
  });
  // Connections lost and regained: a line per broker and change, never one per retry.
  const links = new LinkLog({ instances: options.instances, print: (line) => view.event(line) });
  const summaries = setInterval(() => {
    const line = links.summarize();
    if (line !== undefined) view.event(line);
  }, LINK_SUMMARY_INTERVAL_MS).unref();
  let server: ResponderServer | undefined;
  const stop = async (): Promise<void> => {
    clearInterval(summaries);
    await Promise.all(instances.map((instance) => instance.close()));
    await server?.close();
  };
  try {
    if (options.listen) {
      server = await ResponderServer.listen(options.listen, handler);
      print(`rsb mock ${spec.service} listening on ${options.listen.host}:${server.port} for direct connections`);
    }
    for (let instance = 1; instance <= options.instances; instance++) {
      const setup = toPeerSetupOptions({
        app: { name: options.appName ?? `rsb-mock-${spec.service}`, uuid: randomUUID(), metadata: { instance: String(instance), pid: String(process.pid) } },
        services: [parseServiceKey(spec.service)],
        token: options.token,
      });
      const timing = options.keepaliveLifetimeMs === undefined ? {} : keepAliveForLifetime(options.keepaliveLifetimeMs);
      instances.push(
        new ClusterResponder(
          {
            ...setup,
            ...timing,
            tls: options.tls,
            brokers: options.brokers,
            followBrokerList: options.followBrokerList,
            reconnect: { ...MOCK_RECONNECT_POLICY, ...options.reconnect },
            onEvent: (event) => links.record(instance, event),
          },
          handler,
        ),
      );
    }
    // Resolves once each instance is registered on every broker it could reach (at least one); the others keep being tried.
    await Promise.all(instances.map((instance) => instance.start()));
  } catch (error) {
    await stop();
    throw error;
  }
  const instanceCount = formatCountOf(options.instances, 'instance');
  print(`rsb mock ${spec.service} ready: ${instanceCount} on ${brokers().join(', ')}`);
  for (const behaviour of spec.methods) print(`  ${spec.service}.${behaviour.method}: ${describeBehaviour(behaviour)}`);
  options.onReady?.({ listenPort: server?.port ?? null });
  announceReady({ service: spec.service, instances: options.instances, brokers: brokers(), direct: server ? { host: options.listen!.host, port: server.port } : null } satisfies MockReady);
  where = `${instanceCount} on ${brokers().join(', ')}${server ? `, direct on ${options.listen!.host}:${server.port}` : ''}`;
  view.start();
  const stoppedBy = await (options.until ?? waitForShutdownSignal());
  view.stop();
  print(`rsb mock ${spec.service} stopping on ${stoppedBy}`);
  const finalBrokers = brokers();
  await stop();
  const total = handler.counters.reduce((sum, counters) => sum + counters.requests, 0);
  print(`rsb mock ${spec.service} stopped after ${formatCountOf(total, 'request')}: ${formatCounts(handler.counters)}`);
  return {
    service: spec.service,
    brokers: finalBrokers,
    instances: options.instances,
    listenPort: server?.port ?? null,
    methods: handler.counters.map((counters) => ({ ...counters })),
    unknownRequests: handler.unknownRequests,
    stoppedBy,
    uptimeMs: Date.now() - startedAt,
  };
}

async function loadResponseFiles(spec: MockSpec): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const behaviour of spec.methods) {
    if (behaviour.response.kind !== 'file' || files.has(behaviour.response.path)) continue;
    try {
      files.set(behaviour.response.path, await readFile(behaviour.response.path));
    } catch (error) {
      throw new UsageError(
        `cannot read the response file of ${spec.service}.${behaviour.method}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message} (${behaviour.response.path})`,
        undefined,
        { cause: error },
      );
    }
  }
  return files;
}

function formatCounts(counters: readonly MethodCounters[]): string {
  return counters.map((c) => `${c.method} ${formatCount(c.requests)}${c.errors ? ` (${formatCountOf(c.errors, 'error')})` : ''}`).join(', ');
}

/** Low rates keep a decimal: a mock called now and then shows 0.2/s, not 0/s. */
function formatRate(perSecond: number): string {
  return perSecond < 10 ? perSecond.toFixed(1) : formatCount(perSecond);
}

/** Requests per second of each method between two reads. */
class MethodRates {
  private last: number[] = [];
  private lastAt = Date.now();

  read(counters: readonly MethodCounters[]): MockMethodRow[] {
    const now = Date.now();
    const seconds = Math.max(0.001, (now - this.lastAt) / 1000);
    const rows = counters.map((c, i) => ({ ...c, requestsPerSecond: (c.requests - (this.last[i] ?? 0)) / seconds }));
    this.last = counters.map((c) => c.requests);
    this.lastAt = now;
    return rows;
  }
}
