import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createToken, type ClusterView } from '../../src/broker/index.js';
import type { ClusterState } from '../../src/client/index.js';
import { SetupRejectedError } from '../../src/errors.js';
import type { StatusReport } from '../../src/status/index.js';
import { killClusterProcesses, makeStateDir, runCluster } from '../support/cluster.js';
import { Caller, connectService } from '../support/lean-peers.js';
import { RsbProcess, runRsb, startBrokerProcess } from '../support/processes.js';

/** A port nothing listens on: bound, then let go. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const dir = mkdtempSync(path.join(tmpdir(), 'rsb-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Each test runs several CLI processes, a second or more each on a busy machine. */
const CLI_TEST_TIMEOUT_MS = 60_000;

/** `rsb start` with management flags and a config file, `rsb status` and `rsb token create`, run as a user would. */
describe('rsb start, status and token create', { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  it('serves the admin API of a configured broker, and rsb status shows its services, instances and circuits', async () => {
    const config = path.join(dir, 'broker.yaml');
    writeFileSync(config, 'id: edge-9\ncircuitBreaker: true\nservices:\n  calc: { loadBalancing: least-outstanding, rateLimit: { requestsPerSecond: 500 } }\n');
    const { broker, port } = await startBrokerProcess(['--config', config]);
    try {
      const adminUrl = (await broker.waitForOutput(/admin API and metrics on (http:\/\/[\d.]+:\d+)/))[1]!;
      await broker.waitForOutput(/balancing round-robin, no authentication, circuit breakers \(5 in a row or 50% over 10 s\), 1 rate limit rule, 1 service rule\n/);
      expect((await fetch(`${adminUrl}/healthz`)).status).toBe(200);
      const service = await connectService(port, { name: 'calc-1', services: ['calc'] });
      const caller = await Caller.connect(port);
      try {
        await caller.callMany('calc.add', 12);
        const admin = adminUrl.replace('http://', '');
        const plain = await runRsb(['status', '--admin', admin]);
        expect(plain.code, plain.stderr).toBe(0);
        expect(plain.stdout).toMatch(/^● edge-9 on 127\.0\.0\.1:\d+ \(admin 127\.0\.0\.1:\d+\), up \d+s\n  2 connections, 1 service \(1 instance\), 12 routed, 0 rejected\n/);
        expect(plain.stdout).toMatch(/  calc: least-outstanding, rate limit 500\/s burst 500\n    ok 12, failed 0, rejected 0; p50 ≤ [\d.]+ .s, p99 ≤ [\d.]+ .s\n/);
        expect(plain.stdout).toMatch(/    INSTANCE +ADDRESS +WEIGHT +IN FLIGHT +FORWARDED +CIRCUIT\n    calc-1 +127\.0\.0\.1:\d+ +1 +0 +12 +closed\n/);
        const json = await runRsb(['status', '--admin', admin, '--json']);
        expect(json.code, json.stderr).toBe(0);
        const report = JSON.parse(json.stdout) as StatusReport;
        expect(report.brokers[0]).toMatchObject({ isUp: true, broker: { id: 'edge-9', requestsRouted: 12 } });
        expect(report.brokers[0]!.services![0]!.instances[0]).toMatchObject({ app: 'calc-1', circuit: { state: 'closed' } });
      } finally {
        await caller.close();
        await service.peer.close();
      }
    } finally {
      await broker.stop();
    }
  });

  it('keeps reading with --watch, a line per broker and reading with its request rate, until SIGINT', async () => {
    const { broker, port } = await startBrokerProcess();
    try {
      const admin = (await broker.waitForOutput(/admin API and metrics on http:\/\/([\d.]+:\d+)/))[1]!;
      const service = await connectService(port, { name: 'calc-1', services: ['calc'] });
      const caller = await Caller.connect(port);
      const watching = new RsbProcess(['status', '--admin', admin, '--watch', '--interval', '200ms']);
      try {
        await watching.waitForOutput(/^\d\d:\d\d:\d\d ● broker-1 on .*: 2 connections, 1 service \(1 instance\), 0 routed/m, 20_000);
        await caller.callMany('calc.add', 50);
        await watching.waitForOutput(/\d+ req\/s, 50 routed, 0 rejected/);
        expect(await watching.stop('SIGINT')).toBe(0);
      } finally {
        await watching.stop();
        await caller.close();
        await service.peer.close();
      }
    } finally {
      await broker.stop();
    }
  });

  it('names the admin port in use when it cannot serve the admin API, and exits non-zero', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    try {
      const { code, stdout, stderr } = await runRsb(['start', '--port', '0', '--admin-port', String(port)]);
      expect(code).toBe(1);
      expect(stderr).toContain(`admin server cannot listen on 127.0.0.1:${port}: EADDRINUSE`);
      expect(stderr).toContain('--no-admin');
      expect(stdout).not.toContain('listening on');
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('reads every broker of a cluster with --cluster, at the admin ports its state records, and each lists the others in /api/cluster', async () => {
    const { dir, remove } = makeStateDir();
    const stateFile = path.join(dir, 'mgmt.json');
    try {
      const up = await runCluster(dir, ['cluster', 'up', '-n', '2', '--base-port', '0', '--name', 'mgmt']);
      expect(up.code, up.stderr).toBe(0);
      const state = JSON.parse(readFileSync(stateFile, 'utf8')) as ClusterState;
      expect(state.brokers.map((broker) => broker.adminPort > 0)).toEqual([true, true]);
      const status = await runCluster(dir, ['status', '--cluster', 'mgmt', '--json']);
      expect(status.code, status.stderr).toBe(0);
      const report = JSON.parse(status.stdout) as StatusReport;
      expect(report.brokers.map((broker) => [broker.isUp, broker.broker?.id])).toEqual([
        [true, 'mgmt-1'],
        [true, 'mgmt-2'],
      ]);
      const cluster = (await (await fetch(`http://127.0.0.1:${state.brokers[0]!.adminPort}/api/cluster`)).json()) as ClusterView;
      expect(cluster).toEqual({
        name: 'mgmt',
        brokers: state.brokers.map((broker, index) => ({ id: broker.id, host: broker.host, port: broker.port, adminPort: broker.adminPort, isSelf: index === 0 })),
      });
    } finally {
      await runCluster(dir, ['cluster', 'down', '--name', 'mgmt']);
      killClusterProcesses(stateFile);
      remove();
    }
  });

  it('exits 7 when no broker answers at the admin address', async () => {
    const port = await freePort();
    const { code, stderr } = await runRsb(['status', '--admin', `127.0.0.1:${port}`]);
    expect(code).toBe(7);
    expect(stderr).toContain(`no broker answered at 127.0.0.1:${port}: ECONNREFUSED`);
  });

  it('refuses --watch with --json as a usage error', async () => {
    const { code, stderr } = await runRsb(['status', '--watch', '--json']);
    expect(code).toBe(2);
    expect(stderr).toContain('--watch and --json do not go together');
  });

  it('signs tokens that a broker started with --auth jwt accepts, and refuses connections without one', async () => {
    const created = await runRsb(['token', 'create', '--sub', 'web', '--routes', 'calc.*', '--secret', 'cli-secret', '--ttl', '1h', '--json']);
    expect(created.code, created.stderr).toBe(0);
    const { token, claims } = JSON.parse(created.stdout) as { token: string; claims: { sub: string; routes: string[]; exp: number; iat: number } };
    expect(claims).toMatchObject({ sub: 'web', routes: ['calc.*'] });
    expect(claims.exp - claims.iat).toBe(3_600);
    const { broker, port } = await startBrokerProcess(['--auth', 'jwt', '--jwt-secret', 'cli-secret', '--no-admin']);
    try {
      // The line that says what the broker manages comes after the admin line, when there is one.
      await broker.waitForOutput(/^balancing round-robin, JWT authentication \(HS256\)$/m);
      expect(broker.stdout).not.toContain('admin API');
      const caller = await Caller.connect(port, { token });
      await caller.close();
      await expect(Caller.connect(port)).rejects.toBeInstanceOf(SetupRejectedError);
      await broker.waitForOutput(/refused at SETUP: this broker requires authentication/);
    } finally {
      await broker.stop();
    }
  });

  it('lets rsb mock, rsb call, rsb services and rsb load in with --token (or RSB_TOKEN), and rsb call without one is refused', async () => {
    const { broker, port } = await startBrokerProcess(['--auth', 'jwt', '--jwt-secret', 'cli-secret', '--no-admin']);
    const address = `127.0.0.1:${port}`;
    const serviceToken = (await createToken({ sub: 'svc-mock', services: ['svc'], routes: [], secret: 'cli-secret' })).token;
    const callerToken = (await createToken({ sub: 'cli', services: [], routes: ['svc.*'], secret: 'cli-secret' })).token;
    const mock = new RsbProcess(['mock', 'svc', '--broker', address, '--token', serviceToken]);
    try {
      await mock.waitForOutput(/rsb mock svc ready: 1 instance on/, 20_000);
      expect(await runRsb(['call', 'svc.echo', '-d', 'hi', '--broker', address, '--token', callerToken])).toMatchObject({ code: 0, stdout: 'hi\n' });
      expect(await runRsb(['call', 'svc.echo', '-d', 'env', '--broker', address], { env: { RSB_TOKEN: callerToken } })).toMatchObject({ code: 0, stdout: 'env\n' });
      const refused = await runRsb(['call', 'svc.echo', '-d', 'hi', '--broker', address], { env: { RSB_TOKEN: '' } });
      expect(refused.code).toBe(7);
      expect(refused.stderr).toContain('this broker requires authentication');
      const services = await runRsb(['services', '--broker', address, '--token', callerToken]);
      expect(services.code, services.stderr).toBe(0);
      expect(services.stdout).toMatch(/svc +rsb-mock-svc/);
      // The test is about the token; a busy machine's schedule lag must not turn the run invalid (exit 4).
      const load = await runRsb(['load', '--broker', address, '--token', callerToken, '--qps', '200', '--duration', '1s', '--warmup', '0', '--max-lag', '1s', '--json'], {
        timeoutMs: 40_000,
      });
      expect(load.code, load.stderr).toBe(0);
      expect((JSON.parse(load.stdout) as { run: { outcomes: Record<string, number> } }).run.outcomes).toEqual({ OK: 200 });
    } finally {
      await mock.stop();
      await broker.stop();
    }
  });

  it('prints just the token without --json, and needs a key to sign with', async () => {
    const plain = await runRsb(['token', 'create', '--sub', 'svc', '--services', 'calc', '--secret', 's']);
    expect(plain.code).toBe(0);
    expect(plain.stdout.trim()).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const unsigned = await runRsb(['token', 'create', '--sub', 'svc'], { env: { RSB_JWT_SECRET: '' } });
    expect(unsigned.code).toBe(2);
    expect(unsigned.stderr).toContain('a token needs a key to be signed with');
  });

  it('signs with a private key file even when RSB_JWT_SECRET is set', async () => {
    const keyFile = path.join(dir, 'ec.key.pem');
    writeFileSync(keyFile, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const { code, stdout, stderr } = await runRsb(['token', 'create', '--sub', 'ops', '--routes', '*', '--private-key', keyFile, '--json'], {
      env: { RSB_JWT_SECRET: 'exported' },
    });
    expect(code, stderr).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ algorithm: 'ES256', claims: { sub: 'ops', routes: ['*'] } });
  });

  it('refuses --auth jwt without a key as a usage error', async () => {
    const { code, stderr } = await runRsb(['start', '--port', '0', '--auth', 'jwt'], { env: { RSB_JWT_SECRET: '' } });
    expect(code).toBe(2);
    expect(stderr).toContain('--auth jwt needs a key');
  });
});
