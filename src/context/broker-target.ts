import { parseHostPort, resolveBrokerSources, resolveBrokerTlsFiles, type BrokerSource, type TlsClientFiles } from '../client/index.js';
import { UsageError } from '../errors.js';
import { formatHostPort } from '../protocol/index.js';
import { chooseContext, type ContextStoreOptions } from './context-store.js';

/** Where the brokers a command connects to were named. */
export const TARGET_ORIGIN = {
  /** `--broker`, `--cluster` or `--admin` on the command line. */
  FLAGS: 'flags',
  /** A saved context: `--context`, RSB_CONTEXT or the current one. */
  CONTEXT: 'context',
  /** Nothing said where: the command's own default (the broker on 127.0.0.1:9999). */
  DEFAULT: 'default',
} as const;
export type TargetOrigin = (typeof TARGET_ORIGIN)[keyof typeof TARGET_ORIGIN];

/** The flags of every command that connects (src/cli's BROKER_TARGET_FLAGS), as oclif parses them: a command passes its `flags`. */
export interface TargetFlags {
  broker?: readonly string[] | undefined;
  cluster?: string | undefined;
  /** Admin API addresses (`rsb status --admin`). */
  admin?: readonly string[] | undefined;
  context?: string | undefined;
  'state-dir'?: string | undefined;
  token?: string | undefined;
  /** The resolver of `dns:` broker names (`--dns-server`). */
  'dns-server'?: string | undefined;
  /** TLS (src/cli's TLS_CLIENT_FLAGS): what a client trusts and shows to tcps:// and wss:// brokers. */
  'tls-ca'?: string | undefined;
  'tls-cert'?: string | undefined;
  'tls-key'?: string | undefined;
  'insecure-skip-tls-verify'?: boolean | undefined;
}

/** What a command connects to, and with what: the fields the runners (call, mock, load...) take. */
export interface BrokerTarget {
  /** Brokers by address or by `dns:` name; empty when `cluster` names them. */
  brokers: BrokerSource[];
  /** A cluster of `rsb cluster up`, by name, in `stateDir`. */
  cluster?: string | undefined;
  stateDir?: string | undefined;
  token?: string | undefined;
  /** Admin API addresses (host:port), when a flag or the context gives them. */
  admins?: string[] | undefined;
  origin: TargetOrigin;
  /** The context used, by name. */
  context?: string | undefined;
  /**
   * TLS files (paths, read by `readTlsClientFiles` where they are used: a load run hands
   * them to its worker threads): the flags', over the context's, over a TLS cluster's
   * CA and client certificate. Undefined: nothing to say (Node's trusted CAs, no client
   * certificate).
   */
  tls?: TlsClientFiles | undefined;
}

/**
 * The one place that decides where a command connects: flags first (`--broker`,
 * `--cluster`, `--admin`), then the context `--context` or RSB_CONTEXT names, then the
 * current context, then the default broker. A flag given with a context (`--token`,
 * `--state-dir`) overrides that one setting of it. A target flag leaves every context
 * out, its token too: a context's credentials go only to its own brokers.
 */
export function resolveBrokerTarget(flags: TargetFlags, options: ContextStoreOptions = {}): BrokerTarget {
  const admins = flags.admin?.length ? flags.admin.map((text) => formatAdmin(text)) : undefined;
  const dnsServer = flags['dns-server'];
  if ((flags.broker?.length ?? 0) > 0 || flags.cluster !== undefined || admins) {
    if (flags.context !== undefined) throw new UsageError('give --context or the brokers themselves (--broker, --cluster, --admin), not both');
    return {
      brokers: flags.cluster !== undefined ? [] : resolveBrokerSources({ brokers: flags.broker, dnsServer }),
      cluster: flags.cluster,
      stateDir: flags['state-dir'],
      token: flags.token,
      admins,
      origin: TARGET_ORIGIN.FLAGS,
      tls: resolveBrokerTlsFiles({ cluster: flags.cluster, stateDir: flags['state-dir'] }, readTlsFlags(flags)),
    };
  }
  const chosen = chooseContext(flags.context, options);
  if (!chosen) {
    return { brokers: resolveBrokerSources({ dnsServer }), stateDir: flags['state-dir'], token: flags.token, origin: TARGET_ORIGIN.DEFAULT, tls: resolveBrokerTlsFiles({}, readTlsFlags(flags)) };
  }
  const { name, context } = chosen;
  const inContext = (what: string): string => `context ${name}: ${what}`;
  const stateDir = flags['state-dir'] ?? context.stateDir;
  const given = readTlsFlags(flags);
  const tls: TlsClientFiles = {
    ca: given.ca ?? context.tls?.ca,
    // A certificate and its key come together, from the flags or from the context.
    ...(given.cert !== undefined || given.key !== undefined ? { cert: given.cert, key: given.key } : { cert: context.tls?.cert, key: context.tls?.key }),
    isVerificationSkipped: given.isVerificationSkipped === true || context.tls?.insecureSkipVerify === true,
  };
  return {
    brokers: context.brokers ? resolveBrokerSources({ brokers: context.brokers, dnsServer }) : [],
    cluster: context.cluster,
    stateDir,
    token: flags.token ?? context.token,
    admins: context.admin?.map((text) => formatAdmin(text, inContext('admin address'))),
    origin: TARGET_ORIGIN.CONTEXT,
    context: name,
    tls: resolveBrokerTlsFiles({ cluster: context.cluster, stateDir }, tls),
  };
}

/** The TLS flags, as paths. */
function readTlsFlags(flags: TargetFlags): TlsClientFiles {
  return { ca: flags['tls-ca'], cert: flags['tls-cert'], key: flags['tls-key'], isVerificationSkipped: flags['insecure-skip-tls-verify'] };
}

/** `:9998` → `127.0.0.1:9998`: how an admin address is fetched and shown. */
function formatAdmin(text: string, what = '--admin'): string {
  return formatHostPort(parseHostPort(text, what));
}
