import { Flags } from '@oclif/core';
import type { TlsClientFiles } from '../client/index.js';

/** `--name` and `--state-dir`, shared by the `rsb cluster` commands. */
export const CLUSTER_FLAGS = {
  name: Flags.string({ description: 'Name of the cluster.', default: 'default' }),
  'state-dir': Flags.string({
    description: 'Directory of the cluster state files and broker logs (default: .rsb in the working directory).',
    env: 'RSB_STATE_DIR',
  }),
};

/**
 * `--broker` and `--cluster`, for every command that talks to brokers: a named cluster
 * from its state file, or any one broker (the rest of its cluster is learned from the
 * list its brokers push).
 */
export const BROKER_TARGET_FLAGS = {
  broker: Flags.string({
    description: 'Broker address HOST:PORT (repeatable). The other brokers of its cluster are learned from the list it pushes.',
    multiple: true,
  }),
  cluster: Flags.string({ description: 'Use every broker of this cluster (see `rsb cluster up`).', exclusive: ['broker'] }),
  'state-dir': CLUSTER_FLAGS['state-dir'],
  'tls-ca': Flags.string({ description: 'PEM CA to trust for tcps:// and wss:// brokers (default: Node\'s trusted CAs, or the CA of a TLS cluster).' }),
  'tls-cert': Flags.string({ description: 'PEM client certificate, for brokers that ask for one (mTLS); with --tls-key.' }),
  'tls-key': Flags.string({ description: 'PEM private key of --tls-cert.' }),
  'insecure-skip-tls-verify': Flags.boolean({ description: 'Development only: accept any broker certificate, unverified.', default: false }),
};

/** The TLS files of BROKER_TARGET_FLAGS, as paths. */
export function readTlsFlags(flags: { 'tls-ca'?: string | undefined; 'tls-cert'?: string | undefined; 'tls-key'?: string | undefined; 'insecure-skip-tls-verify'?: boolean | undefined }): TlsClientFiles {
  return { ca: flags['tls-ca'], cert: flags['tls-cert'], key: flags['tls-key'], isVerificationSkipped: flags['insecure-skip-tls-verify'] };
}
