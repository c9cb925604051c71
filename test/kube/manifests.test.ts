import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { buildManifests, renderManifests, type KubeObject } from '../../src/kube/index.js';
import { loadBrokerConfig } from '../../src/start/index.js';
import { runRsb } from '../support/processes.js';

/** Each kind with its model from kubernetes-models, whose validate() checks it against the Kubernetes OpenAPI schema. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  ConfigMap: ConfigMap as never,
  Service: Service as never,
  StatefulSet: StatefulSet as never,
  PodDisruptionBudget: PodDisruptionBudget as never,
};

type Container = { args: string[]; env: { name: string; valueFrom?: { fieldRef?: { fieldPath: string }; secretKeyRef?: { name: string; key: string } } }[]; ports: { name: string; containerPort: number }[]; readinessProbe: { httpGet: { path: string; port: string } }; livenessProbe: { httpGet: { path: string; port: string } }; resources: { requests: Record<string, string> }; volumeMounts: { name: string; mountPath: string }[] };

function find(objects: readonly KubeObject[], kind: string, name?: string): KubeObject & { spec: any; data?: any } {
  const found = objects.find((object) => object.kind === kind && (name === undefined || object.metadata.name === name));
  if (!found) throw new Error(`no ${kind} ${name ?? ''}`);
  return found as never;
}

describe('rsb kube manifests', () => {
  const objects = buildManifests({ image: 'registry.example/rsb:0.1.0' });
  const statefulSet = find(objects, 'StatefulSet');
  const pod = statefulSet.spec.template;
  const container = pod.spec.containers[0] as Container;

  it('prints documents that each pass the Kubernetes schema of their kind', () => {
    expect(objects.map((object) => object.kind)).toEqual(['ConfigMap', 'Service', 'Service', 'StatefulSet', 'PodDisruptionBudget']);
    for (const options of [{ image: 'rsb:1' }, { image: 'rsb:1', brokers: 5, namespace: 'edge', tlsSecret: 'rsb-tls', jwtSecret: 'rsb-jwt' }]) {
      for (const object of buildManifests(options)) expect(() => new MODELS[object.kind]!(object as never).validate(), `${object.kind} ${object.metadata.name}`).not.toThrow();
    }
    // The schema check is real: a port that is not a number fails it.
    const broken = structuredClone(statefulSet) as any;
    broken.spec.template.spec.containers[0].ports[0].containerPort = 'rsocket';
    expect(() => new StatefulSet(broken).validate()).toThrowError(/containerPort must be integer/);
  });

  it('selects the StatefulSet\'s pods with both Services and the disruption budget', () => {
    const labels = pod.metadata.labels;
    expect(statefulSet.spec.selector.matchLabels).toEqual(labels);
    for (const service of objects.filter((object) => object.kind === 'Service')) expect((service as any).spec.selector).toEqual(labels);
    expect(find(objects, 'PodDisruptionBudget').spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: labels } });
    expect(objects.every((object) => object.metadata.namespace === 'rsb')).toBe(true);
  });

  it('has the brokers find each other through the headless Service, named by the StatefulSet', () => {
    const headless = find(objects, 'Service', 'rsb-brokers');
    expect(headless.spec.clusterIP).toBe('None');
    expect(statefulSet.spec.serviceName).toBe('rsb-brokers');
    const dir = mkdtempSync(path.join(tmpdir(), 'rsb-kube-'));
    try {
      const file = path.join(dir, 'broker.yaml');
      writeFileSync(file, find(objects, 'ConfigMap').data['broker.yaml']);
      const config = loadBrokerConfig(file);
      expect(config.peers).toEqual(['dns:rsb-brokers.rsb.svc.cluster.local:9999']);
      expect(config.admin).toEqual({ host: '0.0.0.0', port: 9998 });
      expect(config.drain).toBeLessThan(pod.spec.terminationGracePeriodSeconds * 1000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(container.volumeMounts).toContainEqual({ name: 'config', mountPath: '/etc/rsb', readOnly: true });
    expect(container.args.slice(0, 3)).toEqual(['start', '--config', '/etc/rsb/broker.yaml']);
  });

  it('probes the admin API, advertises the pod IP from the downward API and asks for resources', () => {
    const admin = container.ports.find((port) => port.name === 'admin')!;
    expect(admin.containerPort).toBe(9998);
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'admin' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'admin' });
    expect(container.args).toEqual(expect.arrayContaining(['--advertise', 'tcp://$(POD_IP):9999', '--id', '$(POD_NAME)']));
    expect(container.env).toContainEqual({ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } });
    expect(container.env).toContainEqual({ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } });
    expect(container.resources.requests).toEqual({ cpu: '250m', memory: '128Mi' });
  });

  it('mounts the TLS secret and reads the JWT secret when given them', () => {
    const secured = buildManifests({ image: 'rsb:1', tlsSecret: 'rsb-tls', jwtSecret: 'rsb-jwt' });
    const spec = find(secured, 'StatefulSet').spec.template.spec;
    const broker = spec.containers[0] as Container;
    expect(spec.volumes).toContainEqual({ name: 'tls', secret: { secretName: 'rsb-tls' } });
    expect(broker.args).toEqual(expect.arrayContaining(['--auth', 'jwt', '--tls-cert', '/etc/rsb/tls/tls.crt', '--advertise', 'tcps://$(POD_IP):9443']));
    expect(broker.env).toContainEqual({ name: 'RSB_JWT_SECRET', valueFrom: { secretKeyRef: { name: 'rsb-jwt', key: 'secret' } } });
    expect(find(secured, 'Service', 'rsb').spec.ports.map((port: { port: number }) => port.port)).toEqual([9999, 9443]);
  });

  it('prints them as one YAML stream from the command line, and refuses a bad namespace in one sentence', async () => {
    const printed = await runRsb(['kube', 'manifests', '--image', 'registry.example/rsb:0.1.0']);
    expect(printed.code, printed.stderr).toBe(0);
    expect(printed.stdout).toBe(renderManifests(objects));
    expect(parseAllDocuments(printed.stdout).map((document) => document.toJS() as KubeObject)).toEqual(objects);
    const bad = await runRsb(['kube', 'manifests', '--image', 'rsb:1', '--namespace', 'Not_A_Name']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('rsb: --namespace "Not_A_Name" is not a Kubernetes name');
  });
});
