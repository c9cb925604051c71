import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  addContext,
  chooseContext,
  CONTEXT_ORIGIN,
  contextsFilePath,
  listContexts,
  removeContext,
  resolveBrokerTarget,
  resolveConfigDir,
  TARGET_ORIGIN,
  useContext,
} from '../../src/context/index.js';

let configDir: string;
/** The environment a command would see: no RSB_CONTEXT unless a test sets one. */
let env: NodeJS.ProcessEnv;

beforeEach(() => {
  configDir = mkdtempSync(path.join(tmpdir(), 'rsb-contexts-'));
  env = { RSB_CONFIG_DIR: configDir };
});
afterEach(() => rmSync(configDir, { recursive: true, force: true }));

const usageError = (text: string) => expect.objectContaining({ code: 'ERR_USAGE', message: expect.stringContaining(text) });

describe('where contexts are kept', () => {
  it('is RSB_CONFIG_DIR, else $XDG_CONFIG_HOME/rsb, else ~/.config/rsb', () => {
    expect(resolveConfigDir({ RSB_CONFIG_DIR: '/srv/rsb', XDG_CONFIG_HOME: '/x' })).toBe('/srv/rsb');
    expect(resolveConfigDir({ XDG_CONFIG_HOME: '/home/ada/.cfg' })).toBe('/home/ada/.cfg/rsb');
    expect(resolveConfigDir({})).toMatch(/\/\.config\/rsb$/);
  });

  it('saves contexts in one YAML file that only its owner can read', () => {
    addContext({ name: 'prod', brokers: ['10.0.0.5:9999', '10.0.0.6:9999'], admin: ['10.0.0.5:9998'], token: 'secret-token', description: 'production', env });
    const file = contextsFilePath(configDir);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('version: 1\ncontexts:\n  prod:\n    description: production\n    brokers:\n      - 10.0.0.5:9999\n      - 10.0.0.6:9999\n');
    expect(text).toContain('token: secret-token');
  });

  it('records a cluster with its state directory made absolute, so that it works from anywhere', () => {
    const added = addContext({ name: 'local', cluster: 'default', stateDir: 'relative/.rsb', env });
    expect(added.context).toEqual({ cluster: 'default', stateDir: path.resolve('relative/.rsb') });
  });
});

describe('rsb context add, use, ls, rm', () => {
  it('lists contexts sorted, with the current one; removing the current one leaves none current', () => {
    addContext({ name: 'prod', brokers: ['10.0.0.5:9999'], env });
    addContext({ name: 'dev', brokers: ['127.0.0.1:7000'], env, isUsed: true });
    expect(listContexts({ env })).toMatchObject({ current: 'dev', inUse: { name: 'dev', origin: CONTEXT_ORIGIN.CURRENT }, contexts: [{ name: 'dev' }, { name: 'prod' }] });
    useContext('prod', { env });
    expect(listContexts({ env }).current).toBe('prod');
    expect(removeContext('prod', { env })).toMatchObject({ wasCurrent: true });
    expect(listContexts({ env })).toMatchObject({ current: undefined, inUse: undefined, contexts: [{ name: 'dev' }] });
  });

  it('refuses to replace a context without being told to', () => {
    addContext({ name: 'prod', brokers: ['10.0.0.5:9999'], env });
    expect(() => addContext({ name: 'prod', brokers: ['10.0.0.7:9999'], env })).toThrowError(usageError('context prod exists'));
    expect(addContext({ name: 'prod', brokers: ['10.0.0.7:9999'], env, isReplacing: true })).toMatchObject({ isReplaced: true, context: { brokers: ['10.0.0.7:9999'] } });
  });

  it('checks what it saves: a name, brokers or a cluster (not both), addresses that parse', () => {
    expect(() => addContext({ name: '../x', brokers: ['10.0.0.5:9999'], env })).toThrowError(usageError('context name "../x" is not valid'));
    expect(() => addContext({ name: 'x', env })).toThrowError(usageError('context x needs --broker or --cluster'));
    expect(() => addContext({ name: 'x', brokers: ['10.0.0.5:9999'], cluster: 'ci', env })).toThrowError(usageError('not both'));
    expect(() => addContext({ name: 'x', brokers: ['nine'], env })).toThrowError(usageError('--broker "nine" is not host:port'));
    expect(() => addContext({ name: 'x', brokers: ['10.0.0.5:9999'], admin: ['admin'], env })).toThrowError(usageError('--admin "admin" is not host:port'));
  });

  it('names a context that does not exist, with the one it was probably meant to be', () => {
    addContext({ name: 'prod', brokers: ['10.0.0.5:9999'], env });
    expect(() => useContext('prd', { env })).toThrowError(expect.objectContaining({ code: 'ERR_USAGE', hint: 'Did you mean prod?' }));
    expect(() => chooseContext(undefined, { env: { ...env, RSB_CONTEXT: 'staging' } })).toThrowError(usageError('RSB_CONTEXT names "staging", which is not a saved context'));
  });

  it('reports a hand-edited file that does not fit as a usage error naming the field', () => {
    writeFileSync(contextsFilePath(configDir), 'version: 1\ncontexts:\n  prod:\n    brokers: [10.0.0.5:9999]\n    tokne: x\n');
    expect(() => listContexts({ env })).toThrowError(usageError('contexts.prod: Unrecognized key: "tokne"'));
  });
});

describe('where a command connects', () => {
  beforeEach(() => {
    addContext({ name: 'prod', brokers: ['10.0.0.5:9999'], admin: ['10.0.0.5:9998'], token: 'prod-token', env });
    addContext({ name: 'staging', brokers: ['10.0.1.5:9999'], token: 'staging-token', env, isUsed: true });
  });

  it('uses the current context when no flag and no RSB_CONTEXT says otherwise', () => {
    expect(resolveBrokerTarget({}, { env })).toEqual({
      brokers: [{ host: '10.0.1.5', port: 9999 }],
      cluster: undefined,
      stateDir: undefined,
      token: 'staging-token',
      admins: undefined,
      origin: TARGET_ORIGIN.CONTEXT,
      context: 'staging',
    });
  });

  it('lets RSB_CONTEXT pick another, and --context another still', () => {
    expect(resolveBrokerTarget({}, { env: { ...env, RSB_CONTEXT: 'prod' } })).toMatchObject({ context: 'prod', token: 'prod-token', admins: ['10.0.0.5:9998'] });
    expect(resolveBrokerTarget({ context: 'staging' }, { env: { ...env, RSB_CONTEXT: 'prod' } })).toMatchObject({ context: 'staging' });
  });

  it('puts flags first: a broker flag leaves every context out, its token too', () => {
    expect(resolveBrokerTarget({ broker: ['127.0.0.1:7000'] }, { env: { ...env, RSB_CONTEXT: 'prod' } })).toEqual({
      brokers: [{ host: '127.0.0.1', port: 7000 }],
      cluster: undefined,
      stateDir: undefined,
      token: undefined,
      admins: undefined,
      origin: TARGET_ORIGIN.FLAGS,
    });
    expect(resolveBrokerTarget({ cluster: 'ci', 'state-dir': '/tmp/state' }, { env })).toMatchObject({ brokers: [], cluster: 'ci', stateDir: '/tmp/state', origin: TARGET_ORIGIN.FLAGS });
  });

  it('lets --token override the context\'s token and keeps the rest of the context', () => {
    expect(resolveBrokerTarget({ token: 'mine' }, { env })).toMatchObject({ context: 'staging', brokers: [{ host: '10.0.1.5', port: 9999 }], token: 'mine' });
  });

  it('falls back to the default broker when no context is current', () => {
    useContext(undefined, { env });
    expect(resolveBrokerTarget({}, { env })).toEqual({ brokers: [{ host: '127.0.0.1', port: 9999 }], stateDir: undefined, token: undefined, origin: TARGET_ORIGIN.DEFAULT });
  });

  it("carries a context's TLS files to its own brokers only; a TLS flag overrides that one setting", () => {
    const [ca, cert, key, otherCa] = ['ca.pem', 'client.pem', 'client-key.pem', 'other-ca.pem'].map((name) => {
      const file = path.join(configDir, name);
      writeFileSync(file, 'PEM');
      return file;
    }) as [string, string, string, string];
    const added = addContext({ name: 'edge', brokers: ['tcps://10.0.2.5:9443'], tls: { ca, cert, key }, env });
    expect(added.context.tls).toEqual({ ca, cert, key });
    expect(resolveBrokerTarget({ context: 'edge' }, { env })).toMatchObject({ brokers: [{ transport: 'tcps', host: '10.0.2.5', port: 9443 }], tls: { ca, cert, key, isVerificationSkipped: false } });
    expect(resolveBrokerTarget({ context: 'edge', 'tls-ca': otherCa }, { env }).tls).toEqual({ ca: otherCa, cert, key, isVerificationSkipped: false });
    expect(resolveBrokerTarget({ context: 'edge', 'insecure-skip-tls-verify': true }, { env }).tls).toMatchObject({ ca, isVerificationSkipped: true });
    // A broker flag leaves the context out, its TLS files with it.
    expect(resolveBrokerTarget({ broker: ['tcps://10.0.2.5:9443'] }, { env: { ...env, RSB_CONTEXT: 'edge' } }).tls).toBeUndefined();
    expect(resolveBrokerTarget({ broker: ['tcps://10.0.2.5:9443'], 'tls-ca': otherCa }, { env: { ...env, RSB_CONTEXT: 'edge' } }).tls).toEqual({ ca: otherCa, isVerificationSkipped: false });
  });

  it('saves TLS files as absolute paths, and refuses a file it cannot read or a certificate without its key', () => {
    writeFileSync(path.join(configDir, 'ca.pem'), 'PEM');
    const relative = path.relative(process.cwd(), path.join(configDir, 'ca.pem'));
    expect(addContext({ name: 'edge', brokers: ['tcps://10.0.2.5:9443'], tls: { ca: relative }, env }).context.tls).toEqual({ ca: path.join(configDir, 'ca.pem') });
    expect(() => addContext({ name: 'x', brokers: ['tcps://10.0.2.5:9443'], tls: { ca: path.join(configDir, 'missing.pem') }, env })).toThrowError(usageError('cannot read --tls-ca file'));
    expect(() => addContext({ name: 'x', brokers: ['tcps://10.0.2.5:9443'], tls: { cert: path.join(configDir, 'ca.pem') }, env })).toThrowError(usageError('--tls-cert and --tls-key go together'));
  });

  it('refuses --context together with flags that name brokers', () => {
    expect(() => resolveBrokerTarget({ context: 'prod', broker: ['127.0.0.1:7000'] }, { env })).toThrowError(usageError('give --context or the brokers themselves'));
  });
});
