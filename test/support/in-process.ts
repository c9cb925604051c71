import { afterEach } from 'vitest';
import { AdminServer, Broker, type BrokerEvent, type BrokerOptions } from '../../src/broker/index.js';

/**
 * Brokers and peers started in the test process, on 127.0.0.1 with free ports, each
 * stopped after its test: `const { startBroker, own } = useInProcessBrokers()` in a
 * describe block, then `own(thing, stop)` for anything else a test starts.
 */
export function useInProcessBrokers(): {
  startBroker(options?: Partial<BrokerOptions>, onEvent?: (event: BrokerEvent) => void): Promise<Broker>;
  startAdmin(broker: Broker): Promise<AdminServer>;
  own<T>(thing: T, stop: (thing: T) => unknown): T;
} {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  const own = <T,>(thing: T, stop: (thing: T) => unknown): T => {
    cleanups.push(() => stop(thing));
    return thing;
  };
  return {
    own,
    async startBroker(options = {}, onEvent) {
      const broker = new Broker({ port: 0, id: 'test', ...options }, onEvent);
      await broker.start();
      return own(broker, (started) => started.stop());
    },
    async startAdmin(broker) {
      const admin = new AdminServer(broker, { host: '127.0.0.1', port: 0 });
      await admin.start();
      return own(admin, (started) => started.stop());
    },
  };
}
