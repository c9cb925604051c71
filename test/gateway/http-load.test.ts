import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadResult } from '../../src/load/index.js';
import { RsbProcess, runRsb, startBrokerProcess } from '../support/processes.js';

/** `rsb load --http` against a real gateway in front of a broker and a mock, and against a plain HTTP server. */
describe('rsb load --http', () => {
  const processes: RsbProcess[] = [];
  let gatewayUrl: string;
  let plain: Server;
  let plainUrl: string;
  /** Every request the plain server received. */
  let received = 0;

  beforeAll(async () => {
    const { broker, port } = await startBrokerProcess();
    processes.push(broker);
    const mock = new RsbProcess(['mock', 'svc', '--methods', 'echo', '--broker', `127.0.0.1:${port}`]);
    const gateway = new RsbProcess(['gateway', '--port', '0', '--broker', `127.0.0.1:${port}`]);
    processes.push(mock, gateway);
    await mock.waitForOutput(/ready/);
    gatewayUrl = (await gateway.waitForOutput(/listening on (http:\/\/[\d.]+:\d+)/))[1]!;
    // Every third request refused: the run must count each outcome, not just the successes.
    let served = 0;
    plain = createServer((request, response) => (received++, request.resume().on('end', () => response.writeHead(++served % 3 === 0 ? 503 : 200).end('ok'))));
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    plainUrl = `http://127.0.0.1:${(plain.address() as { port: number }).port}/anything`;
  }, 30_000);

  afterAll(async () => {
    for (const process of processes.reverse()) await process.stop();
    await new Promise((resolve) => plain?.close(resolve));
  });

  const load = async (args: string[]) => {
    const run = await runRsb(['load', ...args, '--json'], { timeoutMs: 40_000 });
    return { ...run, result: run.code !== null && run.stdout.startsWith('{') ? (JSON.parse(run.stdout) as LoadResult) : undefined };
  };

  it('sends every request of the profile through the gateway and reports it like an RSocket run, closed loop said plainly', async () => {
    const { code, stderr, result } = await load(['--http', `${gatewayUrl}/svc/echo`, '--qps', '200', '--duration', '2s', '--warmup', '0', '--threshold', 'errors<0.1%', '--threshold', 'rate>=99%']);
    expect(code, stderr).toBe(0);
    expect(result!.run).toMatchObject({ label: `HTTP at ${gatewayUrl}/svc/echo`, requests: { expected: 400, sent: 400, ok: 400, errors: 0 }, outcomes: { OK: 400 } });
    expect(result!.run.routes.map((route) => route.name)).toEqual(['POST /svc/echo']);
    expect(result!.run.pacing).toContain('autocannon paces per second');
    expect(result!.run.latency.uncorrected!.count).toBe(400);
    expect(result!.thresholds.map((threshold) => threshold.isPassed)).toEqual([true, true]);
  }, 60_000);

  it('counts gateway errors by their RSocket meaning and fails the error threshold with exit 3', async () => {
    const { code, result } = await load(['--http', `${gatewayUrl}/ghost/echo`, '--qps', '50', '--duration', '1s', '--warmup', '0', '--threshold', 'errors<1%']);
    expect(code).toBe(3);
    expect(result!.run.outcomes).toEqual({ REJECTED: 50 });
    expect(result!.run.errorSamples).toEqual([{ outcome: 'REJECTED', message: 'HTTP 503 Service Unavailable' }]);
  }, 60_000);

  it('loads any HTTP server, counting each answer once', async () => {
    const { code, result } = await load(['--http', plainUrl, '--method', 'GET', '--qps', '90', '--duration', '1s', '--warmup', '0', '--connections', '3']);
    expect(code).toBe(0);
    expect(result!.run.requests).toEqual({ expected: 90, sent: 90, ok: 60, errors: 30 });
    expect(result!.run.connectionsPerTarget).toBe(3);
  }, 60_000);

  it('counts the probe and the warm-up apart: with the run, they add up to what the server received', async () => {
    const before = received;
    const { code, result } = await load(['--http', plainUrl, '--method', 'GET', '--qps', '60', '--duration', '1s', '--warmup', '1s', '--connections', '3']);
    expect(code).toBe(0);
    const { run } = result!;
    expect(run.warmup.sent).toBeGreaterThan(1);
    expect(run.warmup.ok + run.warmup.errors).toBe(run.warmup.sent);
    expect(run.requests.sent).toBe(60);
    expect(received - before).toBe(run.requests.sent + run.warmup.sent);
  }, 60_000);

  it('interrupted mid-run, exits 130 and judges what was sent against what the schedule called for by then', async () => {
    const loadRun = new RsbProcess(['load', '--http', plainUrl, '--method', 'GET', '--qps', '50', '--duration', '30s', '--warmup', '0', '--connections', '2', '--json']);
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    loadRun.child.kill('SIGINT');
    expect(await loadRun.exited, loadRun.stderr).toBe(130);
    const result = JSON.parse(loadRun.stdout) as LoadResult;
    expect(result.verdict).toBe('interrupted');
    expect(result.run.stop).toMatchObject({ cause: 'interrupted', during: 'run', signal: 'SIGINT' });
    expect(result.run.requests.sent).toBeLessThanOrEqual(result.run.requests.expected);
    expect(result.run.achievedPercent).toBeLessThanOrEqual(100);
    expect(result.run.ranForMs).toBeLessThan(30_000);
  }, 60_000);

  it('prints the pacing note in the plain summary', async () => {
    const { code, stdout } = await runRsb(['load', '--http', plainUrl, '--qps', '30', '--duration', '1s', '--warmup', '0'], { timeoutMs: 40_000 });
    expect(code).toBe(0);
    expect(stdout).toContain('pacing: autocannon paces per second and per connection (closed loop');
    expect(stdout).toMatch(/from the actual send time +[\d.]+ (µs|ms)/);
    expect(stdout).not.toContain('schedule lag');
  }, 60_000);

  it('exits 7 when nothing listens at the URL, and 2 on flags that do not apply', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedUrl = `http://127.0.0.1:${(closed.address() as { port: number }).port}/svc/echo`;
    await new Promise((resolve) => closed.close(resolve));
    const refused = await runRsb(['load', '--http', closedUrl, '--qps', '10', '--duration', '1s']);
    expect(refused.code).toBe(7);
    expect(refused.stderr).toContain(`cannot reach ${closedUrl}: ECONNREFUSED`);
    const withRoute = await runRsb(['load', '--http', plainUrl, '--route', 'svc.echo']);
    expect(withRoute.code).toBe(2);
    expect(withRoute.stderr).toContain('--http sends HTTP requests to its URL: --route and --mode do not apply');
    const withBaseline = await runRsb(['load', '--http', plainUrl, '--baseline']);
    expect(withBaseline.code).toBe(2);
    expect(withBaseline.stderr).toContain('--baseline needs brokers that rsb starts');
  }, 60_000);
});
