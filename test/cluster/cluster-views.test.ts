import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServicesReport } from '../../src/call/index.js';
import { EXIT_CODE } from '../../src/cli/exit-codes.js';
import type { StatusReport } from '../../src/status/index.js';
import { killClusterProcesses } from '../support/cluster.js';
import { RsbProcess, runRsb } from '../support/processes.js';

/**
 * A three-broker cluster as a new user runs it: `rsb cluster up` in a directory (its state
 * in ./.rsb), a mock on every broker, then `rsb status` and `rsb services` with no flags
 * but --cluster, and `rsb cluster down` under the mock's feet.
 */
describe('a three-broker cluster seen by status, services and its mock', { timeout: 90_000 }, () => {
  const work = mkdtempSync(path.join(tmpdir(), 'rsb-views-'));
  const stateFile = path.join(work, '.rsb', 'default.json');
  const rsb = (args: string[]) => runRsb(args, { cwd: work, timeoutMs: 40_000 });
  let mock: RsbProcess;

  beforeAll(async () => {
    const up = await rsb(['cluster', 'up', '-n', '3', '--base-port', '0']);
    expect(up.code, up.stderr).toBe(EXIT_CODE.OK);
    mock = new RsbProcess(['mock', 'svc', '--cluster', 'default'], {}, work);
    await mock.waitForOutput(/rsb mock svc ready: 1 instance on 127\.0\.0\.1:\d+, 127\.0\.0\.1:\d+, 127\.0\.0\.1:\d+\n/, 20_000);
  }, 60_000);

  afterAll(async () => {
    await mock?.stop();
    await rsb(['cluster', 'down']);
    killClusterProcesses(stateFile);
    rmSync(work, { recursive: true, force: true });
  });

  it('rsb status with no flag reads every broker of the running cluster and ends with the cluster total', async () => {
    const { code, stdout, stderr } = await rsb(['status']);
    expect(code, stderr).toBe(EXIT_CODE.OK);
    expect(stdout.match(/^● default-\d on 127\.0\.0\.1:\d+ \(admin 127\.0\.0\.1:\d+\), up /gm)).toHaveLength(3);
    // The mock's one instance is registered on each broker: three registrations, one instance.
    expect(stdout).toMatch(/\n\ncluster default: 3 of 3 brokers up, \d+ connections, 1 service, 1 instance, \d+ routed, 0 rejected\n$/);
    const json = JSON.parse((await rsb(['status', '--json'])).stdout) as StatusReport;
    expect(json.brokers.map((broker) => broker.cluster)).toEqual(['default', 'default', 'default']);
    expect(json.clusters).toEqual([expect.objectContaining({ name: 'default', brokers: 3, brokersUp: 3, services: 1, instances: 1 })]);
  });

  it('rsb services --cluster lists the instance registered on three brokers once, with its brokers', async () => {
    const { code, stdout, stderr } = await rsb(['services', '--cluster', 'default']);
    expect(code, stderr).toBe(EXIT_CODE.OK);
    expect(stdout).toContain('3 brokers: 1 service, 1 instance\n');
    const rows = stdout.split('\n').filter((line) => line.startsWith('svc '));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatch(/^svc +rsb-mock-svc +[0-9a-f-]{36} +127\.0\.0\.1 \(3 connections\) +default-1, default-2, default-3 +0 +\S+ ago$/);
    const json = JSON.parse((await rsb(['services', '--cluster', 'default', '--json'])).stdout) as ServicesReport;
    expect(json.instances).toEqual([expect.objectContaining({ service: 'svc', brokers: ['default-1', 'default-2', 'default-3'] })]);
  });

  it('the mock says once per broker that it is lost and unreachable instead of a line per retry, and sums up now and then', async () => {
    const before = mock.stdout.length;
    const down = await rsb(['cluster', 'down']);
    expect(down.code, down.stderr).toBe(EXIT_CODE.OK);
    // 22 s: the mock used to print 48 lines in 12 s (a line per broker and retry); a summary comes every 10 s for brokers away 10 s or more.
    await new Promise((resolve) => setTimeout(resolve, 22_000));
    const lines = mock.stdout.slice(before).split('\n').filter(Boolean);
    const lost = lines.filter((line) => /^- lost default-\d \(127\.0\.0\.1:\d+\): .*; reconnecting$/.test(line));
    // A line when a broker cannot be reached, and again only if why changes (a redial may meet it still closing).
    const unreachable = lines.filter((line) => /^ {2}cannot reach default-\d \(127\.0\.0\.1:\d+\): .+; retrying$/.test(line));
    const summaries = lines.filter((line) => /^ {2}still unreachable, retrying: default-\d \(127\.0\.0\.1:\d+\) for \d+s, default-\d .* for \d+s, default-\d .* for \d+s$/.test(line));
    expect(lost, lines.join('\n')).toHaveLength(3);
    for (const broker of ['default-1', 'default-2', 'default-3']) {
      const said = unreachable.filter((line) => line.includes(`cannot reach ${broker} `));
      expect(said.length, lines.join('\n')).toBeGreaterThanOrEqual(1);
      expect(said.length, lines.join('\n')).toBeLessThanOrEqual(2);
      expect(said.at(-1), lines.join('\n')).toMatch(/: ECONNREFUSED; retrying$/);
    }
    // Every 10 s, for brokers away at least that long: once or twice in 22 s, depending on where the timer stood.
    expect(summaries.length, lines.join('\n')).toBeGreaterThanOrEqual(1);
    expect(summaries.length, lines.join('\n')).toBeLessThanOrEqual(2);
    expect(lines.length - lost.length - unreachable.length - summaries.length, lines.join('\n')).toBe(0);
  });
});
