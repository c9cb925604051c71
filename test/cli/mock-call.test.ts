import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallResult, ServicesReport } from '../../src/call/index.js';
import { EXIT_CODE } from '../../src/cli/exit-codes.js';
import type { MockReport } from '../../src/mock/index.js';
import { connect, type RsbClient } from '../../src/sdk/index.js';
import { RsbProcess, runRsb, startBrokerProcess } from '../support/processes.js';

/**
 * As a user runs them: `rsb start`, then `rsb mock svc --methods echo,slow,fail`, then
 * `rsb call` for each interaction model and behaviour, and `rsb services`.
 */
describe('rsb mock, rsb call and rsb services end to end', () => {
  let broker: RsbProcess;
  let mock: RsbProcess;
  let port: number;
  let listenPort: number;
  let brokerAddress: string;
  let folder: string;
  let headersService: RsbClient;

  beforeAll(async () => {
    ({ broker, port } = await startBrokerProcess());
    brokerAddress = `127.0.0.1:${port}`;
    mock = new RsbProcess(['mock', 'svc', '--methods', 'echo,slow,fail', '--instances', '2', '--broker', brokerAddress, '--listen', '0']);
    listenPort = Number((await mock.waitForOutput(/rsb mock svc listening on 127\.0\.0\.1:(\d+) for direct connections/))[1]);
    await mock.waitForOutput(/rsb mock svc ready: 2 instances on 127\.0\.0\.1:\d+\n/);
    folder = await mkdtemp(join(tmpdir(), 'rsb-e2e-'));
    // An SDK service that answers with what it received, to show what rsb call sends.
    headersService = await connect({
      brokers: [brokerAddress],
      services: { inspect: { request: (request) => JSON.stringify({ data: request.data.toString(), headers: request.headers, dataMimeType: request.dataMimeType }) } },
    });
  }, 30_000);

  afterAll(async () => {
    await headersService?.close();
    await mock?.stop();
    await broker?.stop();
    if (folder) await rm(folder, { recursive: true });
  });

  const call = (...args: string[]) => runRsb(['call', ...args, '--broker', brokerAddress]);

  it('prints the ready line and what each method does', () => {
    expect(mock.stdout).toContain('  svc.echo: echo\n');
    expect(mock.stdout).toContain('  svc.slow: echo, latency 200 ms\n');
    expect(mock.stdout).toContain('  svc.fail: always fails with APPLICATION_ERROR "svc.fail failed (rsb mock)"\n');
  });

  it('request-response: prints the answer and exits 0', async () => {
    const { code, stdout, stderr } = await call('svc.echo', '-d', 'hello');
    expect({ code, stdout, stderr }).toEqual({ code: EXIT_CODE.OK, stdout: 'hello\n', stderr: '' });
  });

  it('request-response on slow: answers after its latency, as --json timing shows', async () => {
    const { code, stdout } = await call('svc.slow', '-d', 'zzz', '--json');
    expect(code).toBe(EXIT_CODE.OK);
    const result = JSON.parse(stdout) as CallResult;
    expect(result).toMatchObject({ route: 'svc.slow', mode: 'request-response', broker: brokerAddress, responses: [{ data: 'zzz', encoding: 'utf8' }] });
    expect(result.timing.firstResponseMs).toBeGreaterThanOrEqual(200);
    expect(result.timing.totalMs).toBeGreaterThanOrEqual(result.timing.firstResponseMs!);
    expect(result.timing.connectMs).toBeGreaterThan(0);
  });

  it('request-response on fail: exits 5 with the error name and message on stderr', async () => {
    const { code, stdout, stderr } = await call('svc.fail', '-d', 'x');
    expect(code).toBe(EXIT_CODE.RSOCKET_ERROR);
    expect(stdout).toBe('');
    expect(stderr).toBe('rsb: APPLICATION_ERROR: svc.fail failed (rsb mock)\n');
  });

  it('exits 5 with REJECTED for a service nobody registered and for a method the mock lacks', async () => {
    const ghost = await call('ghost.echo');
    expect(ghost.code).toBe(EXIT_CODE.RSOCKET_ERROR);
    expect(ghost.stderr).toContain('rsb: REJECTED: no instance of service ghost');
    const missing = await call('svc.nope');
    expect(missing.code).toBe(EXIT_CODE.RSOCKET_ERROR);
    expect(missing.stderr).toContain('rsb: REJECTED: rsb mock svc has no method for svc.nope; it answers echo, slow, fail');
  });

  it('exits 6 when the answer takes longer than --timeout', async () => {
    const { code, stderr } = await call('svc.slow', '--timeout', '50ms');
    expect(code).toBe(EXIT_CODE.TIMEOUT);
    expect(stderr).toContain('rsb: svc.slow: no answer within 50 ms');
  });

  it('exits 7 when no broker listens', async () => {
    const { code, stderr } = await runRsb(['call', 'svc.echo', '--broker', '127.0.0.1:1']);
    expect(code).toBe(EXIT_CODE.NO_CONNECTION);
    expect(stderr).toContain('rsb: could not connect to 127.0.0.1:1: ECONNREFUSED');
  });

  it('stream: prints each item on its own line, ten by default, or --take of them (--mode request-stream, or stream as before)', async () => {
    const all = await call('svc.echo', '-d', 'tick', '--mode', 'stream');
    expect(all.code).toBe(EXIT_CODE.OK);
    expect(all.stdout).toBe('tick\n'.repeat(10));
    const three = await call('svc.echo', '-d', 'tick', '--mode', 'request-stream', '--take', '3', '--json');
    const result = JSON.parse(three.stdout) as CallResult;
    expect(result.mode).toBe('request-stream');
    expect(result.responses.map((response) => response.data)).toEqual(['tick', 'tick', 'tick']);
  });

  it('stream on fail: exits 5', async () => {
    const { code, stderr } = await call('svc.fail', '--mode', 'stream');
    expect(code).toBe(EXIT_CODE.RSOCKET_ERROR);
    expect(stderr).toContain('APPLICATION_ERROR');
  });

  it('channel: sends each line of standard input and prints each echo', async () => {
    const { code, stdout } = await runRsb(['call', 'svc.echo', '--mode', 'channel', '-d', '-', '--broker', brokerAddress], { input: 'a\nb\nc\n' });
    expect(code).toBe(EXIT_CODE.OK);
    expect(stdout).toBe('a\nb\nc\n');
  });

  it('channel on slow: echoes after the latency', async () => {
    const { code, stdout } = await call('svc.slow', '--mode', 'channel', '-d', 'x\ny', '--json');
    expect(code).toBe(EXIT_CODE.OK);
    const result = JSON.parse(stdout) as CallResult;
    expect(result.responses.map((response) => response.data)).toEqual(['x', 'y']);
    expect(result.timing.firstResponseMs).toBeGreaterThanOrEqual(200);
  });

  it('fire-and-forget: exits 0 once sent, and the mock counts it', async () => {
    const { code, stdout } = await call('svc.echo', '--mode', 'fire-and-forget', '-d', 'f');
    expect({ code, stdout }).toEqual({ code: EXIT_CODE.OK, stdout: '' });
  });

  it('sends a file with -d @file, and --metadata and --data-mime with the request', async () => {
    const file = join(folder, 'body.json');
    await writeFile(file, '{"n":1}');
    const { code, stdout } = await call('inspect.request', '-d', `@${file}`, '--metadata', 'tenant=acme', '--metadata', 'trace=42', '--data-mime', 'application/json');
    expect(code).toBe(EXIT_CODE.OK);
    expect(JSON.parse(stdout)).toEqual({ data: '{"n":1}', headers: { tenant: 'acme', trace: '42' }, dataMimeType: 'application/json' });
  });

  it('--debug prints every frame sent and received with its decoded header', async () => {
    const { code, stdout, stderr } = await call('svc.echo', '-d', 'hello', '--debug');
    expect(code).toBe(EXIT_CODE.OK);
    expect(stdout).toBe('hello\n');
    expect(stderr).toMatch(/^-> SETUP stream 0, flags 0x100 \(M\), \d+ bytes, version 1\.0/m);
    expect(stderr).toMatch(/^-> REQUEST_RESPONSE stream 1, flags 0x100 \(M\), 27 bytes, route svc\.echo, data 5 bytes\n {3}0000 {2}00 00 00 01 11 00/m);
    expect(stderr).toMatch(/^<- PAYLOAD stream 1, flags 0x060 \(C N\), 11 bytes, data 5 bytes\n {3}0000 {2}00 00 00 01 28 60 68 65 6c 6c 6f/m);
  });

  it('calls the mock directly on its --listen port, with no broker', async () => {
    const { code, stdout } = await runRsb(['call', 'svc.echo', '-d', 'direct', '--broker', `127.0.0.1:${listenPort}`]);
    expect({ code, stdout }).toEqual({ code: EXIT_CODE.OK, stdout: 'direct\n' });
  });

  it('rsb services lists the mock\'s two instances as a table and as JSON', async () => {
    const table = await runRsb(['services', '--broker', brokerAddress]);
    expect(table.code).toBe(EXIT_CODE.OK);
    expect(table.stdout).toMatch(/^broker broker-1 at 127\.0\.0\.1:\d+: 2 services, 3 instances$/m);
    expect(table.stdout).toMatch(/^SERVICE +APP +UUID +ADDRESS +IN FLIGHT +CONNECTED$/m);
    expect(table.stdout.match(/^svc +rsb-mock-svc +[0-9a-f-]{36} +127\.0\.0\.1:\d+ +\d+ +\S+ ago$/gm)).toHaveLength(2);
    const json = await runRsb(['services', '--broker', brokerAddress, '--json']);
    const report = JSON.parse(json.stdout) as ServicesReport;
    expect(report.brokers[0]!.services.find((service) => service.key === 'svc')!.instances.map((instance) => instance.app)).toEqual(['rsb-mock-svc', 'rsb-mock-svc']);
  });

  it('rsb services exits 7 when no broker answers', async () => {
    const { code, stderr } = await runRsb(['services', '--broker', '127.0.0.1:1']);
    expect(code).toBe(EXIT_CODE.NO_CONNECTION);
    expect(stderr).toContain('ECONNREFUSED');
  });

  it('refuses bad mock flags with exit 2 and one sentence', async () => {
    const { code, stderr } = await runRsb(['mock', 'svc', '--methods', 'echo', '--latency', 'slow=5ms']);
    expect(code).toBe(EXIT_CODE.USAGE);
    expect(stderr).toContain('rsb: --latency "slow=5ms" names method "slow", which is not in --methods (echo)');
  });

  it('rsb mock exits 7 when its broker is not there', async () => {
    const { code, stderr } = await runRsb(['mock', 'svc', '--broker', '127.0.0.1:1']);
    expect(code).toBe(EXIT_CODE.NO_CONNECTION);
    expect(stderr).toContain('could not connect to 127.0.0.1:1');
  });
});

describe('rsb mock lifecycle', () => {
  it('unregisters on SIGTERM, exits 0 and reports its counts as JSON', async () => {
    const { broker, port } = await startBrokerProcess();
    const mock = new RsbProcess(['mock', 'life', '--broker', `127.0.0.1:${port}`, '--json']);
    try {
      await mock.waitForStderr(/rsb mock life ready/);
      expect((await runRsb(['call', 'life.echo', '-d', 'x', '--broker', `127.0.0.1:${port}`])).stdout).toBe('x\n');
      expect(await mock.stop('SIGTERM')).toBe(0);
      const report = JSON.parse(mock.stdout) as MockReport;
      expect(report).toMatchObject({ service: 'life', instances: 1, stoppedBy: 'SIGTERM', methods: [{ method: 'echo', requests: 1, errors: 0, items: 1 }] });
      const after = await runRsb(['call', 'life.echo', '--broker', `127.0.0.1:${port}`]);
      expect(after.code).toBe(EXIT_CODE.RSOCKET_ERROR);
      expect(after.stderr).toContain('no instance of service life');
    } finally {
      await mock.stop();
      await broker.stop();
    }
  }, 40_000);

  it('reconnects and registers again when the broker restarts on the same port', async () => {
    let { broker, port } = await startBrokerProcess();
    const mock = new RsbProcess(['mock', 'phoenix', '--broker', `127.0.0.1:${port}`]);
    try {
      await mock.waitForOutput(/ready/);
      await broker.stop();
      await mock.waitForOutput(/- lost 127\.0\.0\.1:\d+: .*; reconnecting\n/);
      ({ broker } = await startBrokerProcess([], port));
      await mock.waitForOutput(/\+ back on 127\.0\.0\.1:\d+: 1 instance registered again after \d+s\n/, 15_000);
      const { code, stdout } = await runRsb(['call', 'phoenix.echo', '-d', 'again', '--broker', `127.0.0.1:${port}`]);
      expect({ code, stdout }).toEqual({ code: EXIT_CODE.OK, stdout: 'again\n' });
    } finally {
      await mock.stop();
      await broker.stop();
    }
  }, 40_000);
});
