import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { ListenError } from '../errors.js';
import { createBrokerMetrics } from './metrics.js';
import type { AdminSource } from './readout.js';

export interface AdminServerOptions {
  host: string;
  port: number;
}

/** One broker as `/api/cluster` lists it. */
export interface ClusterMember {
  id: string;
  host: string;
  port: number;
  adminPort?: number;
  /** The addresses it advertises, one URI per listener. */
  uris?: string[];
  /** This broker (the one answering). */
  isSelf: boolean;
}

export interface ClusterView {
  /** The cluster's name; absent when the broker was started on its own. */
  name?: string;
  brokers: ClusterMember[];
}

/**
 * The broker's admin HTTP API, loopback by default:
 *
 *   GET /healthz          200 while the process runs
 *   GET /readyz           200 while the broker accepts connections, 503 once it drains or stops
 *   GET /metrics          Prometheus text (prom-client)
 *   GET /api/broker       the broker's figures (the snapshot of rsb.broker.health)
 *   GET /api/services     services, their policies, traffic by method and outcome, instances with their circuits
 *                         (services requested but without instances included)
 *   GET /api/connections  connections past SETUP
 *   GET /api/cluster      the brokers of its cluster
 */
export class AdminServer {
  private readonly server: Server;
  private readonly metrics: Registry;
  private boundPort = 0;

  constructor(
    private readonly broker: AdminSource,
    private readonly options: AdminServerOptions,
  ) {
    this.metrics = createBrokerMetrics(broker);
    this.server = createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => this.send(response, 500, { error: error instanceof Error ? error.message : String(error) }));
    });
  }

  get port(): number {
    return this.boundPort;
  }

  get url(): string {
    return `http://${this.options.host}:${this.boundPort}`;
  }

  async start(): Promise<{ host: string; port: number }> {
    await new Promise<void>((resolve, reject) => {
      const onListenError = (error: NodeJS.ErrnoException): void => {
        const hint = error.code === 'EADDRINUSE' ? 'Another process listens there: pick another --admin-port, or turn the admin server off with --no-admin.' : undefined;
        reject(new ListenError(`admin server cannot listen on ${this.options.host}:${this.options.port}: ${error.code ?? error.message}`, hint, { cause: error }));
      };
      this.server.once('error', onListenError);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', onListenError);
        resolve();
      });
    });
    // Once listening, a failed accept (out of file descriptors) is the server's 'error': with
    // no listener it would end the broker. The client of that request sees its connection
    // refused, and the broker's own listeners report the shortage.
    this.server.on('error', () => {});
    const address = this.server.address();
    this.boundPort = typeof address === 'object' && address ? address.port : this.options.port;
    return { host: this.options.host, port: this.boundPort };
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  /** The brokers of the cluster as this broker knows them (its cluster file, see ClusterMembership); itself alone when it has none. */
  clusterView(): ClusterView {
    const cluster = this.broker.membership.cluster;
    const advertised = this.broker.describeSelf();
    const self: ClusterMember = { id: this.broker.id, host: advertised.host, port: advertised.port, ...(advertised.uris ? { uris: advertised.uris } : {}), adminPort: this.boundPort, isSelf: true };
    if (!cluster) return { brokers: [self] };
    return {
      name: cluster.name,
      brokers: cluster.brokers.map((member) =>
        member.id === self.id
          ? self
          : { id: member.id, host: member.host, port: member.port, ...(member.uris ? { uris: member.uris } : {}), ...(member.adminPort ? { adminPort: member.adminPort } : {}), isSelf: false },
      ),
    };
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('allow', 'GET, HEAD');
      this.send(response, 405, { error: `${request.method} is not allowed: the admin API is read-only` });
      return;
    }
    const path = (request.url ?? '/').split('?')[0];
    switch (path) {
      case '/healthz':
        this.send(response, 200, { status: 'up', broker: this.broker.id, uptimeMs: Date.now() - this.broker.startedAt });
        return;
      case '/readyz':
        this.send(response, this.broker.isReady ? 200 : 503, { status: this.broker.isReady ? 'ready' : 'stopping', broker: this.broker.id });
        return;
      case '/metrics': {
        const text = await this.metrics.metrics();
        response.writeHead(200, { 'content-type': this.metrics.contentType });
        response.end(text);
        return;
      }
      case '/api/broker':
        this.send(response, 200, { ...this.broker.snapshot(), adminPort: this.boundPort });
        return;
      case '/api/services':
        this.send(response, 200, { broker: this.broker.id, services: this.broker.registry.list({ isIncludingIdle: true }) });
        return;
      case '/api/connections':
        this.send(response, 200, { broker: this.broker.id, connections: this.broker.listConnections() });
        return;
      case '/api/cluster':
        this.send(response, 200, this.clusterView());
        return;
      default:
        this.send(response, 404, { error: `no such path ${path}`, paths: ['/healthz', '/readyz', '/metrics', '/api/broker', '/api/services', '/api/connections', '/api/cluster'] });
    }
  }

  private send(response: ServerResponse, status: number, body: unknown): void {
    response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    response.end(`${JSON.stringify(body, null, 2)}\n`);
  }
}
