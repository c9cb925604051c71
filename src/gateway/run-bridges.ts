import type { TlsClientOptions } from '../transport/index.js';
import { waitForShutdownSignal } from '../cli/output.js';
import { formatCount } from '../cli/format.js';
import type { BrokerSource } from '../client/index.js';
import { connect, type RsbClient } from '../sdk/index.js';
import { createLiveView, type BridgeStatusProps } from '../ui/index.js';
import { GatewayServer, type GatewayServerOptions } from './gateway-server.js';
import { HttpProxy, type HttpProxyOptions } from './http-proxy.js';

interface BridgeRunOptions {
  brokers: BrokerSource[];
  /** Instead of `brokers`: every broker of this cluster (`rsb cluster up`), from its state file in `stateDir`. */
  cluster?: string | undefined;
  stateDir?: string | undefined;
  token?: string | undefined;
  /** tcps and wss brokers: what to trust and show (resolveBrokerTls). */
  tls?: TlsClientOptions | undefined;
  isInteractive: boolean;
  print: (line: string) => void;
  /** Resolves with the reason to stop; default: SIGINT or SIGTERM. */
  until?: Promise<string>;
}

export interface GatewayReport {
  url: string;
  brokers: string[];
  requests: number;
  byStatus: Record<number, number>;
  stoppedBy: string;
}

export interface ProxyReport {
  service: string;
  target: string;
  brokers: string[];
  requests: number;
  failures: number;
  stoppedBy: string;
}

const PLAIN_INTERVAL_MS = 10_000;

/** The one call behind `rsb gateway`: an HTTP server in front of the brokers until SIGINT/SIGTERM. */
export async function runGateway(options: BridgeRunOptions & Omit<GatewayServerOptions, 'defaultResponseMime'>): Promise<GatewayReport> {
  const client = await connect({ ...brokerTarget(options), app: 'rsb-gateway', token: options.token, timeoutMs: options.timeoutMs });
  const gateway = new GatewayServer(client, { ...options, defaultResponseMime: 'application/octet-stream' });
  let url: string;
  try {
    const { host, port } = await gateway.listen();
    url = `http://${host}:${port}`;
  } catch (error) {
    await client.close();
    throw error;
  }
  const brokers = client.brokers.map((broker) => broker.name);
  options.print(`rsb gateway listening on ${url} for brokers ${brokers.join(', ')}`);
  const stoppedBy = await runLiveView(options, client, {
    title: 'gateway',
    where: url,
    total: () => gateway.stats.requests,
    outcomes: () =>
      Object.entries(gateway.stats.byStatus).map(([status, count]) => ({ label: `HTTP ${status}`, count, isError: Number(status) >= 400 })),
  });
  options.print(`rsb gateway stopping on ${stoppedBy}`);
  await gateway.close();
  await client.close();
  options.print(`rsb gateway stopped after ${formatCount(gateway.stats.requests)} requests`);
  return { url, brokers, requests: gateway.stats.requests, byStatus: { ...gateway.stats.byStatus }, stoppedBy };
}

/** The one call behind `rsb proxy`: registers a service on the brokers and answers it from an HTTP backend. */
export async function runProxy(options: BridgeRunOptions & HttpProxyOptions): Promise<ProxyReport> {
  const proxy = new HttpProxy(options);
  let client: RsbClient;
  try {
    client = await connect({ ...brokerTarget(options), app: `rsb-proxy-${options.service}`, token: options.token, services: proxy.handlers() });
  } catch (error) {
    await proxy.close();
    throw error;
  }
  const brokers = client.brokers.map((broker) => broker.name);
  options.print(`rsb proxy ${options.service} ready: ${options.service}.* → POST ${options.target}/{method}, registered on ${brokers.join(', ')}`);
  const stoppedBy = await runLiveView(options, client, {
    title: `proxy ${options.service}`,
    where: `→ ${options.target}`,
    total: () => proxy.stats.requests,
    outcomes: () => [{ label: 'failed', count: proxy.stats.failures, isError: true }],
  });
  options.print(`rsb proxy ${options.service} stopping on ${stoppedBy}`);
  await client.close();
  await proxy.close();
  options.print(`rsb proxy ${options.service} stopped after ${formatCount(proxy.stats.requests)} requests, ${formatCount(proxy.stats.failures)} failed`);
  return { service: options.service, target: options.target, brokers, requests: proxy.stats.requests, failures: proxy.stats.failures, stoppedBy };
}

/** A cluster by name, else the brokers given (and, through their pushed list, the rest of their cluster). */
function brokerTarget(options: BridgeRunOptions): ({ cluster: string; stateDir?: string | undefined } | { brokers: BrokerSource[] }) & { tls?: TlsClientOptions } {
  const tls = options.tls ? { tls: options.tls } : {};
  return options.cluster !== undefined ? { cluster: options.cluster, stateDir: options.stateDir, ...tls } : { brokers: options.brokers, ...tls };
}

/** Shows the figures (Ink or plain lines) until it is time to stop; returns why. */
async function runLiveView(
  options: BridgeRunOptions,
  client: RsbClient,
  figures: { title: string; where: string; total: () => number; outcomes: () => BridgeStatusProps['outcomes'] },
): Promise<string> {
  let last = 0;
  let lastAt = Date.now();
  const rate = (): number => {
    const now = Date.now();
    const total = figures.total();
    const perSecond = ((total - last) * 1000) / Math.max(1, now - lastAt);
    last = total;
    lastAt = now;
    return perSecond;
  };
  let lastPlainTotal = 0;
  const view = await createLiveView({
    isInteractive: options.isInteractive,
    print: options.print,
    plainIntervalMs: PLAIN_INTERVAL_MS,
    plainLine: () => {
      const total = figures.total();
      if (total === lastPlainTotal) return undefined;
      lastPlainTotal = total;
      const outcomes = figures.outcomes().map((outcome) => `${outcome.label} ${formatCount(outcome.count)}`);
      return `brokers ${client.connectedBrokers.length}/${client.brokers.length}, ${formatCount(rate())} requests/s, ${formatCount(total)} requests${outcomes.length ? `: ${outcomes.join(', ')}` : ''}`;
    },
    view: 'BridgeStatus',
    props: () => ({
      title: figures.title,
      where: figures.where,
      brokersConnected: client.connectedBrokers.length,
      brokers: client.brokers.length,
      requests: figures.total(),
      requestsPerSecond: rate(),
      outcomes: figures.outcomes(),
    }),
  });
  view.start();
  const stoppedBy = await (options.until ?? waitForShutdownSignal());
  view.stop();
  return stoppedBy;
}
