/**
 * One role of a benchmark set-up, run as its own process so that requester, broker and
 * service compete for the cores as they would in production. Started by run-bench.ts
 * with src/process's launcher; says it is ready on the ready channel (`announceReady`).
 *
 *   broker            rsb's broker on a free port; `managed`: with limits, circuit breakers,
 *                     a request timeout and its admin server (metrics) on, as in production;
 *                     `on`: also listening on tcps or ws, for the rsb-tls and rsb-ws set-ups
 *   reference-broker  the rsocket-js reference broker on a free port
 *   echo-service      lean echo responder registered on --port
 *   echo-server       lean echo responder accepting requesters directly
 *   nats-echo-service NATS echo subscriber on the nats-server at --port
 *   requester         closed-loop measurement against --port (RSocket or NATS)
 *   rate-requester    open-loop measurement at a fixed rate through rsb load's generator
 */
import { announceFailure, announceReady, exitWithParent } from '../process/index.js';
import { AdminServer, Broker, DEFAULT_CIRCUIT_BREAKER, LB_STRATEGY, TLS_CLIENT_AUTH, type BrokerOptions } from '../broker/index.js';
import { TRANSPORT, type TransportEndpoint } from '../protocol/index.js';
import { ECHO_HANDLER, ResponderConnection, ResponderServer } from '../transport/index.js';
import { measureClosedLoop, type ClosedLoopOptions } from './closed-loop.js';
import { NatsConnection, NatsEchoService } from './nats-connection.js';
import { measureOpenLoop, type OpenLoopOptions } from './open-loop.js';
import { ReferenceBroker } from './reference-broker.js';

/** What a server role reports once it listens (or, for the echo service, is registered). */
export interface ServerReady {
  port: number;
  /** A broker's listener on the set-up's other transport (tcps, ws), when it has one. */
  endpoint?: TransportEndpoint;
  /** The managed broker's admin port (its metrics); null for the others. */
  adminPort: number | null;
}

/** What the requester reports once it has measured. */
export interface RequesterReport {
  result: Awaited<ReturnType<typeof measureClosedLoop>>;
}

/** What the rate requester reports once it has measured. */
export interface RateRequesterReport {
  result: Awaited<ReturnType<typeof measureOpenLoop>>;
}

/** A bench broker's second listener, and what the ends on it need: the certificate (PEM) on tcps. */
export interface BenchTransport {
  transport: typeof TRANSPORT.TCPS | typeof TRANSPORT.WS;
  tls?: { cert: string; key: string; ca: string };
}

export type BenchRole =
  | { role: 'broker'; isManaged?: boolean; on?: BenchTransport }
  | { role: 'reference-broker' }
  | { role: 'echo-service'; port: number; settleMs: number; endpoint?: TransportEndpoint; tlsCa?: string }
  | { role: 'echo-server' }
  | { role: 'nats-echo-service'; port: number }
  | ({ role: 'requester' } & ClosedLoopOptions)
  | ({ role: 'rate-requester' } & OpenLoopOptions);

const HOST = '127.0.0.1';

/**
 * The managed broker of the bench: every management function on the data path, with
 * limits set high enough never to refuse, so that only their cost shows.
 */
const NEVER_LIMITING = { requestsPerSecond: 1e9, burst: 1e6 };
const MANAGED_BROKER: Partial<BrokerOptions> = {
  loadBalancing: LB_STRATEGY.ROUND_ROBIN,
  maxInFlightPerInstance: 1_000_000,
  requestTimeoutMs: 30_000,
  circuitBreaker: DEFAULT_CIRCUIT_BREAKER,
  services: new Map([['bench', { rateLimit: NEVER_LIMITING }]]),
  apps: new Map([['*', { rateLimit: NEVER_LIMITING }]]),
};

/** A TCP listener (for the rest of the bench) and one on the set-up's transport. */
function listenAlsoOn(on: BenchTransport): Partial<BrokerOptions> {
  return {
    listen: [
      { transport: TRANSPORT.TCP, host: HOST, port: 0 },
      { transport: on.transport, host: HOST, port: 0, ...(on.transport === TRANSPORT.WS ? { path: '/rsocket' } : {}) },
    ],
    ...(on.tls ? { tls: { cert: Buffer.from(on.tls.cert), key: Buffer.from(on.tls.key), clientAuth: TLS_CLIENT_AUTH.NONE } } : {}),
  };
}

function announceServer(ready: ServerReady): void {
  announceReady(ready);
}

async function main(spec: BenchRole): Promise<void> {
  switch (spec.role) {
    case 'broker': {
      const broker = new Broker({ host: HOST, port: 0, id: 'bench-broker', ...(spec.isManaged ? MANAGED_BROKER : {}), ...(spec.on ? listenAlsoOn(spec.on) : {}) });
      const { port, listeners } = await broker.start();
      if (!spec.isManaged) {
        const other = listeners.find((listener) => listener.transport === spec.on?.transport);
        announceServer({ port, adminPort: null, ...(other ? { endpoint: { transport: other.transport, host: other.host, port: other.port, ...(other.path ? { path: other.path } : {}) } } : {}) });
        return;
      }
      const admin = new AdminServer(broker, { host: HOST, port: 0 });
      announceServer({ port, adminPort: (await admin.start()).port });
      return;
    }
    case 'reference-broker':
      announceServer({ port: await new ReferenceBroker().start(HOST, 0), adminPort: null });
      return;
    case 'echo-service':
      await ResponderConnection.connect(
        {
          host: HOST,
          port: spec.port,
          ...spec.endpoint,
          ...(spec.tlsCa ? { tls: { ca: Buffer.from(spec.tlsCa) } } : {}),
          settleMs: spec.settleMs,
          app: { name: 'rsb-bench-echo', uuid: `echo-${process.pid}` },
          services: [{ service: 'bench', group: '', version: '' }],
        },
        ECHO_HANDLER,
      );
      announceServer({ port: spec.port, adminPort: null });
      return;
    case 'echo-server':
      announceServer({ port: (await ResponderServer.listen({ host: HOST, port: 0 }, ECHO_HANDLER)).port, adminPort: null });
      return;
    case 'nats-echo-service': {
      const connection = await NatsConnection.connect(HOST, spec.port, 'rsb-bench-echo');
      new NatsEchoService(connection);
      // The SUB must have reached the server before a requester publishes: a PING answered proves it.
      await connection.ping();
      announceServer({ port: spec.port, adminPort: null });
      return;
    }
    case 'requester':
      announceReady({ result: await measureClosedLoop(spec) } satisfies RequesterReport);
      process.exit(0);
      return;
    case 'rate-requester':
      announceReady({ result: await measureOpenLoop(spec) } satisfies RateRequesterReport);
      process.exit(0);
      return;
  }
}

// A role has no reason to outlive the bench, however the bench ends.
exitWithParent();

main(JSON.parse(process.argv[2] ?? '{}') as BenchRole).catch((error: unknown) => {
  announceFailure(error instanceof Error ? error : new Error(String(error)));
  process.exit(1);
});
