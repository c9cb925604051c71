import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import {
  DEFAULT_BROKER_OPTIONS,
  DEFAULT_CIRCUIT_BREAKER,
  LB_STRATEGY,
  readKeyFile,
  TLS_CLIENT_AUTH,
  type AppRule,
  type BrokerOptions,
  type CircuitBreakerSettings,
  type LbStrategy,
  type ServiceRule,
  type BrokerTlsOptions,
  type ListenerSpec,
  type TlsClientAuth,
} from '../broker/index.js';
import { parseDuration } from '../cli/parse.js';
import { isBrokerName, parseBrokerAddress, readPemFile, resolveBrokerSources, type BrokerSource } from '../client/index.js';
import { UsageError } from '../errors.js';
import { DEFAULT_ADMIN_PORT, DEFAULT_BROKER_PORT, TRANSPORT } from '../protocol/index.js';

/**
 * `rsb start --config FILE`: the broker's settings in YAML, checked against this schema.
 * Durations are written `500ms`, `10s`, `1m` (a bare number is seconds, as on the
 * command line). Service and app keys may be glob patterns; an exact key wins, then the
 * first pattern that matches, in the order written.
 *
 *   id: edge-1
 *   port: 9999                                   # one TCP listener; or, for several on any transport:
 *   listen: [tcp://0.0.0.0:9999, tcps://0.0.0.0:9443, ws://0.0.0.0:8080/rsocket]
 *   tls: { cert: broker.pem, key: broker-key.pem, ca: ca.pem, clientAuth: none }
 *   wsAllowedOrigins: [https://app.example]
 *   handshakeTimeout: 10s
 *   maxConnections: 100000
 *   maxFrameSize: 16777215
 *   setupTimeout: 10s
 *   admin: { host: 127.0.0.1, port: 9998 }      # or `admin: false`
 *   loadBalancing: least-outstanding
 *   requestTimeout: 10s
 *   maxInFlightPerInstance: 1000
 *   circuitBreaker: { consecutiveFailures: 5, errorRatio: 0.5, minRequests: 20, window: 10s, coolDown: 5s, probes: 3 }
 *   services:
 *     calc: { loadBalancing: weighted-random, rateLimit: { requestsPerSecond: 1000, burst: 200 } }
 *     "report*": { requestTimeout: 30s, maxInFlightPerInstance: 8 }
 *   apps:
 *     web: { rateLimit: { requestsPerSecond: 500 } }
 *   auth: { secret: change-me }                  # or { publicKey: keys/broker.pub.pem }
 *   advertise: [tcp://10.0.0.5:9999]             # one per listener; default: see resolveAdvertised
 *   peers: [dns:brokers.rsb.svc.cluster.local:9999]   # or host:port of each other broker
 *   dnsServer: 10.96.0.10                        # the resolver of dns: peers; default: the system's
 *   dnsInterval: 5s
 *   clusterName: rsb
 *   drain: 20s                                   # on SIGTERM: /readyz 503, clients sent elsewhere, then stop
 */
const duration = z.union([z.number().nonnegative(), z.string()]).transform((value, context) => {
  try {
    return parseDuration(String(value));
  } catch {
    context.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is not a duration: write it like 500ms, 10s or 1m` });
    return z.NEVER;
  }
});
const positiveInteger = z.number().int().positive();
const port = z.number().int().min(0).max(65535);
const strategy = z.enum([LB_STRATEGY.ROUND_ROBIN, LB_STRATEGY.WEIGHTED_RANDOM, LB_STRATEGY.LEAST_OUTSTANDING]);
const rateLimit = z
  .strictObject({ requestsPerSecond: z.number().positive(), burst: positiveInteger.optional() })
  .transform((limit) => ({ requestsPerSecond: limit.requestsPerSecond, burst: limit.burst ?? Math.max(1, Math.ceil(limit.requestsPerSecond)) }));
const circuitBreaker = z.strictObject({
  consecutiveFailures: z.number().int().nonnegative().optional(),
  errorRatio: z.number().gt(0).lte(1).optional(),
  minRequests: positiveInteger.optional(),
  window: duration.optional(),
  coolDown: duration.optional(),
  probes: positiveInteger.optional(),
});
const serviceRule = z.strictObject({
  loadBalancing: strategy.optional(),
  rateLimit: rateLimit.optional(),
  maxInFlightPerInstance: positiveInteger.optional(),
  requestTimeout: duration.optional(),
  circuitBreaker: circuitBreaker.optional(),
});
const appRule = z.strictObject({ rateLimit: rateLimit.optional() });
const auth = z
  .strictObject({ mode: z.enum(['jwt', 'none']).optional(), secret: z.string().min(1).optional(), publicKey: z.string().min(1).optional() })
  .refine((value) => value.mode === 'none' || (value.secret === undefined) !== (value.publicKey === undefined), {
    message: 'give exactly one of secret (HS256) or publicKey (a PEM file, RS256/ES256)',
  });

const clientAuth = z.enum([TLS_CLIENT_AUTH.NONE, TLS_CLIENT_AUTH.REQUEST, TLS_CLIENT_AUTH.REQUIRE]);
const tls = z.strictObject({ cert: z.string().min(1), key: z.string().min(1), ca: z.string().min(1).optional(), clientAuth: clientAuth.optional() });

export const BROKER_CONFIG_SCHEMA = z.strictObject({
  id: z.string().min(1).optional(),
  host: z.string().min(1).optional(),
  port: port.optional(),
  listen: z.array(z.string().min(1)).optional(),
  tls: tls.optional(),
  wsAllowedOrigins: z.array(z.string().min(1)).optional(),
  handshakeTimeout: duration.optional(),
  maxConnections: positiveInteger.optional(),
  maxFrameSize: z.number().int().min(64).max(DEFAULT_BROKER_OPTIONS.maxFrameLength).optional(),
  setupTimeout: duration.optional(),
  admin: z.union([z.literal(false), z.strictObject({ host: z.string().min(1).optional(), port: port.optional() })]).optional(),
  loadBalancing: strategy.optional(),
  requestTimeout: duration.optional(),
  maxInFlightPerInstance: positiveInteger.optional(),
  circuitBreaker: z.union([z.boolean(), circuitBreaker]).optional(),
  services: z.record(z.string(), serviceRule).optional(),
  apps: z.record(z.string(), appRule).optional(),
  auth: auth.optional(),
  advertise: z.union([z.string().min(1), z.array(z.string().min(1))]).optional(),
  peers: z.array(z.string().min(1)).optional(),
  dnsServer: z.string().min(1).optional(),
  dnsInterval: duration.optional(),
  clusterName: z.string().min(1).optional(),
  drain: duration.optional(),
});
export type BrokerConfigFile = z.output<typeof BROKER_CONFIG_SCHEMA>;

/** Reads and checks a config file; a bad one is a UsageError naming the file, the field and the problem. */
export function loadBrokerConfig(file: string): BrokerConfigFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read config file ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, undefined, { cause: error });
  }
  const document = parseDocument(text);
  const [yamlError] = document.errors;
  if (yamlError) {
    const at = yamlError.linePos?.[0];
    // The message ends with " at line L, column C:" and a code frame; the position goes up front instead.
    const problem = yamlError.message.split('\n')[0]!.replace(/ at line \d+, column \d+:$/, '');
    throw new UsageError(`config file ${file}${at ? ` line ${at.line}, column ${at.col}` : ''}: ${problem}`);
  }
  const parsed = BROKER_CONFIG_SCHEMA.safeParse(document.toJS() ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.length ? issue.path.map(String).join('.') : '(top level)';
    throw new UsageError(`config file ${file}: ${field}: ${issue.message}`, 'See "rsb start --help" and docs/config.md for the fields.');
  }
  return parsed.data;
}

/** The flags of `rsb start` that settings can come from; each overrides the config file. */
export interface StartFlags {
  config?: string;
  id?: string;
  host?: string;
  port?: number;
  adminHost?: string;
  adminPort?: number;
  /** false: `--no-admin`. */
  admin?: boolean;
  lb?: LbStrategy;
  maxInFlight?: number;
  requestTimeout?: string;
  circuitBreaker?: boolean;
  auth?: 'jwt' | 'none';
  jwtSecret?: string;
  /** Path of a PEM public key. */
  jwtPublicKey?: string;
  maxConnections?: number;
  maxFrameSize?: number;
  setupTimeout?: string;
  /** Absolute path of the cluster file (`--cluster-file`, see ClusterMembership). */
  clusterFile?: string;
  /** `--listen URI` (repeatable): listeners on any transport. */
  listen?: string[];
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  tlsClientAuth?: TlsClientAuth;
  /** `--ws-allowed-origins`: origins, comma-separated or repeated. */
  wsAllowedOrigins?: string[];
  handshakeTimeout?: string;
  /** `--advertise URI` (repeatable): what clients are told, one per listener. */
  advertise?: string[];
  /** `--peers` (repeatable): the other brokers, by address or `dns:NAME:PORT`. */
  peers?: string[];
  dnsServer?: string;
  dnsInterval?: string;
  clusterName?: string;
  /** `--drain DURATION`: how long SIGTERM drains before the broker stops. */
  drain?: string;
}

/** How the broker meets its cluster and leaves it (src/start/peer-discovery.ts, advertise.ts). */
export interface NetworkSettings {
  /** `--advertise`, as given: resolved against the listeners once they listen. */
  advertise: string[];
  /** `--peers`: addresses and `dns:` names (with the resolver and interval set). */
  peers: BrokerSource[];
  /** The cluster name the peers form; undefined without peers. */
  clusterName: string | undefined;
  /** 0: SIGTERM stops at once, as SIGINT does. */
  drainMs: number;
}

export interface NodeSettings {
  broker: BrokerOptions;
  /** Where the admin HTTP server listens, or null when it is off. */
  admin: { host: string; port: number } | null;
  network: NetworkSettings;
}

/** Config file, then flags, then defaults: everything `rsb start` runs with. */
export function resolveNodeSettings(flags: StartFlags): NodeSettings {
  const file = flags.config ? loadBrokerConfig(flags.config) : {};
  const baseDir = flags.config ? path.dirname(path.resolve(flags.config)) : process.cwd();
  const brokerPort = flags.port ?? file.port ?? DEFAULT_BROKER_PORT;
  const host = flags.host ?? file.host ?? DEFAULT_BROKER_OPTIONS.host;
  const isAdminOn = flags.admin ?? file.admin !== false;
  const fileAdmin = file.admin === false ? {} : (file.admin ?? {});
  // A broker asked for any free port gets an admin server on any free port too, so that several can run side by side.
  const adminPort = flags.adminPort ?? fileAdmin.port ?? (brokerPort === 0 ? 0 : DEFAULT_ADMIN_PORT);
  const broker: BrokerOptions = {
    ...DEFAULT_BROKER_OPTIONS,
    id: flags.id ?? file.id ?? DEFAULT_BROKER_OPTIONS.id,
    host,
    port: brokerPort,
    listen: resolveListeners(flags, file),
    tls: resolveTls(flags, file.tls, baseDir),
    wsAllowedOrigins: (flags.wsAllowedOrigins ?? file.wsAllowedOrigins ?? []).flatMap((origins) => origins.split(',').map((origin) => origin.trim()).filter(Boolean)),
    handshakeTimeoutMs:
      flags.handshakeTimeout !== undefined ? parseDuration(flags.handshakeTimeout, '--handshake-timeout') : (file.handshakeTimeout ?? DEFAULT_BROKER_OPTIONS.handshakeTimeoutMs),
    maxConnections: flags.maxConnections ?? file.maxConnections ?? DEFAULT_BROKER_OPTIONS.maxConnections,
    maxFrameLength: flags.maxFrameSize ?? file.maxFrameSize ?? DEFAULT_BROKER_OPTIONS.maxFrameLength,
    setupTimeoutMs: flags.setupTimeout !== undefined ? parseDuration(flags.setupTimeout, '--setup-timeout') : (file.setupTimeout ?? DEFAULT_BROKER_OPTIONS.setupTimeoutMs),
    loadBalancing: flags.lb ?? file.loadBalancing ?? DEFAULT_BROKER_OPTIONS.loadBalancing,
    maxInFlightPerInstance: flags.maxInFlight ?? file.maxInFlightPerInstance ?? DEFAULT_BROKER_OPTIONS.maxInFlightPerInstance,
    requestTimeoutMs: flags.requestTimeout !== undefined ? parseDuration(flags.requestTimeout, '--request-timeout') : (file.requestTimeout ?? 0),
    circuitBreaker: resolveCircuitBreaker(flags.circuitBreaker, file.circuitBreaker),
    services: new Map(Object.entries(file.services ?? {}).map(([pattern, rule]) => [pattern, readServiceRule(rule)])),
    apps: new Map(Object.entries(file.apps ?? {}).map(([pattern, rule]): [string, AppRule] => [pattern, rule])),
    auth: resolveAuth(flags, file.auth, baseDir),
    ...(flags.clusterFile ? { clusterFile: flags.clusterFile } : {}),
  };
  return { broker, admin: isAdminOn ? { host: flags.adminHost ?? fileAdmin.host ?? DEFAULT_BROKER_OPTIONS.host, port: adminPort } : null, network: resolveNetwork(flags, file) };
}

/** Where `--peers` names no port, this one: a cluster's brokers listen alike. */
function resolveNetwork(flags: StartFlags, file: BrokerConfigFile): NetworkSettings {
  const fileAdvertise = file.advertise === undefined ? [] : [file.advertise].flat();
  const peerTexts = flags.peers ?? file.peers ?? [];
  if (peerTexts.length > 0 && flags.clusterFile) throw new UsageError('give --peers or --cluster-file, not both', 'A cluster file already lists every broker.');
  const dnsServer = flags.dnsServer ?? file.dnsServer;
  const intervalMs = flags.dnsInterval !== undefined ? parseDuration(flags.dnsInterval, '--dns-interval') : file.dnsInterval;
  if (intervalMs !== undefined && intervalMs < 100) throw new UsageError(`--dns-interval ${flags.dnsInterval ?? file.dnsInterval} is too short`, 'Resolve at most ten times a second, e.g. 1s.');
  const peers = resolveBrokerSources({ brokers: peerTexts.flatMap((text) => text.split(',')).filter((text) => text.trim() !== ''), dnsServer }).map((source) =>
    isBrokerName(source) && intervalMs !== undefined ? { ...source, intervalMs } : source,
  );
  const firstName = peers.find(isBrokerName);
  return {
    advertise: flags.advertise ?? fileAdvertise,
    peers: peerTexts.length > 0 ? peers : [],
    clusterName: peerTexts.length > 0 ? (flags.clusterName ?? file.clusterName ?? firstName?.dnsName ?? 'peers') : undefined,
    drainMs: flags.drain !== undefined ? parseDuration(flags.drain, '--drain') : (file.drain ?? 0),
  };
}

/**
 * `--listen` URIs (or the file's `listen`), each a listener; `--port`/`--host` (or the
 * file's) add the one TCP listener they always meant. Neither: the default TCP listener.
 */
function resolveListeners(flags: StartFlags, file: BrokerConfigFile): ListenerSpec[] {
  const uris = flags.listen ?? file.listen ?? [];
  const isTcpGiven = flags.port !== undefined || flags.host !== undefined || file.port !== undefined || file.host !== undefined;
  if (uris.length === 0) return [];
  const listeners = uris.map((uri): ListenerSpec => {
    const address = parseBrokerAddress(uri, '--listen');
    return { transport: address.transport ?? TRANSPORT.TCP, host: address.host, port: address.port, ...(address.path !== undefined ? { path: address.path } : {}) };
  });
  if (isTcpGiven) {
    listeners.unshift({ transport: TRANSPORT.TCP, host: flags.host ?? file.host ?? DEFAULT_BROKER_OPTIONS.host, port: flags.port ?? file.port ?? DEFAULT_BROKER_PORT });
  }
  return listeners;
}

/** The broker's certificate from flags (paths from the working directory) or the file (paths from the file's directory). */
function resolveTls(flags: StartFlags, file: z.output<typeof tls> | undefined, baseDir: string): BrokerTlsOptions | null {
  const fromFlags = flags.tlsCert !== undefined || flags.tlsKey !== undefined;
  if (fromFlags && (flags.tlsCert === undefined || flags.tlsKey === undefined)) {
    throw new UsageError('--tls-cert and --tls-key go together', 'Give the PEM certificate and its private key.');
  }
  const certPath = fromFlags ? path.resolve(flags.tlsCert!) : file ? path.resolve(baseDir, file.cert) : undefined;
  if (certPath === undefined) {
    if (flags.tlsCa !== undefined || flags.tlsClientAuth !== undefined) throw new UsageError('--tls-ca and --tls-client-auth need --tls-cert and --tls-key');
    return null;
  }
  const keyPath = fromFlags ? path.resolve(flags.tlsKey!) : path.resolve(baseDir, file!.key);
  const caPath = flags.tlsCa !== undefined ? path.resolve(flags.tlsCa) : file?.ca !== undefined ? path.resolve(baseDir, file.ca) : undefined;
  const clientAuth = flags.tlsClientAuth ?? file?.clientAuth ?? TLS_CLIENT_AUTH.NONE;
  if (clientAuth !== TLS_CLIENT_AUTH.NONE && caPath === undefined) {
    throw new UsageError(`--tls-client-auth ${clientAuth} needs --tls-ca: the CA that signs the client certificates`);
  }
  return {
    cert: readPemFile(certPath, '--tls-cert'),
    key: readPemFile(keyPath, '--tls-key'),
    ...(caPath !== undefined ? { ca: readPemFile(caPath, '--tls-ca') } : {}),
    clientAuth,
  };
}

type FileCircuitBreaker = z.output<typeof circuitBreaker>;

function readBreakerSettings(file: FileCircuitBreaker): Partial<CircuitBreakerSettings> {
  const settings: Partial<CircuitBreakerSettings> = {};
  if (file.consecutiveFailures !== undefined) settings.consecutiveFailures = file.consecutiveFailures;
  if (file.errorRatio !== undefined) settings.errorRatio = file.errorRatio;
  if (file.minRequests !== undefined) settings.minRequests = file.minRequests;
  if (file.window !== undefined) settings.windowMs = file.window;
  if (file.coolDown !== undefined) settings.coolDownMs = file.coolDown;
  if (file.probes !== undefined) settings.probes = file.probes;
  return settings;
}

function resolveCircuitBreaker(flag: boolean | undefined, file: boolean | FileCircuitBreaker | undefined): CircuitBreakerSettings | null {
  const fromFile = typeof file === 'object' ? readBreakerSettings(file) : {};
  const isOn = flag ?? (file !== undefined && file !== false);
  return isOn ? { ...DEFAULT_CIRCUIT_BREAKER, ...fromFile } : null;
}

function readServiceRule(rule: z.output<typeof serviceRule>): ServiceRule {
  return {
    ...(rule.loadBalancing ? { loadBalancing: rule.loadBalancing } : {}),
    ...(rule.rateLimit ? { rateLimit: rule.rateLimit } : {}),
    ...(rule.maxInFlightPerInstance !== undefined ? { maxInFlightPerInstance: rule.maxInFlightPerInstance } : {}),
    ...(rule.requestTimeout !== undefined ? { requestTimeoutMs: rule.requestTimeout } : {}),
    ...(rule.circuitBreaker ? { circuitBreaker: readBreakerSettings(rule.circuitBreaker) } : {}),
  };
}

function resolveAuth(flags: StartFlags, file: z.output<typeof auth> | undefined, baseDir: string): BrokerOptions['auth'] {
  const hasFlagKey = flags.jwtSecret !== undefined || flags.jwtPublicKey !== undefined;
  if (flags.auth === 'none') return null;
  if (flags.jwtSecret !== undefined && flags.jwtPublicKey !== undefined) {
    throw new UsageError('give --jwt-secret (HS256) or --jwt-public-key (RS256/ES256), not both');
  }
  if (hasFlagKey) return flags.jwtSecret !== undefined ? { secret: flags.jwtSecret } : { keyPem: readKeyFile(path.resolve(flags.jwtPublicKey!), '--jwt-public-key') };
  if (file && file.mode !== 'none') {
    return file.secret !== undefined ? { secret: file.secret } : { keyPem: readKeyFile(path.resolve(baseDir, file.publicKey!), 'auth.publicKey') };
  }
  if (flags.auth === 'jwt') {
    // The secret may come from the environment, but only when asked for: a secret exported for
    // `rsb token create` must not turn authentication on by itself.
    const secret = process.env.RSB_JWT_SECRET;
    if (secret) return { secret };
    throw new UsageError('--auth jwt needs a key: --jwt-secret SECRET (or RSB_JWT_SECRET) for HS256, or --jwt-public-key FILE for RS256/ES256');
  }
  return null;
}
