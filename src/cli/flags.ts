import { Flags } from '@oclif/core';
import { DEFAULT_BROKER_PORT } from '../protocol/index.js';
import { INTERACTION, type Interaction } from '../transport/index.js';
import { parseMode } from './parse.js';

/*
 * Flags that several commands share, defined once so that each reads and behaves the same
 * everywhere: one spelling per concept, and a one-letter form means the same flag in every
 * command that has it (test/cli/flags.test.ts checks both on the manifest).
 */

/**
 * What `--help` shows as a flag's default when the flag has none of its own (its value
 * comes from a config file, a scenario or a context, which the flag overrides). oclif
 * writes it into the manifest as the flag's default, for help to show as `[default: ...]`.
 */
export function defaultShown(text: string): () => Promise<string> {
  return async () => text;
}

/** `--state-dir`: where `rsb cluster up` keeps a cluster's state file and logs. */
export const STATE_DIR_FLAG = Flags.string({
  description: 'Directory of the cluster state files and broker logs.',
  env: 'RSB_STATE_DIR',
  defaultHelp: defaultShown('.rsb in the working directory'),
});

/** `--name` and `--state-dir`, shared by the `rsb cluster` commands. */
export const CLUSTER_FLAGS = {
  name: Flags.string({ description: 'Name of the cluster.', default: 'default', aliases: ['cluster'] }),
  'state-dir': STATE_DIR_FLAG,
};

/**
 * `--token`: every command that connects to a broker passes it to the SETUP
 * (`PeerConnection` option `token`, the SDK's `token`), for brokers started with `--auth jwt`.
 */
export const TOKEN_FLAG = Flags.string({
  description: "Bearer token (JWT, see `rsb token create`) sent in SETUP, for a broker started with --auth jwt; overrides the context's.",
  env: 'RSB_TOKEN',
});

/**
 * What a client trusts and shows on TLS (tcps:// and wss:// brokers), for every command
 * that connects and for `rsb context add`: a flag given with a context overrides that one
 * setting of it; a TLS cluster's state supplies its CA and client certificate.
 */
export const TLS_CLIENT_FLAGS = {
  'tls-ca': Flags.string({
    description: 'PEM CA to trust for tcps:// and wss:// brokers.',
    defaultHelp: defaultShown("the context's, a TLS cluster's CA, else Node's trusted CAs"),
  }),
  'tls-cert': Flags.string({
    description: 'PEM client certificate, for brokers that ask for one (mTLS); with --tls-key.',
    defaultHelp: defaultShown("the context's, a TLS cluster's, else none"),
  }),
  'tls-key': Flags.string({ description: 'PEM private key of --tls-cert.' }),
  'insecure-skip-tls-verify': Flags.boolean({ description: 'Development only: accept any broker certificate, unverified.', default: false }),
};

/**
 * Where a command connects, for every command that talks to brokers: brokers by address
 * (the rest of their cluster is learned from the list they push), a named cluster from its
 * state file, or a saved context; with none of them, RSB_CONTEXT's context, the current
 * context, or the broker on 127.0.0.1:9999 (src/context, `resolveBrokerTarget`).
 */
export const BROKER_TARGET_FLAGS = {
  broker: brokerFlag(undefined, `the context's, else 127.0.0.1:${DEFAULT_BROKER_PORT}`),
  cluster: Flags.string({ description: 'Every broker of this cluster (see `rsb cluster up`).', exclusive: ['broker', 'context'] }),
  context: contextFlag(['broker', 'cluster']),
  'state-dir': STATE_DIR_FLAG,
  token: TOKEN_FLAG,
  'dns-server': Flags.string({
    description: 'Resolver of dns: broker names, IP[:PORT].',
    env: 'RSB_DNS_SERVER',
    defaultHelp: defaultShown('the system resolver'),
  }),
  ...TLS_CLIENT_FLAGS,
};

/** `--context NAME`: a saved context instead of the current one; it goes with no flag that names brokers itself (`exclusive`). */
export function contextFlag(exclusive: string[]) {
  return Flags.string({ description: 'Saved context to use instead of the current one (see `rsb context`); RSB_CONTEXT does the same.', exclusive });
}

/** `--broker`, with the description a command needs when its brokers are used differently (`rsb services` asks only those given). */
export function brokerFlag(
  description = 'Broker address HOST:PORT, or a URI: tcp://, tcps:// (TLS), ws://HOST:PORT/PATH, wss:// (repeatable). The other brokers of its cluster are learned from the list it pushes. ' +
    'dns:NAME:PORT (dns+tcps://NAME:PORT, ...) stands for every A/AAAA record of NAME, followed as the answer changes.',
  shownDefault?: string,
) {
  return Flags.string({ char: 'b', description, multiple: true, exclusive: ['cluster', 'context'], ...(shownDefault ? { defaultHelp: defaultShown(shownDefault) } : {}) });
}

/**
 * `--mode`: the interaction model by its RSocket name, the same values in `rsb call` and
 * `rsb load` (and a scenario's `mode:`). The short forms rsb took before (`stream`,
 * `channel`, `rr`, `fnf`) are still read, so that scripts keep working, but not shown.
 */
export const MODE_FLAG = Flags.custom<Interaction>({
  char: 'm',
  description: 'Interaction model.',
  helpValue: Object.values(INTERACTION).join('|'),
  parse: async (text) => parseMode(text),
});
