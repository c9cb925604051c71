/** `rsb kube`: the Kubernetes objects a cluster of brokers is made of, printed as YAML. */
export { buildManifests, renderManifests, DEFAULT_KUBE_BROKERS, DEFAULT_KUBE_NAMESPACE, type KubeObject, type KubeOptions } from './manifests.js';
