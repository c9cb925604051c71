/**
 * One role of a benchmark set-up, run as its own process so that requester, broker and
 * service compete for the cores as they would in production. Started by run-bench.ts
 * with `fork`; talks back over the IPC channel.
 *
 *   broker            rsb's broker on a free port; `managed`: with limits, circuit breakers,
 *                     a request timeout and its admin server (metrics) on, as in production
 *   reference-broker  the rsocket-js reference broker on a free port
 *   echo-service      lean echo responder registered on --port
 *   echo-server       lean echo responder accepting requesters directly
 *   requester         closed-loop measurement against --port
 */
import { AdminServer, Broker, DEFAULT_CIRCUIT_BREAKER, LB_STRATEGY, type BrokerOptions } from '../broker/index.js';
import { ECHO_HANDLER, ResponderConnection, ResponderServer } from '../transport/index.js';
import { measureClosedLoop, type ClosedLoopOptions } from './closed-loop.js';
import { ReferenceBroker } from './reference-broker.js';

export type BenchMessage =
  | { kind: 'ready'; port: number; adminPort?: number }
  | { kind: 'result'; result: Awaited<ReturnType<typeof measureClosedLoop>> }
  | { kind: 'cpu'; userUs: number; systemUs: number }
  | { kind: 'failed'; message: string };

export type BenchRole =
  | { role: 'broker'; isManaged?: boolean }
  | { role: 'reference-broker' }
  | { role: 'echo-service'; port: number; settleMs: number }
  | { role: 'echo-server' }
  | ({ role: 'requester' } & ClosedLoopOptions);

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

function send(message: BenchMessage, then?: () => void): void {
  process.send?.(message, undefined, {}, () => then?.());
}

async function main(spec: BenchRole): Promise<void> {
  switch (spec.role) {
    case 'broker': {
      const broker = new Broker({ host: HOST, port: 0, id: 'bench-broker', ...(spec.isManaged ? MANAGED_BROKER : {}) });
      const { port } = await broker.start();
      if (!spec.isManaged) {
        send({ kind: 'ready', port });
        return;
      }
      const admin = new AdminServer(broker, { host: HOST, port: 0 });
      send({ kind: 'ready', port, adminPort: (await admin.start()).port });
      return;
    }
    case 'reference-broker':
      send({ kind: 'ready', port: await new ReferenceBroker().start(HOST, 0) });
      return;
    case 'echo-service':
      await ResponderConnection.connect(
        {
          host: HOST,
          port: spec.port,
          settleMs: spec.settleMs,
          app: { name: 'rsb-bench-echo', uuid: `echo-${process.pid}` },
          services: [{ service: 'bench', group: '', version: '' }],
        },
        ECHO_HANDLER,
      );
      send({ kind: 'ready', port: spec.port });
      return;
    case 'echo-server':
      send({ kind: 'ready', port: (await ResponderServer.listen({ host: HOST, port: 0 }, ECHO_HANDLER)).port });
      return;
    case 'requester':
      send({ kind: 'result', result: await measureClosedLoop(spec) }, () => process.exit(0));
      return;
  }
}

// Reports this process's CPU time on request, so the bench can price a request in CPU.
process.on('message', (message: unknown) => {
  if (message === 'cpu') {
    const usage = process.cpuUsage();
    send({ kind: 'cpu', userUs: usage.user, systemUs: usage.system });
  }
});
process.on('disconnect', () => process.exit(0));

main(JSON.parse(process.argv[2] ?? '{}') as BenchRole).catch((error: unknown) => {
  send({ kind: 'failed', message: error instanceof Error ? error.message : String(error) }, () => process.exit(1));
});
