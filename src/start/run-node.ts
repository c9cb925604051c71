import { waitForShutdownSignal } from '../cli/output.js';
import { formatCount, formatCountOf } from '../cli/format.js';
import { announceReady, type BrokerReady } from '../process/index.js';
import { formatBrokerAddress } from '../client/index.js';
import { BROKER_ROUTES, isWebSocketTransport, nameErrorCode, TRANSPORT } from '../protocol/index.js';
import { AdminServer, Broker, createToken, type AdminServerOptions, type BrokerEvent, type BrokerOptions, type BrokerSnapshot } from '../broker/index.js';
import { resolveAdvertised } from './advertise.js';
import type { NetworkSettings } from './config.js';
import { PeerDiscovery } from './peer-discovery.js';
import { createLiveView } from '../ui/index.js';

export interface RunNodeOptions {
  broker: Partial<BrokerOptions>;
  /** Advertised addresses, peers, drain; default: none of them. */
  network?: NetworkSettings;
  /** The admin HTTP server, or null for none. */
  admin: AdminServerOptions | null;
  /** Live Ink status line (a terminal) or plain log lines. */
  isInteractive: boolean;
  /** Where plain lines go. */
  print: (line: string) => void;
}

/** The one call behind `rsb start`: runs a broker in the foreground until SIGINT/SIGTERM, then stops it cleanly. */
export async function runBrokerNode(options: RunNodeOptions): Promise<BrokerSnapshot> {
  const { isInteractive, print } = options;
  const meter = new RateMeter();
  let lastRouted = 0;
  const view = await createLiveView({
    isInteractive,
    print,
    plainIntervalMs: 10_000,
    plainLine: () => {
      const snapshot = broker.snapshot();
      const rate = meter.rate(snapshot.requestsRouted);
      if (snapshot.requestsRouted === lastRouted) return undefined;
      lastRouted = snapshot.requestsRouted;
      return (
        `${formatCountOf(snapshot.connections, 'connection')}, ${formatCountOf(snapshot.services, 'service')} (${formatCountOf(snapshot.instances, 'instance')}), ` +
        `${formatCount(rate)} requests/s, ${formatCount(snapshot.requestsRouted)} routed, ${formatCount(snapshot.requestsRejected)} rejected`
      );
    },
    view: 'BrokerStatus',
    props: () => {
      const snapshot = broker.snapshot();
      return {
        id: broker.id,
        address: `${snapshot.host}:${snapshot.port}`,
        connections: snapshot.connections,
        services: snapshot.services,
        instances: snapshot.instances,
        requestsPerSecond: meter.rate(snapshot.requestsRouted),
        requestsRouted: snapshot.requestsRouted,
      };
    },
  });
  const network = options.network ?? NO_NETWORK;
  const broker = new Broker(options.broker, (event) => view.event(describeEvent(event)));
  const { host, port, listeners } = await broker.start();
  let admin: AdminServer | undefined;
  let discovery: PeerDiscovery | undefined;
  try {
    const advertised = resolveAdvertised(
      listeners.map((listener) => ({ scheme: listener.transport, host: listener.host, port: listener.port, path: isWebSocketTransport(listener.transport) ? (listener.path ?? '/') : undefined })),
      network.advertise,
    );
    broker.advertiseAs(advertised);
    if (options.admin) {
      admin = new AdminServer(broker, options.admin);
      await admin.start();
    }
    print(`advertised to clients as ${advertised.uris.join(', ')} (${advertised.reason})`);
    if (network.peers.length > 0) discovery = await startDiscovery(broker, network, (line) => view.event(line));
  } catch (error) {
    discovery?.stop();
    await broker.stop();
    throw error;
  }
  // "listening on" and the ready message come last: once a script sees the line, or a launcher gets the message, the admin API is up too.
  if (admin) print(`admin API and metrics on ${admin.url} (/healthz /readyz /metrics /api/services /api/connections /api/cluster)`);
  print(describeManagement(broker.options));
  // A TCP listener is written host:port, as it always was; the others as URIs.
  print(`rsb broker ${broker.id} listening on ${listeners.map(formatBrokerAddress).join(', ')}`);
  announceReady({ id: broker.id, host, port, uris: listeners.map((listener) => listener.uri), adminPort: admin?.port ?? null } satisfies BrokerReady);
  view.start();
  const signal = await waitForShutdownSignal();
  // Discovery first: it would put this broker back in the list the drain pushes without it.
  discovery?.stop();
  if (signal === 'SIGTERM' && network.drainMs > 0) await drainBroker(broker, network.drainMs, print);
  view.stop();
  print(`rsb broker ${broker.id} stopping on ${signal}`);
  await broker.stop();
  await admin?.stop();
  const final = broker.snapshot();
  print(`rsb broker ${broker.id} stopped after routing ${formatCount(final.requestsRouted)} requests`);
  return final;
}

const NO_NETWORK: NetworkSettings = { advertise: [], peers: [], clusterName: undefined, drainMs: 0 };
/** A drain looks this often whether its connections have gone. */
const DRAIN_POLL_MS = 100;

/** Finds the peers (`--peers`) and keeps the pushed list to them; with HS256 auth the probes carry a token of its own. */
async function startDiscovery(broker: Broker, network: NetworkSettings, log: (line: string) => void): Promise<PeerDiscovery> {
  const auth = broker.options.auth;
  const token = auth?.secret !== undefined ? (await createToken({ secret: auth.secret, sub: `rsb-peer-${broker.id}`, services: [], routes: [BROKER_ROUTES.CLUSTER] })).token : undefined;
  const clusterName = network.clusterName ?? 'peers';
  const discovery = new PeerDiscovery({
    self: broker.describeSelf(),
    sources: network.peers,
    token,
    // Peers on tcps or wss are trusted by the CA this broker was given: a cluster's brokers share one.
    ...(broker.options.tls?.ca ? { tls: { ca: broker.options.tls.ca } } : {}),
    onChange: (brokers) => broker.membership.update({ name: clusterName, brokers }),
    onProblem: log,
  });
  discovery.start();
  return discovery;
}

/**
 * SIGTERM under an orchestrator: readiness off and clients sent to the other brokers
 * first (Broker.drain), then up to `drainMs` for the connections to go, so the broker
 * exits within the pod's grace period with nothing cut that could have moved.
 */
async function drainBroker(broker: Broker, drainMs: number, print: (line: string) => void): Promise<void> {
  print(`rsb broker ${broker.id} draining for up to ${(drainMs / 1000).toFixed(1)} s: /readyz answers 503, clients are sent to the other brokers`);
  broker.drain();
  const deadline = Date.now() + drainMs;
  while (broker.connectionCount > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
  print(`rsb broker ${broker.id} drained: ${broker.connectionCount} connection${broker.connectionCount === 1 ? '' : 's'} left`);
}

/** One line saying what the broker manages beside routing. */
function describeManagement(options: BrokerOptions): string {
  const parts = [`balancing ${options.loadBalancing}`];
  parts.push(options.auth ? `JWT authentication (${options.auth.secret !== undefined ? 'HS256' : 'public key'})` : 'no authentication');
  if (options.circuitBreaker) parts.push(`circuit breakers (${options.circuitBreaker.consecutiveFailures} in a row or ${Math.round(options.circuitBreaker.errorRatio * 100)}% over ${options.circuitBreaker.windowMs / 1000} s)`);
  if (options.requestTimeoutMs > 0) parts.push(`request timeout ${options.requestTimeoutMs} ms`);
  if (Number.isFinite(options.maxInFlightPerInstance)) parts.push(`at most ${options.maxInFlightPerInstance} in flight per instance`);
  const limited = [...options.services.values()].filter((rule) => rule.rateLimit).length + [...options.apps.values()].filter((rule) => rule.rateLimit).length;
  if (limited > 0) parts.push(`${limited} rate limit rule${limited === 1 ? '' : 's'}`);
  if (options.services.size > 0) parts.push(`${options.services.size} service rule${options.services.size === 1 ? '' : 's'}`);
  return parts.join(', ');
}

function describeEvent(event: BrokerEvent): string {
  if (event.kind === 'cluster-changed') {
    const brokers = event.brokers.map((entry) => `${entry.id} ${entry.uris?.[0] ?? `${entry.host}:${entry.port}`}`).join(', ');
    return `cluster ${event.cluster}: ${event.brokers.length} broker${event.brokers.length === 1 ? '' : 's'} (${brokers}), pushed to every client`;
  }
  if (event.kind === 'cluster-file-error') return `! cluster file ignored, keeping the last list: ${event.message}`;
  if (event.kind === 'accept-failed') return `! ${event.uri} could not accept ${event.count === 1 ? 'a connection' : `${formatCount(event.count)} connections`}: ${event.message}; still listening`;
  if (event.kind === 'handshake-failed') return `! ${event.transport} connection from ${event.remoteAddress} closed: ${event.message}`;
  const { session } = event;
  // A connection on TCP is named as before; others say their transport, and mTLS its certificate's subject.
  const how = [session.transport === TRANSPORT.TCP ? '' : ` over ${session.transport}`, session.tlsSubject ? `, certificate ${session.tlsSubject}` : ''].join('');
  const who = `${session.app.name} (${session.remoteAddress}${how})`;
  switch (event.kind) {
    case 'session-ready': {
      const services = event.session.services.map((service) => service.service).join(', ');
      return `+ ${who} connected${services ? `, publishes ${services}` : ''}`;
    }
    case 'session-closed':
      return `- ${who} disconnected${event.error ? `: ${event.error.message}` : ''}`;
    case 'setup-rejected':
      return `! ${event.session.remoteAddress} refused at SETUP: ${event.message}`;
    case 'connection-error':
      return `! ${who} closed with ${event.code !== undefined ? nameErrorCode(event.code) : 'an error'}: ${event.message}`;
    case 'peer-error':
      return `! ${who} sent a connection error: ${event.message}`;
  }
}

/** Measures requests per second between ticks. */
class RateMeter {
  private last = 0;
  private lastAt = Date.now();

  rate(total: number): number {
    const now = Date.now();
    const perSecond = ((total - this.last) * 1000) / Math.max(1, now - this.lastAt);
    this.last = total;
    this.lastAt = now;
    return perSecond;
  }
}
