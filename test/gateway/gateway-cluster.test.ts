import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { BrokerSnapshot } from '../../src/broker/index.js';
import { queryBroker } from '../../src/client/index.js';
import type { StartClusterResult } from '../../src/cluster/index.js';
import { BROKER_ROUTES } from '../../src/protocol/index.js';
import { killClusterProcesses, makeStateDir, runCluster } from '../support/cluster.js';
import { RsbProcess } from '../support/processes.js';

describe('rsb gateway on a cluster', () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('spreads HTTP requests over every broker of the cluster, like any SDK client', async () => {
    const { dir, remove } = makeStateDir();
    cleanups.push(remove, () => killClusterProcesses(path.join(dir, 'default.json')));
    const up = await runCluster(dir, ['cluster', 'up', '-n', '2', '--base-port', '0', '--json']);
    expect(up.code, up.stderr).toBe(0);
    cleanups.push(() => runCluster(dir, ['cluster', 'down']));
    const { state } = JSON.parse(up.stdout) as StartClusterResult;
    const mock = new RsbProcess(['mock', 'svc', '--cluster', 'default', '--state-dir', dir]);
    const gateway = new RsbProcess(['gateway', '--port', '0', '--cluster', 'default', '--state-dir', dir]);
    cleanups.push(() => mock.stop(), () => gateway.stop());
    await mock.waitForOutput(/ready: 1 instance on 127\.0\.0\.1:\d+, 127\.0\.0\.1:\d+/);
    const url = (await gateway.waitForOutput(/listening on (http:\/\/[\d.]+:\d+)/))[1]!;

    for (let i = 0; i < 20; i++) {
      const response = await fetch(`${url}/svc/echo`, { method: 'POST', body: `n${i}` });
      expect(response.status).toBe(200);
      expect(await response.text()).toBe(`n${i}`);
    }
    const routed = await Promise.all(
      state.brokers.map(async (broker) => (await queryBroker<BrokerSnapshot>({ host: broker.host, port: broker.port }, BROKER_ROUTES.HEALTH)).requestsRouted),
    );
    expect(routed.every((count) => count >= 5), `requests routed per broker: ${routed.join(', ')}`).toBe(true);
  }, 60_000);
});
