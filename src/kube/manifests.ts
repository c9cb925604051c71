import { stringify } from 'yaml';
import { UsageError } from '../errors.js';
import { DEFAULT_ADMIN_PORT, DEFAULT_BROKER_PORT } from '../protocol/index.js';

/** `rsb kube manifests`: what the brokers of a cluster on Kubernetes are made of. */
export interface KubeOptions {
  /** Brokers (StatefulSet replicas). Default 3. */
  brokers?: number;
  /** The namespace every object is in. Default `rsb`. */
  namespace?: string;
  /** The image with rsb in it (`npm run image` builds one). */
  image: string;
  /** A Secret of type kubernetes.io/tls: the brokers listen with TLS too (tcps on 9443) with its tls.crt and tls.key. */
  tlsSecret?: string | undefined;
  /** A Secret whose key `secret` is the HS256 JWT secret: the brokers require a token. */
  jwtSecret?: string | undefined;
}

/** One Kubernetes object, as plain data. */
export type KubeObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> } } & Record<string, unknown>;

export const DEFAULT_KUBE_BROKERS = 3;
export const DEFAULT_KUBE_NAMESPACE = 'rsb';
/** The pod's grace period on SIGTERM; the drain takes most of it, so the broker exits before Kubernetes kills it. */
const GRACE_SECONDS = 30;
const DRAIN = '20s';
const TLS_PORT = 9443;
const CONFIG_DIR = '/etc/rsb';
const BROKER_CONFIG_FILE = 'broker.yaml';
const TLS_DIR = '/etc/rsb/tls';

/** The names and labels every object shares: the StatefulSet's pods are what both Services and the budget select. */
function naming(namespace: string): { labels: Record<string, string>; headless: string; client: string; app: string; fqdn: string } {
  const app = 'rsb-broker';
  const headless = 'rsb-brokers';
  return {
    app,
    headless,
    client: 'rsb',
    labels: { 'app.kubernetes.io/name': 'rsb', 'app.kubernetes.io/component': 'broker' },
    fqdn: `${headless}.${namespace}.svc.cluster.local`,
  };
}

/**
 * The brokers of one cluster on Kubernetes, as `rsb kube manifests` prints them:
 *
 * - a headless Service: one DNS record per ready pod, which every broker resolves to find
 *   the others (`--peers dns:rsb-brokers.NS.svc.cluster.local:9999`) and clients take as
 *   `--broker dns:…` to reach them all; a draining pod (readiness off) leaves its answer;
 * - a client Service: one stable address for clients that then follow the pushed list;
 * - a StatefulSet: stable pod names as broker ids, the pod IP (downward API) advertised,
 *   probes on the admin API (/healthz, /readyz), resource requests, and a SIGTERM drain
 *   (`drain` in broker.yaml) shorter than the grace period;
 * - a PodDisruptionBudget: voluntary evictions take one broker at a time;
 * - a ConfigMap holding broker.yaml (docs/config.md).
 */
export function buildManifests(options: KubeOptions): KubeObject[] {
  const brokers = options.brokers ?? DEFAULT_KUBE_BROKERS;
  const namespace = options.namespace ?? DEFAULT_KUBE_NAMESPACE;
  checkOptions(brokers, namespace, options.image);
  const { labels, headless, client, app, fqdn } = naming(namespace);
  const metadata = (name: string): KubeObject['metadata'] => ({ name, namespace, labels });
  const hasTls = options.tlsSecret !== undefined;
  const ports = [
    { name: 'rsocket', port: DEFAULT_BROKER_PORT, targetPort: 'rsocket', protocol: 'TCP' },
    ...(hasTls ? [{ name: 'rsocket-tls', port: TLS_PORT, targetPort: 'rsocket-tls', protocol: 'TCP' }] : []),
  ];
  const brokerConfig = {
    host: '0.0.0.0',
    port: DEFAULT_BROKER_PORT,
    admin: { host: '0.0.0.0', port: DEFAULT_ADMIN_PORT },
    clusterName: namespace,
    peers: [`dns:${fqdn}:${DEFAULT_BROKER_PORT}`],
    dnsInterval: '5s',
    drain: DRAIN,
  };
  const args = [
    'start',
    '--config',
    `${CONFIG_DIR}/${BROKER_CONFIG_FILE}`,
    '--id',
    '$(POD_NAME)',
    '--advertise',
    `tcp://$(POD_IP):${DEFAULT_BROKER_PORT}`,
    ...(options.jwtSecret !== undefined ? ['--auth', 'jwt'] : []),
    // The TLS listener (the transports issue's --listen and certificate flags): advertised second, in listener order.
    ...(hasTls ? ['--listen', `tcps://0.0.0.0:${TLS_PORT}`, '--tls-cert', `${TLS_DIR}/tls.crt`, '--tls-key', `${TLS_DIR}/tls.key`, '--advertise', `tcps://$(POD_IP):${TLS_PORT}`] : []),
  ];
  const probe = (path: string, periodSeconds: number, failureThreshold: number) => ({
    httpGet: { path, port: 'admin' },
    periodSeconds,
    timeoutSeconds: 2,
    failureThreshold,
  });
  return [
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: metadata(app), data: { [BROKER_CONFIG_FILE]: stringify(brokerConfig) } },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: metadata(headless),
      spec: {
        clusterIP: 'None',
        // Only ready pods are answered: a broker draining (readiness off) leaves the name, and the others drop it from their lists.
        publishNotReadyAddresses: false,
        selector: labels,
        ports,
      },
    },
    { apiVersion: 'v1', kind: 'Service', metadata: metadata(client), spec: { type: 'ClusterIP', selector: labels, ports } },
    {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: metadata(app),
      spec: {
        serviceName: headless,
        replicas: brokers,
        // Brokers are independent: they start and stop side by side, not one after another.
        podManagementPolicy: 'Parallel',
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            terminationGracePeriodSeconds: GRACE_SECONDS,
            securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000 },
            containers: [
              {
                name: 'broker',
                image: options.image,
                args,
                env: [
                  { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                  { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
                  { name: 'CI', value: '1' },
                  ...(options.jwtSecret !== undefined ? [{ name: 'RSB_JWT_SECRET', valueFrom: { secretKeyRef: { name: options.jwtSecret, key: 'secret' } } }] : []),
                ],
                ports: [
                  { name: 'rsocket', containerPort: DEFAULT_BROKER_PORT, protocol: 'TCP' },
                  ...(hasTls ? [{ name: 'rsocket-tls', containerPort: TLS_PORT, protocol: 'TCP' }] : []),
                  { name: 'admin', containerPort: DEFAULT_ADMIN_PORT, protocol: 'TCP' },
                ],
                readinessProbe: probe('/readyz', 2, 1),
                livenessProbe: { ...probe('/healthz', 10, 3), initialDelaySeconds: 5 },
                resources: { requests: { cpu: '250m', memory: '128Mi' }, limits: { memory: '512Mi' } },
                volumeMounts: [
                  { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
                  ...(hasTls ? [{ name: 'tls', mountPath: TLS_DIR, readOnly: true }] : []),
                ],
              },
            ],
            volumes: [
              { name: 'config', configMap: { name: app } },
              ...(hasTls ? [{ name: 'tls', secret: { secretName: options.tlsSecret } }] : []),
            ],
          },
        },
      },
    },
    { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: metadata(app), spec: { maxUnavailable: 1, selector: { matchLabels: labels } } },
  ];
}

/** Every object as one YAML stream, `---` between documents, as `kubectl apply -f -` takes it. */
export function renderManifests(objects: readonly KubeObject[]): string {
  // No anchors: the labels each object repeats are written out, as kubectl users read them.
  return objects.map((object) => stringify(object, { lineWidth: 0, aliasDuplicateObjects: false })).join('---\n');
}

/** A Kubernetes name: a DNS-1123 label. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

function checkOptions(brokers: number, namespace: string, image: string): void {
  if (!Number.isInteger(brokers) || brokers < 1) throw new UsageError(`--brokers ${brokers} must be a whole number of 1 or more`);
  if (!DNS_LABEL.test(namespace)) throw new UsageError(`--namespace ${JSON.stringify(namespace)} is not a Kubernetes name`, 'Use lowercase letters, digits and dashes, up to 63.');
  if (image.trim() === '' || /\s/.test(image)) throw new UsageError(`--image ${JSON.stringify(image)} is not an image reference`, 'Give one like registry.example/rsb:0.1.0.');
}
