import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServicesReport } from '../../src/call/index.js';
import { stateFilePath, type ClusterState } from '../../src/client/index.js';
import { destroyLab, labTag, type ClusterStatusReport, type PartitionResult, type StartClusterResult, type StopClusterResult } from '../../src/cluster/index.js';
import { isProcessRunning } from '../../src/process/index.js';
import { labLeftovers } from '../support/lab.js';
import { makeStateDir, runCluster } from '../support/cluster.js';
import { RsbProcess, runRsb } from '../support/processes.js';

/** A cluster name of its own per run: two checkouts testing at once build different labs. */
const NAME = `t${process.pid}`;

describe('rsb cluster up --hosts: a lab of hosts in network namespaces', () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** Whatever happens, the lab goes: its namespaces (and whatever runs in them), links, bridge and dnsmasq. */
  function labStateDir(): string {
    const { dir, remove } = makeStateDir();
    cleanups.push(remove);
    cleanups.push(() => destroyLab(labTag(dir, NAME), path.join(dir, NAME, 'dns', 'dnsmasq.pid')));
    return dir;
  }

  it('puts each broker on a host of its own, found through the lab DNS, reachable by mocks and calls, cut off and healed, and removes it all', async () => {
    const dir = labStateDir();
    const up = await runCluster(dir, ['cluster', 'up', '-n', '3', '--hosts', '--name', NAME, '--json'], 60_000);
    expect(up.code, up.stderr).toBe(0);
    const { state } = JSON.parse(up.stdout) as StartClusterResult;
    const lab = state.lab!;
    expect(lab.subnet).toMatch(/^10\.213\.\d+\.0\/24$/);
    expect(state.brokers.map((broker) => [broker.id, broker.netns, broker.port])).toEqual([1, 2, 3].map((n) => [`${NAME}-${n}`, `rsb-${lab.tag}-${n}`, 9999]));
    const hosts = state.brokers.map((broker) => broker.host);
    expect(new Set(hosts).size).toBe(3);
    for (const host of hosts) expect(host.startsWith(lab.subnet.replace(/0\/24$/, ''))).toBe(true);

    const status = await runCluster(dir, ['cluster', 'status', '--name', NAME]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain(`cluster ${NAME}: 3/3 brokers up on hosts of lab ${lab.bridge}`);
    for (const broker of state.brokers) expect(status.stdout).toMatch(new RegExp(`${broker.id}\\s+${broker.netns}\\s+${broker.host.replace(/\./g, '\\.')}:9999\\s+${broker.pid}\\s+up`));

    // A mock given the lab's name registers on every broker behind it, across the bridge.
    const name = `dns:${lab.dnsName}:9999`;
    const mock = new RsbProcess(['mock', 'svc', '--broker', name, '--dns-server', lab.dnsServer, '--keepalive-lifetime', '1s']);
    cleanups.push(() => mock.stop());
    await mock.waitForOutput(/rsb mock svc ready: 1 instance on /, 20_000);
    const services = await runRsb(['services', '--broker', name, '--dns-server', lab.dnsServer, '--json']);
    expect(services.code, services.stderr).toBe(0);
    const report = JSON.parse(services.stdout) as ServicesReport;
    expect(report.brokers.map((entry) => [entry.broker, entry.services.map((service) => service.key)])).toEqual(state.brokers.map((broker) => [broker.id, ['svc']]));
    const answer = await runCluster(dir, ['call', 'svc.echo', '-d', 'across', '--cluster', NAME]);
    expect({ code: answer.code, stdout: answer.stdout }, answer.stderr).toEqual({ code: 0, stdout: 'across\n' });

    // Cut off, a broker neither answers nor is answered; healed, the mock is back on it.
    const partition = await runCluster(dir, ['cluster', 'partition', `${NAME}-2`, '--for', '3s', '--name', NAME, '--json']);
    expect(partition.code, partition.stderr).toBe(0);
    expect(JSON.parse(partition.stdout) as PartitionResult).toMatchObject({ broker: `${NAME}-2`, host: `rsb-${lab.tag}-2`, wasInterrupted: false });
    await mock.waitForOutput(new RegExp(`- lost ${NAME}-2 .*no frame from the peer within its 1000 ms lifetime`), 5_000);
    await mock.waitForOutput(new RegExp(`\\+ back on ${NAME}-2 .*registered again`), 10_000);

    const capped = await runCluster(dir, ['cluster', 'bandwidth', '3', '--rate', '1mbit', '--for', '1s', '--name', NAME]);
    expect(capped.code, capped.stderr).toBe(0);
    expect(capped.stdout).toContain(`capped ${NAME}-3 (host rsb-${lab.tag}-3) at 1mbit both ways for 1.0 s`);

    await mock.stop();
    const down = await runCluster(dir, ['cluster', 'down', '--name', NAME, '--json']);
    expect(down.code, down.stderr).toBe(0);
    expect((JSON.parse(down.stdout) as StopClusterResult).lab).toEqual({ subnet: lab.subnet, bridge: lab.bridge, hosts: 3 });
    expect(await labLeftovers([lab.tag])).toEqual([]);
    expect(isProcessRunning(lab.dnsmasqPid)).toBe(false);
    for (const broker of state.brokers) expect(isProcessRunning(broker.pid)).toBe(false);
  }, 120_000);

  it('runs a TLS lab: certificates naming each host, brokers on tcps finding each other over it, clients trusting its CA', async () => {
    const dir = labStateDir();
    const up = await runCluster(dir, ['cluster', 'up', '-n', '2', '--hosts', '--tls', '--name', NAME, '--json'], 60_000);
    expect(up.code, up.stderr).toBe(0);
    const { state } = JSON.parse(up.stdout) as StartClusterResult;
    const lab = state.lab!;
    expect(state.brokers.map((broker) => broker.uris)).toEqual(state.brokers.map((broker) => [`tcps://${broker.host}:9999`]));
    // A mock given the lab's name on tcps and the CA registers on both brokers; a call by --cluster trusts the CA from the state.
    const mock = new RsbProcess(['mock', 'svc', '--broker', `dns+tcps://${lab.dnsName}:9999`, '--dns-server', lab.dnsServer, '--tls-ca', state.tls!.ca]);
    cleanups.push(() => mock.stop());
    await mock.waitForOutput(new RegExp(`rsb mock svc ready: 1 instance on ${state.brokers.map((broker) => `tcps://${broker.host.replace(/\./g, '\\.')}:9999`).join(', ')}`), 20_000);
    const answer = await runCluster(dir, ['call', 'svc.echo', '-d', 'across tls', '--cluster', NAME]);
    expect({ code: answer.code, stdout: answer.stdout }, answer.stderr).toEqual({ code: 0, stdout: 'across tls\n' });
    const status = JSON.parse((await runCluster(dir, ['cluster', 'status', '--name', NAME, '--json'])).stdout) as ClusterStatusReport;
    expect(status.up).toBe(2);
    await mock.stop();
    const down = await runCluster(dir, ['cluster', 'down', '--name', NAME]);
    expect(down.code, down.stderr).toBe(0);
    expect(await labLeftovers([lab.tag])).toEqual([]);
  }, 120_000);

  it('cleans up what a killed run left behind when it is started again', async () => {
    const dir = labStateDir();
    const first = await runCluster(dir, ['cluster', 'up', '-n', '2', '--hosts', '--name', NAME, '--json'], 60_000);
    expect(first.code, first.stderr).toBe(0);
    const before = (JSON.parse(first.stdout) as StartClusterResult).state;
    // As if `up` had been killed before it wrote its state: its namespaces, brokers and dnsmasq run on, unrecorded.
    rmSync(stateFilePath(dir, NAME));
    const again = await runCluster(dir, ['cluster', 'up', '-n', '2', '--hosts', '--name', NAME, '--json'], 60_000);
    expect(again.code, again.stderr).toBe(0);
    const after = (JSON.parse(again.stdout) as StartClusterResult).state as ClusterState;
    for (const broker of before.brokers) expect(isProcessRunning(broker.pid)).toBe(false);
    expect(isProcessRunning(before.lab!.dnsmasqPid)).toBe(false);
    expect(await labLeftovers([after.lab!.tag])).toEqual([`namespace rsb-${after.lab!.tag}-1`, `namespace rsb-${after.lab!.tag}-2`, `link rsb-${after.lab!.tag}`, `link rsb-${after.lab!.tag}-1`, `link rsb-${after.lab!.tag}-2`]);
    const status = JSON.parse((await runCluster(dir, ['cluster', 'status', '--name', NAME, '--json'])).stdout) as ClusterStatusReport;
    expect(status.up).toBe(2);
    const down = await runCluster(dir, ['cluster', 'down', '--name', NAME]);
    expect(down.code, down.stderr).toBe(0);
    expect(await labLeftovers([after.lab!.tag])).toEqual([]);
  }, 120_000);

  it('says in one sentence what is missing, and exits 2, where the lab cannot run', async () => {
    const dir = labStateDir();
    // A PATH with `ip` but no dnsmasq.
    const bin = mkdtempSync(path.join(tmpdir(), 'rsb-path-'));
    cleanups.push(() => rmSync(bin, { recursive: true, force: true }));
    symlinkSync('/usr/sbin/ip', path.join(bin, 'ip'));
    const up = await runRsb(['cluster', 'up', '--hosts', '--name', NAME, '--state-dir', dir], { env: { PATH: bin } });
    expect(up.code).toBe(2);
    expect(up.stderr).toContain('rsb: the host lab needs dnsmasq (Debian: apt-get install dnsmasq-base), which this machine lacks');
  });
});
