import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkClusterName, readClusterState, resolveStateDir, STATE_DIR_ENV } from '../../src/client/index.js';
import { isBrokerProcess } from '../../src/cluster/index.js';
import { lockCluster } from '../../src/cluster/state.js';

describe('cluster state', () => {
  let dir: string;
  const savedEnv = process.env[STATE_DIR_ENV];
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'rsb-state-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    if (savedEnv === undefined) delete process.env[STATE_DIR_ENV];
    else process.env[STATE_DIR_ENV] = savedEnv;
  });

  it('takes the state directory from the flag, else RSB_STATE_DIR, else .rsb in the working directory', () => {
    process.env[STATE_DIR_ENV] = '/tmp/from-env';
    expect(resolveStateDir('relative/dir')).toBe(path.resolve('relative/dir'));
    expect(resolveStateDir()).toBe('/tmp/from-env');
    delete process.env[STATE_DIR_ENV];
    expect(resolveStateDir()).toBe(path.resolve('.rsb'));
  });

  it.each(['', '../escape', 'a/b', '.hidden', 'x'.repeat(65)])('refuses the cluster name %j', (name) => {
    expect(() => checkClusterName(name)).toThrow(expect.objectContaining({ code: 'ERR_USAGE' }));
  });

  it('refuses a second lock on a cluster while the first is held, and allows it once released', () => {
    const unlock = lockCluster(dir, 'c');
    expect(() => lockCluster(dir, 'c')).toThrow(expect.objectContaining({ code: 'ERR_CLUSTER_BUSY', message: expect.stringContaining(String(process.pid)) }));
    expect(() => lockCluster(dir, 'other')()).not.toThrow();
    unlock();
    lockCluster(dir, 'c')();
  });

  it('takes over a lock left by a process that no longer runs', () => {
    const gone = spawnSync(process.execPath, ['-e', '0']).pid;
    writeFileSync(path.join(dir, 'c.lock'), String(gone));
    expect(() => lockCluster(dir, 'c')()).not.toThrow();
  });

  it('does not take a pid that runs another program, or none, for a broker', () => {
    const gone = spawnSync(process.execPath, ['-e', '0']).pid;
    expect(isBrokerProcess(gone, 'c-1', path.join(dir, 'c.json'))).toBe(false);
    // This test process runs, but it is not `rsb start --id c-1 --cluster-file ...`.
    expect(isBrokerProcess(process.pid, 'c-1', path.join(dir, 'c.json'))).toBe(false);
  });

  it('reports a state file that is not JSON as ERR_CLUSTER_STATE, and a missing one as no state', () => {
    expect(readClusterState(dir, 'c')).toBeUndefined();
    writeFileSync(path.join(dir, 'c.json'), '{"version": 1, "name": "c", "brokers": [');
    expect(() => readClusterState(dir, 'c')).toThrow(expect.objectContaining({ code: 'ERR_CLUSTER_STATE' }));
  });
});
