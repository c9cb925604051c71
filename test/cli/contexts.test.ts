import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../../src/broker/index.js';
import { EXIT_CODE } from '../../src/cli/exit-codes.js';
import type { LoadResult } from '../../src/load/index.js';
import type { StatusReport } from '../../src/status/index.js';
import { useCertificates } from '../support/certificates.js';
import { RsbProcess, runRsb, startBrokerProcess } from '../support/processes.js';

const SECRET = 'context-secret';

/**
 * A config directory of contexts for one describe block, and `rsb` run with it; the
 * processes given to `own` are stopped afterwards (in reverse order), then the directory removed.
 */
function useContextsDir(prefix: string) {
  const configDir = mkdtempSync(path.join(tmpdir(), prefix));
  const env = { RSB_CONFIG_DIR: configDir };
  const owned: RsbProcess[] = [];
  afterAll(async () => {
    for (const child of owned.splice(0).reverse()) await child.stop();
    rmSync(configDir, { recursive: true, force: true });
  });
  return {
    configDir,
    env,
    own: (child: RsbProcess): RsbProcess => (owned.push(child), child),
    rsb: (args: string[], extraEnv: NodeJS.ProcessEnv = {}) => runRsb(args, { env: { ...env, ...extraEnv }, timeoutMs: 40_000 }),
  };
}

/**
 * Contexts as a user meets them: saved with `rsb context add`, then every command that
 * connects (call, services, status, load, mock) goes where the context says, with its
 * token, unless a flag or RSB_CONTEXT says otherwise. One broker with --auth jwt on a
 * port that is not the default, so that only a context (or a flag) can reach it.
 */
describe('contexts', { timeout: 60_000 }, () => {
  const { configDir, env, own, rsb } = useContextsDir('rsb-contexts-cli-');
  let address: string;
  let admin: string;
  let callerToken: string;

  beforeAll(async () => {
    const started = await startBrokerProcess(['--auth', 'jwt', '--jwt-secret', SECRET]);
    const broker = own(started.broker);
    address = `127.0.0.1:${started.port}`;
    admin = (await broker.waitForOutput(/admin API and metrics on http:\/\/([\d.]+:\d+)/))[1]!;
    callerToken = (await createToken({ sub: 'cli', services: [], routes: ['svc.*'], secret: SECRET })).token;
    const serviceToken = (await createToken({ sub: 'mock', services: ['svc'], routes: [], secret: SECRET })).token;
    expect((await rsb(['context', 'add', 'svc', '--broker', address, '--token', serviceToken])).code).toBe(EXIT_CODE.OK);
    // The mock registers through a context named on its command line.
    const mock = own(new RsbProcess(['mock', 'svc', '--context', 'svc'], env));
    await mock.waitForOutput(/rsb mock svc ready: 1 instance on /, 20_000);
  }, 60_000);

  it('saves a context and makes it current, and then rsb call goes there with its token', async () => {
    const added = await rsb(['context', 'add', 'dev', '--broker', address, '--admin', admin, '--token', callerToken, '--use']);
    expect(added.code, added.stderr).toBe(EXIT_CODE.OK);
    expect(added.stdout).toBe(`context dev saved in ${path.join(configDir, 'contexts.yaml')}: ${address}\ndev is the current context.\n`);
    expect(await rsb(['call', 'svc.echo', '-d', 'through dev'])).toMatchObject({ code: EXIT_CODE.OK, stdout: 'through dev\n' });
  });

  it('uses the current context in rsb services, rsb status and rsb load', async () => {
    const services = await rsb(['services']);
    expect(services.code, services.stderr).toBe(EXIT_CODE.OK);
    expect(services.stdout).toMatch(new RegExp(`^broker broker-1 at ${address.replace(/\./g, '\\.')}: 1 service, 1 instance$`, 'm'));
    const status = await rsb(['status', '--json']);
    expect(status.code, status.stderr).toBe(EXIT_CODE.OK);
    expect((JSON.parse(status.stdout) as StatusReport).brokers.map((entry) => entry.admin)).toEqual([admin]);
    const load = await rsb(['load', '--qps', '100', '--duration', '1s', '--warmup', '0', '--max-lag', '5s', '--json']);
    expect(load.code, load.stderr).toBe(EXIT_CODE.OK);
    const run = (JSON.parse(load.stdout) as LoadResult).run;
    expect(run.brokers.map((entry) => entry.address)).toEqual([address]);
    expect(run.outcomes).toEqual({ OK: 100 });
  });

  it('lets a flag or RSB_CONTEXT say otherwise, and a --broker flag sends no context token', async () => {
    expect((await rsb(['context', 'use', '--none'])).code).toBe(EXIT_CODE.OK);
    expect(await rsb(['context', 'show'])).toMatchObject({ code: EXIT_CODE.USAGE, stderr: expect.stringContaining('rsb: no context is in use') });
    expect(await rsb(['call', 'svc.echo', '-d', 'by env'], { RSB_CONTEXT: 'dev' })).toMatchObject({ code: EXIT_CODE.OK, stdout: 'by env\n' });
    expect(await rsb(['call', 'svc.echo', '-d', 'by flag', '--context', 'dev'])).toMatchObject({ code: EXIT_CODE.OK, stdout: 'by flag\n' });
    const byAddress = await rsb(['call', 'svc.echo', '-d', 'x', '--broker', address], { RSB_CONTEXT: 'dev' });
    expect(byAddress.code).toBe(EXIT_CODE.NO_CONNECTION);
    expect(byAddress.stderr).toContain('this broker requires authentication');
  });

  it('lists, shows (token masked) and removes contexts', async () => {
    const list = await rsb(['context', 'ls']);
    expect(list.stdout).toMatch(/^ {2}CURRENT +NAME +BROKERS +ADMIN +TOKEN +DESCRIPTION\n {11}dev +127\.0\.0\.1:\d+ +127\.0\.0\.1:\d+ +yes\n {11}svc +127\.0\.0\.1:\d+ +- +yes\n/m);
    const shown = await rsb(['context', 'show', 'dev']);
    expect(shown.stdout).toContain(`  token    ${callerToken.slice(0, 8)}… (${callerToken.length} characters)\n`);
    expect(shown.stdout).not.toContain(callerToken);
    expect(await rsb(['context', 'rm', 'dev'])).toMatchObject({ code: EXIT_CODE.OK, stdout: 'context dev removed\n' });
    const gone = await rsb(['call', 'svc.echo', '--context', 'dev']);
    expect(gone.code).toBe(EXIT_CODE.USAGE);
    expect(gone.stderr).toMatch(/^rsb: no context named "dev" in .*contexts\.yaml\n {2}hint: /);
  });
});

/**
 * A context that holds TLS files: a broker on tcps only, a mock that trusts its CA by
 * flag, and calls that trust it through the context, or not at all when a --broker flag
 * leaves the context out.
 */
describe("a context's TLS files", { timeout: 60_000 }, () => {
  const { env, own, rsb } = useContextsDir('rsb-contexts-tls-');
  const certificates = useCertificates('contexts');
  let uri: string;

  beforeAll(async () => {
    const { files } = certificates();
    const broker = own(new RsbProcess(['start', '--listen', 'tcps://127.0.0.1:0', '--tls-cert', files.brokerCert, '--tls-key', files.brokerKey, '--no-admin']));
    uri = `tcps://127.0.0.1:${(await broker.waitForOutput(/listening on tcps:\/\/127\.0\.0\.1:(\d+)/))[1]!}`;
    const mock = own(new RsbProcess(['mock', 'svc', '--broker', uri, '--tls-ca', files.ca], env));
    await mock.waitForOutput(/rsb mock svc ready: 1 instance on /, 20_000);
  }, 60_000);

  it('calls a tcps broker with the CA the context names, and shows the files it saved', async () => {
    const { files } = certificates();
    const added = await rsb(['context', 'add', 'secure', '--broker', uri, '--tls-ca', files.ca, '--use']);
    expect(added.code, added.stderr).toBe(EXIT_CODE.OK);
    expect(await rsb(['call', 'svc.echo', '-d', 'over tls'])).toMatchObject({ code: EXIT_CODE.OK, stdout: 'over tls\n' });
    expect((await rsb(['context', 'show', 'secure'])).stdout).toContain(`  tls      ca ${files.ca}\n`);
  });

  it('leaves the context out with --broker, its CA too, and takes a TLS flag over the context', async () => {
    const { files } = certificates();
    const untrusted = await rsb(['call', 'svc.echo', '-d', 'x', '--broker', uri], { RSB_CONTEXT: 'secure' });
    expect(untrusted.code).toBe(EXIT_CODE.NO_CONNECTION);
    expect(untrusted.stderr).toContain('--tls-ca');
    expect((await rsb(['context', 'add', 'bare', '--broker', uri])).code).toBe(EXIT_CODE.OK);
    expect(await rsb(['call', 'svc.echo', '-d', 'flag over context', '--context', 'bare', '--tls-ca', files.ca])).toMatchObject({ code: EXIT_CODE.OK, stdout: 'flag over context\n' });
  });
});
