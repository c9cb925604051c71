import path from 'node:path';
import { Flags } from '@oclif/core';
import { DEFAULT_BROKER_OPTIONS, LB_STRATEGY, TLS_CLIENT_AUTH, type TlsClientAuth } from '../src/broker/index.js';
import { defaultShown, isInteractiveTerminal, RsbCommand } from '../src/cli/index.js';
import { DEFAULT_ADMIN_PORT, DEFAULT_BROKER_PORT } from '../src/protocol/index.js';
import { resolveNodeSettings, runBrokerNode } from '../src/start/index.js';

export default class Start extends RsbCommand {
  static override summary = 'Run a broker node in the foreground.';
  static override description =
    'Accepts RSocket connections, registers the services they publish in SETUP, and routes requests between them by forwarding frames, ' +
    'balancing, rate limiting, breaking circuits and checking tokens as configured. ' +
    'Serves an admin HTTP API with Prometheus metrics (loopback, port 9998 by default). ' +
    'Runs until SIGINT (Ctrl-C) or SIGTERM, then stops accepting, closes every connection and exits 0. ' +
    'On a terminal it shows a live status line; otherwise it prints plain log lines. ' +
    'Settings come from --config FILE (YAML), and flags override it.';
  static override examples = [
    '<%= config.bin %> start',
    '<%= config.bin %> start --port 7878 --id edge-1 --admin-port 7877',
    '<%= config.bin %> start --port 0   # any free port (and admin port); the lines "listening on" and "admin ... on" tell which',
    '<%= config.bin %> start --lb least-outstanding --max-in-flight 256 --request-timeout 5s --circuit-breaker',
    '<%= config.bin %> start --auth jwt --jwt-secret "$SECRET"',
    'RSB_JWT_SECRET=... <%= config.bin %> start --auth jwt',
    '<%= config.bin %> start --config broker.yaml --port 10000',
    '<%= config.bin %> start --port 9999 --id b1 --cluster-file brokers.json   # push the list in brokers.json to every client',
    '<%= config.bin %> start --host 0.0.0.0 --id b1 --advertise tcp://10.0.0.5:9999 --peers dns:brokers.example:9999 --drain 20s',
    '<%= config.bin %> start --listen tcp://0.0.0.0:9999 --listen tcps://0.0.0.0:9443 --listen ws://0.0.0.0:8080/rsocket --tls-cert broker.pem --tls-key broker-key.pem',
    '<%= config.bin %> start --listen tcps://127.0.0.1:9443 --tls-cert broker.pem --tls-key broker-key.pem --tls-ca ca.pem --tls-client-auth require',
  ];

  static override retiredFlags = { '-c': 'Write --config: -c is --connections, as in rsb load.' };

  static override flags = {
    config: Flags.string({ description: 'YAML config file (see docs/config.md); flags override it.' }),
    port: Flags.integer({ char: 'p', description: 'TCP port to listen on (0: any free port).', min: 0, max: 65535, defaultHelp: defaultShown(String(DEFAULT_BROKER_PORT)) }),
    host: Flags.string({ description: 'Address to listen on.', defaultHelp: defaultShown(DEFAULT_BROKER_OPTIONS.host) }),
    listen: Flags.string({
      description:
        'Listen on this URI (repeatable): tcp://HOST:PORT, tcps://HOST:PORT (TLS), ws://HOST:PORT/PATH, wss://HOST:PORT/PATH (RSocket over WebSocket). ' +
        'Replaces the default TCP listener; --port/--host add it back.',
      multiple: true,
    }),
    'tls-cert': Flags.string({ description: 'PEM certificate (chain) of the tcps and wss listeners.' }),
    'tls-key': Flags.string({ description: 'PEM private key of --tls-cert.' }),
    'tls-ca': Flags.string({ description: 'PEM CA that signs client certificates (with --tls-client-auth), and that tcps:// and wss:// peers (--peers) are trusted with.' }),
    'tls-client-auth': Flags.string({
      description: 'Client certificates (mTLS): none, request (asked for; one that does not verify is refused), require.',
      options: Object.values(TLS_CLIENT_AUTH),
      defaultHelp: defaultShown(TLS_CLIENT_AUTH.NONE),
    }),
    'ws-allowed-origins': Flags.string({
      description: 'Origins a browser\'s WebSocket upgrade may come from (comma-separated or repeated); others get 403.',
      multiple: true,
      defaultHelp: defaultShown('any'),
    }),
    'handshake-timeout': Flags.string({
      description: 'Close a connection whose TLS handshake or WebSocket upgrade is not done within this time.',
      defaultHelp: defaultShown(`${DEFAULT_BROKER_OPTIONS.handshakeTimeoutMs / 1000}s`),
    }),
    id: Flags.string({ description: 'Name of this broker node, shown to clients and in errors.', defaultHelp: defaultShown(DEFAULT_BROKER_OPTIONS.id) }),
    'admin-port': Flags.integer({
      description: 'Port of the admin HTTP API and /metrics.',
      min: 0,
      max: 65535,
      defaultHelp: defaultShown(`${DEFAULT_ADMIN_PORT}, or any free port with --port 0`),
    }),
    'admin-host': Flags.string({ description: 'Address of the admin HTTP API.', defaultHelp: defaultShown(DEFAULT_BROKER_OPTIONS.host) }),
    admin: Flags.boolean({ description: 'Serve the admin HTTP API (on unless --no-admin).', allowNo: true }),
    lb: Flags.string({ description: 'Load balancing over the instances of a service.', options: Object.values(LB_STRATEGY), defaultHelp: defaultShown(DEFAULT_BROKER_OPTIONS.loadBalancing) }),
    'max-in-flight': Flags.integer({
      description: 'Requests in flight per instance above which it is passed over (REJECTED when all are).',
      min: 1,
      defaultHelp: defaultShown('no limit'),
    }),
    'request-timeout': Flags.string({
      description: 'Request-response calls unanswered this long end with an error (and count against the circuit), e.g. 5s.',
      defaultHelp: defaultShown('none'),
    }),
    'circuit-breaker': Flags.boolean({ description: 'Break circuits of failing instances (settings from the config file, or defaults); off unless given.', allowNo: true }),
    auth: Flags.string({ description: 'Authenticate connections: jwt (bearer token in SETUP), or none.', options: ['jwt', 'none'], defaultHelp: defaultShown('none') }),
    'jwt-secret': Flags.string({ description: 'HS256 secret: turns on --auth jwt. With --auth jwt alone, RSB_JWT_SECRET is read instead.' }),
    'jwt-public-key': Flags.string({ description: 'PEM public key file for --auth jwt (RS256 or ES256).' }),
    'max-connections': Flags.integer({
      description: 'Connections beyond this many are refused at once with ERROR[REJECTED_SETUP].',
      min: 1,
      defaultHelp: defaultShown(String(DEFAULT_BROKER_OPTIONS.maxConnections)),
    }),
    'max-frame-size': Flags.integer({
      description: 'Largest frame accepted, in bytes (length prefix excluded); a larger one ends its connection with ERROR[CONNECTION_ERROR].',
      min: 64,
      max: DEFAULT_BROKER_OPTIONS.maxFrameLength,
      defaultHelp: defaultShown(String(DEFAULT_BROKER_OPTIONS.maxFrameLength)),
    }),
    'setup-timeout': Flags.string({ description: 'Close a connection that sends no SETUP within this time.', defaultHelp: defaultShown(`${DEFAULT_BROKER_OPTIONS.setupTimeoutMs / 1000}s`) }),
    'cluster-file': Flags.string({
      description:
        'JSON file {"name", "brokers": [{"id", "host", "port"}]} listing the cluster this broker belongs to: pushed to every client ' +
        '(METADATA_PUSH, a com.rsb.broker.list CloudEvent), and again whenever the file changes. `rsb cluster up` passes its state file.',
    }),
    advertise: Flags.string({
      description:
        'Address clients are told, in the pushed broker list and rsb.broker.cluster: one URI per listener, in their order (tcp://10.0.0.5:9999). ' +
        '[default: the address listened on; with 0.0.0.0, the first non-loopback address of this host]',
      multiple: true,
    }),
    peers: Flags.string({
      description:
        'The other brokers of its cluster (repeatable, or comma-separated): host:port, or dns:NAME:PORT for every A/AAAA record of NAME, resolved again every --dns-interval. ' +
        'Each is asked its id and advertised address; the list is pushed to every client.',
      multiple: true,
    }),
    'dns-server': Flags.string({ description: 'Resolver of the dns: peers, IP[:PORT]. [default: the system resolver]' }),
    'dns-interval': Flags.string({ description: 'How often dns: peers are resolved again. [default: 5s]' }),
    'cluster-name': Flags.string({ description: 'Name of the cluster the peers form, in the pushed list. [default: the DNS name of the first dns: peer, else "peers"]' }),
    drain: Flags.string({
      description: 'On SIGTERM, drain first for up to this long: /readyz answers 503, new connections are refused, clients are pushed the list without this broker; then stop. [default: 0s, stop at once]',
    }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Start);
    const settings = resolveNodeSettings({
      config: flags.config,
      id: flags.id,
      host: flags.host,
      port: flags.port,
      adminHost: flags['admin-host'],
      adminPort: flags['admin-port'],
      admin: flags.admin,
      lb: flags.lb as (typeof LB_STRATEGY)[keyof typeof LB_STRATEGY] | undefined,
      maxInFlight: flags['max-in-flight'],
      requestTimeout: flags['request-timeout'],
      circuitBreaker: flags['circuit-breaker'],
      auth: flags.auth as 'jwt' | 'none' | undefined,
      jwtSecret: flags['jwt-secret'],
      jwtPublicKey: flags['jwt-public-key'],
      maxConnections: flags['max-connections'],
      maxFrameSize: flags['max-frame-size'],
      setupTimeout: flags['setup-timeout'],
      ...(flags['cluster-file'] ? { clusterFile: path.resolve(flags['cluster-file']) } : {}),
      listen: flags.listen,
      tlsCert: flags['tls-cert'],
      tlsKey: flags['tls-key'],
      tlsCa: flags['tls-ca'],
      tlsClientAuth: flags['tls-client-auth'] as TlsClientAuth | undefined,
      wsAllowedOrigins: flags['ws-allowed-origins'],
      handshakeTimeout: flags['handshake-timeout'],
      advertise: flags.advertise,
      peers: flags.peers,
      dnsServer: flags['dns-server'],
      dnsInterval: flags['dns-interval'],
      clusterName: flags['cluster-name'],
      drain: flags.drain,
    });
    await runBrokerNode({
      broker: settings.broker,
      admin: settings.admin,
      network: settings.network,
      isInteractive: isInteractiveTerminal(),
      print: (line) => this.log(line),
    });
  }
}
