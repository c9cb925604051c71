import { Flags } from '@oclif/core';
import { RsbCommand } from '../../src/cli/index.js';
import { buildManifests, DEFAULT_KUBE_BROKERS, DEFAULT_KUBE_NAMESPACE, renderManifests, type KubeObject } from '../../src/kube/index.js';

export default class KubeManifests extends RsbCommand {
  static override summary = 'Print the Kubernetes objects of a cluster of brokers, as YAML.';
  static override description =
    'A StatefulSet of brokers (the pod IP advertised, probes on the admin /healthz and /readyz, a SIGTERM drain within the grace period, ' +
    'resource requests), a headless Service through which the brokers and their clients find every broker (dns:NAME:9999), a client ' +
    'Service, a PodDisruptionBudget and a ConfigMap with broker.yaml. Pipe it to `kubectl apply -f -`.';
  static override examples = [
    '<%= config.bin %> kube manifests --image registry.example/rsb:0.1.0 | kubectl apply -f -',
    '<%= config.bin %> kube manifests --brokers 5 --namespace edge --image rsb:0.1.0 --jwt-secret rsb-jwt --tls-secret rsb-tls',
  ];
  static override enableJsonFlag = true;

  static override flags = {
    brokers: Flags.integer({ description: 'Brokers (StatefulSet replicas).', default: DEFAULT_KUBE_BROKERS, min: 1 }),
    namespace: Flags.string({ description: 'Namespace of every object (also the cluster name).', default: DEFAULT_KUBE_NAMESPACE }),
    image: Flags.string({ description: 'The image with rsb in it (`npm run image` builds one).', required: true }),
    'tls-secret': Flags.string({ description: 'A kubernetes.io/tls Secret: the brokers listen with TLS on 9443 too, with its tls.crt and tls.key.' }),
    'jwt-secret': Flags.string({ description: 'A Secret whose key "secret" is the HS256 JWT secret: the brokers require a token.' }),
  };

  async run(): Promise<KubeObject[]> {
    const { flags } = await this.parse(KubeManifests);
    const objects = buildManifests({ brokers: flags.brokers, namespace: flags.namespace, image: flags.image, tlsSecret: flags['tls-secret'], jwtSecret: flags['jwt-secret'] });
    if (!this.jsonEnabled()) process.stdout.write(renderManifests(objects));
    return objects;
  }
}
