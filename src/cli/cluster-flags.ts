import { Flags } from '@oclif/core';

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
    description:
      'Broker address HOST:PORT (repeatable). The other brokers of its cluster are learned from the list it pushes. ' +
      'dns:NAME:PORT stands for every A/AAAA record of NAME, followed as the answer changes.',
    multiple: true,
  }),
  cluster: Flags.string({ description: 'Use every broker of this cluster (see `rsb cluster up`).', exclusive: ['broker'] }),
  'state-dir': CLUSTER_FLAGS['state-dir'],
  'dns-server': Flags.string({ description: 'Resolver of the dns: brokers, IP[:PORT] (default: the system resolver).', env: 'RSB_DNS_SERVER' }),
};
