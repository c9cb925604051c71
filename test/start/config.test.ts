import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadBrokerConfig, resolveNodeSettings } from '../../src/start/index.js';
import { UsageError } from '../../src/errors.js';
import { runRsb } from '../support/processes.js';

const dir = mkdtempSync(path.join(tmpdir(), 'rsb-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function configFile(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

function problemWith(text: string): string {
  const file = configFile('bad.yaml', text);
  try {
    loadBrokerConfig(file);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message.replace(file, 'FILE');
  }
  throw new Error('the config was accepted');
}

const FULL = `
id: edge-1
port: 7000
admin: { port: 7001 }
loadBalancing: least-outstanding
requestTimeout: 2s
maxInFlightPerInstance: 64
circuitBreaker: { consecutiveFailures: 4, coolDown: 1500ms }
services:
  calc:
    loadBalancing: weighted-random
    rateLimit: { requestsPerSecond: 100, burst: 20 }
  "report*": { requestTimeout: 30, maxInFlightPerInstance: 2, circuitBreaker: { probes: 1 } }
apps:
  web: { rateLimit: { requestsPerSecond: 50 } }
auth: { secret: s3cret }
`;

describe('broker config file', () => {
  it('reads every setting, durations in words or seconds, a rate limit burst defaulting to one second of requests', () => {
    const { broker, admin } = resolveNodeSettings({ config: configFile('full.yaml', FULL) });
    expect(admin).toEqual({ host: '127.0.0.1', port: 7001 });
    expect(broker).toMatchObject({
      id: 'edge-1',
      port: 7000,
      loadBalancing: 'least-outstanding',
      requestTimeoutMs: 2_000,
      maxInFlightPerInstance: 64,
      circuitBreaker: { consecutiveFailures: 4, coolDownMs: 1_500, errorRatio: 0.5, probes: 3 },
      auth: { secret: 's3cret' },
    });
    expect([...broker.services]).toEqual([
      ['calc', { loadBalancing: 'weighted-random', rateLimit: { requestsPerSecond: 100, burst: 20 } }],
      ['report*', { requestTimeoutMs: 30_000, maxInFlightPerInstance: 2, circuitBreaker: { probes: 1 } }],
    ]);
    expect([...broker.apps]).toEqual([['web', { rateLimit: { requestsPerSecond: 50, burst: 50 } }]]);
  });

  it('lets flags override the file', () => {
    const { broker, admin } = resolveNodeSettings({ config: configFile('full.yaml', FULL), port: 0, lb: 'round-robin', auth: 'none', circuitBreaker: false, adminPort: 0 });
    expect(broker).toMatchObject({ port: 0, loadBalancing: 'round-robin', auth: null, circuitBreaker: null });
    expect(admin?.port).toBe(0);
  });

  it('serves the admin API on 9998 by default, on any free port when the broker takes any, and not at all with --no-admin', () => {
    expect(resolveNodeSettings({}).admin).toEqual({ host: '127.0.0.1', port: 9998 });
    expect(resolveNodeSettings({ port: 0 }).admin).toEqual({ host: '127.0.0.1', port: 0 });
    expect(resolveNodeSettings({ admin: false }).admin).toBeNull();
    expect(resolveNodeSettings({ config: configFile('no-admin.yaml', 'admin: false') }).admin).toBeNull();
  });

  it('turns authentication on with a secret flag, or with --auth jwt and RSB_JWT_SECRET, never with the variable alone', () => {
    expect(resolveNodeSettings({ jwtSecret: 'flag' }).broker.auth).toEqual({ secret: 'flag' });
    const saved = process.env.RSB_JWT_SECRET;
    process.env.RSB_JWT_SECRET = 'from-env';
    try {
      expect(resolveNodeSettings({}).broker.auth).toBeNull();
      expect(resolveNodeSettings({ auth: 'jwt' }).broker.auth).toEqual({ secret: 'from-env' });
    } finally {
      if (saved === undefined) delete process.env.RSB_JWT_SECRET;
      else process.env.RSB_JWT_SECRET = saved;
    }
  });

  it('reads a public key relative to the config file', () => {
    configFile('broker.pub.pem', '-----BEGIN PUBLIC KEY-----\n...\n');
    const { broker } = resolveNodeSettings({ config: configFile('keyed.yaml', 'auth: { publicKey: broker.pub.pem }') });
    expect(broker.auth).toEqual({ keyPem: '-----BEGIN PUBLIC KEY-----\n...\n' });
  });

  it('names the field and the problem of a bad value', () => {
    expect(problemWith('services:\n  calc:\n    rateLimit: { requestsPerSecond: fast }\n')).toBe(
      'config file FILE: services.calc.rateLimit.requestsPerSecond: Invalid input: expected number, received string',
    );
    expect(problemWith('loadBalancing: random\n')).toMatch(/^config file FILE: loadBalancing: Invalid option: expected one of "round-robin"\|"weighted-random"\|"least-outstanding"/);
    expect(problemWith('requestTimeout: soon\n')).toBe('config file FILE: requestTimeout: "soon" is not a duration: write it like 500ms, 10s or 1m');
    expect(problemWith('circuitBreaker: { errorRatio: 2 }\n')).toMatch(/^config file FILE: circuitBreaker.errorRatio: /);
    expect(problemWith('auth: { secret: a, publicKey: b }\n')).toBe('config file FILE: auth: give exactly one of secret (HS256) or publicKey (a PEM file, RS256/ES256)');
  });

  it('names a misspelt field', () => {
    expect(problemWith('limts: {}\n')).toBe('config file FILE: (top level): Unrecognized key: "limts"');
    expect(problemWith('services: { calc: { ratelimit: {} } }\n')).toBe('config file FILE: services.calc: Unrecognized key: "ratelimit"');
  });

  it('names the line and column of broken YAML', () => {
    expect(problemWith('services:\n  calc: { rateLimit: [1, 2\n')).toBe(
      'config file FILE line 3, column 1: Flow sequence in block collection must be sufficiently indented and end with a ]',
    );
  });

  it('names a file that cannot be read', () => {
    expect(() => loadBrokerConfig(path.join(dir, 'missing.yaml'))).toThrow(/cannot read config file .*missing\.yaml: ENOENT/);
  });

  it('makes rsb start exit 2 with the problem, before listening', async () => {
    const file = configFile('start-bad.yaml', 'port: 99999\n');
    const { code, stdout, stderr } = await runRsb(['start', '--config', file]);
    expect(code).toBe(2);
    expect(stderr).toContain(`config file ${file}: port: Too big: expected number to be <=65535`);
    expect(stdout).not.toContain('listening');
  });
});
