import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServiceSummary } from '../../src/broker/index.js';
import type { ServicesReport } from '../../src/call/index.js';
import { createLeanPool, queryBroker, resolveBrokers, type ClusterState } from '../../src/client/index.js';
import type { ClusterStatusReport, StartClusterResult, StopClusterResult } from '../../src/cluster/index.js';
import { ConnectionPool } from '../../src/load/connection-pool.js';
import { isProcessRunning } from '../../src/process/index.js';
import { BROKER_ROUTES, ERROR_CODE } from '../../src/protocol/index.js';
import { LeanRequester } from '../../src/transport/index.js';
import { call, countLiveConnections, PROMISE_OBSERVER, sendRoundRobin, type CallOutcome, type PendingCall } from '../support/lean-calls.js';
import { killClusterProcesses, makeStateDir, processesWithClusterFile, runCluster } from '../support/cluster.js';
import { RsbProcess } from '../support/processes.js';
import { waitFor } from '../support/wait.js';

const HOST = '127.0.0.1';

async function instancesOn(port: number, key: string): Promise<number> {
  const answer = await queryBroker<{ services: ServiceSummary[] }>({ host: HOST, port }, BROKER_ROUTES.SERVICES);
  return answer.services.find((entry) => entry.key === key)?.instances.length ?? 0;
}

describe('rsb cluster, end to end with real broker processes', () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  function stateDir(): string {
    const { dir, remove } = makeStateDir();
    cleanups.push(remove);
    return dir;
  }

  /** Whatever the test's outcome, no broker of these clusters outlives it. */
  function guard(dir: string, ...names: string[]): void {
    cleanups.push(() => {
      for (const name of names) killClusterProcesses(path.join(dir, `${name}.json`));
    });
  }

  it('runs three brokers that a mock joins through one address and that keep answering when one is killed with SIGKILL', async () => {
    const dir = stateDir();
    guard(dir, 'default');
    const up = await runCluster(dir, ['cluster', 'up', '-n', '3', '--base-port', '0', '--json']);
    expect(up.code, up.stderr).toBe(0);
    const { state, stateFile } = JSON.parse(up.stdout) as StartClusterResult;
    expect(state.brokers.map((broker) => broker.id)).toEqual(['default-1', 'default-2', 'default-3']);
    expect(state.brokers.every((broker) => isProcessRunning(broker.pid))).toBe(true);
    expect(JSON.parse(readFileSync(stateFile, 'utf8'))).toEqual(state);

    // `rsb mock` given one address registers on all three: `rsb services` on each shows it.
    const mock = new RsbProcess(['mock', 'svc', '--broker', `${HOST}:${state.brokers[0]!.port}`]);
    cleanups.push(() => mock.stop());
    await mock.waitForOutput(/rsb mock svc ready: 1 instance on /, 20_000);
    for (const broker of state.brokers) {
      const services = await runCluster(dir, ['services', '--broker', `${HOST}:${broker.port}`, '--json']);
      expect(services.code, services.stderr).toBe(0);
      const report = JSON.parse(services.stdout) as ServicesReport;
      expect(report.brokers.map((entry) => ({ broker: entry.broker, keys: entry.services.map((service) => service.key) })), broker.id).toEqual([{ broker: broker.id, keys: ['svc'] }]);
    }

    // `rsb call` through each broker succeeds.
    for (const broker of state.brokers) {
      const answer = await runCluster(dir, ['call', 'svc.echo', '-d', broker.id, '--broker', `${HOST}:${broker.port}`]);
      expect({ code: answer.code, stdout: answer.stdout }, answer.stderr).toEqual({ code: 0, stdout: `${broker.id}\n` });
    }

    // The load engine's requesters on the whole cluster (--cluster default) keep going through a SIGKILL.
    const targets = resolveBrokers({ cluster: 'default', stateDir: dir }).map((address) => ({ ...address, name: address.id! }));
    const pool = new ConnectionPool<PendingCall>(targets, 1, PROMISE_OBSERVER, 'rsb-cluster-test');
    await pool.open();
    cleanups.push(() => pool.close());
    const requester = sendRoundRobin(pool, PROMISE_OBSERVER);
    expect(countLiveConnections(pool)).toBe(3);
    const victim = state.brokers[1]!;
    const outcomes: CallOutcome[] = [];
    const worker = async (): Promise<void> => {
      for (let i = 0; i < 50; i++) {
        outcomes.push(await call(requester, 'svc.echo', 'x'));
        if (outcomes.length === 100) process.kill(victim.pid, 'SIGKILL');
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    expect(outcomes).toHaveLength(400);
    const failures = outcomes.filter((outcome) => outcome.data !== 'x');
    // Only the requests in flight on the killed broker failed (8 workers: at most 8), and they failed, not hung.
    expect(failures.length).toBeLessThanOrEqual(8);
    for (const failure of failures) expect(failure.code).toBe(ERROR_CODE.CONNECTION_ERROR);
    expect(outcomes.slice(-200).every((outcome) => outcome.data === 'x')).toBe(true);
    expect(countLiveConnections(pool)).toBe(2);

    // status: the killed broker is down, the others up with their figures.
    const status = await runCluster(dir, ['cluster', 'status', '--json']);
    expect(status.code, status.stderr).toBe(0);
    const report = JSON.parse(status.stdout) as ClusterStatusReport;
    expect(report.brokers.map((broker) => broker.state)).toEqual(['up', 'down', 'up']);
    expect(report.brokers[0]!.health).toMatchObject({ id: 'default-1', instances: 1 });
    const plainStatus = await runCluster(dir, ['cluster', 'status']);
    expect(plainStatus.stdout).toMatch(/cluster default: 2\/3 brokers up/);
    expect(plainStatus.stdout).toMatch(/default-2 down: pid \d+ no longer runs this broker/);

    // `rsb call --cluster` still succeeds, through a live broker.
    const afterKill = await runCluster(dir, ['call', 'svc.echo', '-d', 'still', '--cluster', 'default']);
    expect({ code: afterKill.code, stdout: afterKill.stdout }, afterKill.stderr).toEqual({ code: 0, stdout: 'still\n' });

    // up again starts the dead broker on its port; the mock and the requester come back to it.
    const again = await runCluster(dir, ['cluster', 'up', '--json']);
    expect(again.code, again.stderr).toBe(0);
    const converged = JSON.parse(again.stdout) as StartClusterResult;
    expect({ restarted: converged.restarted, kept: converged.kept, started: converged.started }).toEqual({ restarted: ['default-2'], kept: ['default-1', 'default-3'], started: [] });
    expect(converged.state.brokers[1]!.port).toBe(victim.port);
    await waitFor(async () => (await instancesOn(victim.port, 'svc')) === 1, 'the mock to register again on the restarted broker', 10_000);
    await mock.waitForOutput(/\+ back on default-2 \(127\.0\.0\.1:\d+\): 1 instance registered again after \d+s\n/);
    await waitFor(() => countLiveConnections(pool) === 3, 'the requesters to reconnect to the restarted broker', 8_000);

    // down stops every process and removes the state; a second down has nothing to do.
    const pids = converged.state.brokers.map((broker) => broker.pid);
    const down = await runCluster(dir, ['cluster', 'down', '--json']);
    expect(down.code, down.stderr).toBe(0);
    expect((JSON.parse(down.stdout) as StopClusterResult).brokers.map((broker) => broker.outcome)).toEqual(['stopped', 'stopped', 'stopped']);
    expect(pids.filter((pid) => isProcessRunning(pid))).toEqual([]);
    expect(processesWithClusterFile(stateFile)).toEqual([]);
    const list = await runCluster(dir, ['cluster', '--json']);
    expect(JSON.parse(list.stdout).clusters).toEqual([]);
    const downAgain = await runCluster(dir, ['cluster', 'down']);
    expect(downAgain.code).toBe(0);
    expect(downAgain.stdout).toContain('nothing to stop');
  }, 120_000);

  it('runs a second cluster under another name beside the first, and lists both', async () => {
    const dir = stateDir();
    guard(dir, 'default', 'second');
    const first = await runCluster(dir, ['cluster', 'up', '-n', '1', '--port', '0']);
    expect(first.code, first.stderr).toBe(0);
    const second = await runCluster(dir, ['cluster', 'up', '-n', '2', '--base-port', '0', '--name', 'second']);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/cluster second: 2 brokers up \(started second-1, second-2\)/);
    const list = await runCluster(dir, ['cluster', '--json']);
    const clusters = (JSON.parse(list.stdout) as { clusters: { name: string; running: number; brokers: number }[] }).clusters;
    expect(clusters.map(({ name, running, brokers }) => ({ name, running, brokers }))).toEqual([
      { name: 'default', running: 1, brokers: 1 },
      { name: 'second', running: 2, brokers: 2 },
    ]);
    // Each cluster's brokers push their own list.
    const secondState = JSON.parse(readFileSync(path.join(dir, 'second.json'), 'utf8')) as ClusterState;
    const pool = createLeanPool({ brokers: [{ host: HOST, port: secondState.brokers[0]!.port }] }, (peer) => new LeanRequester<PendingCall>(peer, PROMISE_OBSERVER));
    await pool.start();
    expect(pool.cluster).toBe('second');
    expect(pool.liveLinks()).toHaveLength(2);
    await pool.close();
    // rsb services --cluster asks every broker of the named cluster, and only those.
    const services = await runCluster(dir, ['services', '--cluster', 'second', '--json']);
    expect(services.code, services.stderr).toBe(0);
    expect((JSON.parse(services.stdout) as ServicesReport).brokers.map((entry) => entry.broker)).toEqual(['second-1', 'second-2']);
    expect((await runCluster(dir, ['cluster', 'down', '--name', 'second'])).code).toBe(0);
    const status = await runCluster(dir, ['cluster', 'status', '--json']);
    expect((JSON.parse(status.stdout) as ClusterStatusReport).brokers.map((broker) => broker.state)).toEqual(['up']);
    expect((await runCluster(dir, ['cluster', 'down'])).code).toBe(0);
    expect(processesWithClusterFile(path.join(dir, 'default.json'))).toEqual([]);
  }, 90_000);

  it('runs a TLS cluster on tcps only, whose CA clients given --cluster trust with no flag, and a broker address needs', async () => {
    const dir = stateDir();
    guard(dir, 'secure');
    const up = await runCluster(dir, ['cluster', 'up', '-n', '2', '--base-port', '0', '--tls', '--name', 'secure', '--json']);
    expect(up.code, up.stderr).toBe(0);
    const { state } = JSON.parse(up.stdout) as StartClusterResult;
    expect(state.brokers.map((broker) => broker.uris)).toEqual(state.brokers.map((broker) => [`tcps://${HOST}:${broker.port}`]));
    expect(state.tls?.ca).toBe(path.join(dir, 'secure', 'tls', 'ca.pem'));
    const mock = new RsbProcess(['mock', 'svc', '--cluster', 'secure', '--state-dir', dir]);
    cleanups.push(() => mock.stop());
    await mock.waitForOutput(new RegExp(`rsb mock svc ready: 1 instance on ${state.brokers.map((broker) => `tcps://${HOST}:${broker.port}`).join(', ')}`), 20_000);
    expect(await runCluster(dir, ['call', 'svc.echo', '-d', 'over tls', '--cluster', 'secure'])).toMatchObject({ code: 0, stdout: 'over tls\n' });
    const address = state.brokers[1]!.uris![0]!;
    const untrusted = await runCluster(dir, ['call', 'svc.echo', '-d', 'x', '--broker', address]);
    expect(untrusted.code).toBe(7);
    expect(await runCluster(dir, ['call', 'svc.echo', '-d', 'trusted', '--broker', address, '--tls-ca', state.tls!.ca])).toMatchObject({ code: 0, stdout: 'trusted\n' });
    const status = await runCluster(dir, ['cluster', 'status', '--name', 'secure', '--json']);
    expect((JSON.parse(status.stdout) as ClusterStatusReport).brokers.map((broker) => broker.state)).toEqual(['up', 'up']);
    expect((await runCluster(dir, ['cluster', 'down', '--name', 'secure'])).code).toBe(0);
  }, 90_000);

  it('names the port in use, prints the end of the broker\'s log, and leaves no broker behind', async () => {
    const dir = stateDir();
    guard(dir, 'default');
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, HOST, resolve));
    cleanups.push(() => new Promise((resolve) => blocker.close(resolve)));
    const port = (blocker.address() as { port: number }).port;
    // The first broker hits the taken port; the second starts, and must be stopped again.
    const up = await runCluster(dir, ['cluster', 'up', '-n', '2', '--base-port', String(port)]);
    expect(up.code).toBe(1);
    expect(up.stderr).toContain(`broker default-1 could not listen on ${HOST}:${port}: the port is in use`);
    expect(up.stderr).toMatch(/the end of its log:\n {2}\| rsb: cannot listen on/);
    expect(processesWithClusterFile(path.join(dir, 'default.json'))).toEqual([]);
    const status = await runCluster(dir, ['cluster', 'status']);
    expect(status.code).toBe(2);
    expect(status.stderr).toContain('no cluster named default');
  }, 60_000);

  it('stops the brokers it already started when interrupted while starting', async () => {
    const dir = stateDir();
    guard(dir, 'default');
    const up = new RsbProcess(['cluster', 'up', '-n', '2', '--base-port', '0', '--state-dir', dir]);
    cleanups.push(() => up.stop('SIGKILL'));
    const deadline = Date.now() + 20_000;
    while (!up.stderr.includes('starting broker default-2')) {
      if (Date.now() > deadline) throw new Error(`no progress line:\n${up.stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    up.child.kill('SIGINT');
    expect(await up.exited).toBe(1);
    expect(up.stderr).toContain('interrupted while');
    expect(processesWithClusterFile(path.join(dir, 'default.json'))).toEqual([]);
    expect(existsSync(path.join(dir, 'default.json'))).toBe(false);
  }, 60_000);

  it('stays attached with --foreground and stops every broker on SIGINT', async () => {
    const dir = stateDir();
    guard(dir, 'live');
    const foreground = new RsbProcess(['cluster', 'up', '-n', '2', '--base-port', '0', '--name', 'live', '--foreground', '--state-dir', dir]);
    cleanups.push(() => foreground.stop('SIGKILL'));
    await foreground.waitForOutput(/cluster live: 2 brokers up/, 40_000);
    const state = JSON.parse(readFileSync(path.join(dir, 'live.json'), 'utf8')) as ClusterState;
    foreground.child.kill('SIGINT');
    expect(await foreground.exited, foreground.stdout + foreground.stderr).toBe(0);
    expect(foreground.stdout).toMatch(/stopping cluster live on SIGINT/);
    expect(foreground.stdout).toMatch(/cluster live stopped: live-1 stopped, live-2 stopped/);
    expect(state.brokers.filter((broker) => isProcessRunning(broker.pid))).toEqual([]);
    expect(processesWithClusterFile(path.join(dir, 'live.json'))).toEqual([]);
  }, 60_000);
});
