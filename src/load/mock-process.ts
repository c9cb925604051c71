/**
 * A lean echo service for the self-started topology of `rsb load`, run as its own process
 * (forked, talks back over IPC): registers `service` on every broker given, redials a
 * broker that goes away (so that a restarted broker gets its instance back), and with
 * `listen` also accepts direct connections for the no-broker baseline. Exits when its
 * parent goes, so nothing outlives the load run.
 *
 * Interim: stands in for `rsb mock` (issue 3) until it can be spawned instead.
 */
import { ECHO_HANDLER, ResponderConnection, ResponderServer } from '../transport/index.js';

export interface MockProcessSpec {
  service: string;
  name: string;
  brokers: { host: string; port: number }[];
  listen: boolean;
}

export type MockProcessMessage = { kind: 'ready'; directPort: number } | { kind: 'failed'; message: string };

const HOST = '127.0.0.1';

async function register(spec: MockProcessSpec, broker: { host: string; port: number }, isFirst: boolean): Promise<void> {
  for (let delay = 100; ; delay = Math.min(1_000, delay * 2)) {
    try {
      const connection = await ResponderConnection.connect(
        { host: broker.host, port: broker.port, app: { name: spec.name, uuid: `${spec.name}-${process.pid}` }, services: [{ service: spec.service, group: '', version: '' }] },
        ECHO_HANDLER,
      );
      void connection.peer.closed.then(() => register(spec, broker, false));
      return;
    } catch (error) {
      if (isFirst) throw error;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

async function main(spec: MockProcessSpec): Promise<void> {
  await Promise.all(spec.brokers.map((broker) => register(spec, broker, true)));
  const server = spec.listen ? await ResponderServer.listen({ host: HOST, port: 0 }, ECHO_HANDLER) : undefined;
  process.send?.({ kind: 'ready', directPort: server?.port ?? 0 } satisfies MockProcessMessage);
}

process.on('disconnect', () => process.exit(0));
main(JSON.parse(process.argv[2] ?? '{}') as MockProcessSpec).catch((error: unknown) => {
  process.send?.({ kind: 'failed', message: error instanceof Error ? error.message : String(error) } satisfies MockProcessMessage, () => process.exit(1));
});
