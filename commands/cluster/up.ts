import { Flags } from '@oclif/core';
import { abortOnShutdownSignal, CLUSTER_FLAGS, defaultShown, isInteractiveTerminal, parseDuration, RsbCommand } from '../../src/cli/index.js';
import { DEFAULT_BROKER_OPTIONS } from '../../src/broker/index.js';
import { ClusterStartError } from '../../src/errors.js';
import { DEFAULT_BROKER_PORT } from '../../src/protocol/index.js';
import { DEFAULT_CLUSTER_SIZE, formatStartResult, MAX_CLUSTER_SIZE, runClusterForeground, startCluster, type ForegroundResult, type StartClusterResult } from '../../src/cluster/index.js';

export default class ClusterUp extends RsbCommand {
  static override summary = 'Start a cluster of independent brokers in the background.';
  static override description =
    'Starts N broker processes (`rsb start`) detached, with their output in log files, waits until each accepts connections and serves ' +
    'the cluster\'s broker list, and records them (pids, ports, admin ports, logs, start time) in a state file. Each broker pushes the ' +
    'list to its clients, so a client given one broker finds the rest. Brokers exchange no routing: clients and services connect to every one. ' +
    'On an existing cluster it converges: running brokers are kept, dead ones started again on their port, missing ones added, extra ones stopped. ' +
    'If a broker fails to start, the others started with it are stopped and the end of its log is printed.';
  static override examples = [
    '<%= config.bin %> cluster up -n 3                      # brokers on 9999, 10000, 10001',
    '<%= config.bin %> cluster up -n 3 --base-port 0 --name ci   # free ports, a second cluster beside the first',
    '<%= config.bin %> cluster up -n 4                      # grow the running default cluster to four brokers',
    '<%= config.bin %> cluster up -n 2 --foreground         # live view; Ctrl-C stops them all',
    '<%= config.bin %> cluster up -n 3 --tls --name secure   # tcps only, a throw-away CA; `rsb mock svc --cluster secure` trusts it',
    '<%= config.bin %> cluster up -n 3 --hosts --name lab    # as root: each broker on a host of its own (a network namespace), found through DNS',
  ];
  static override enableJsonFlag = true;

  static override flags = {
    count: Flags.integer({
      char: 'n',
      description: 'Brokers in the cluster.',
      min: 1,
      max: MAX_CLUSTER_SIZE,
      defaultHelp: defaultShown(`${DEFAULT_CLUSTER_SIZE} for a new cluster, its current size for an existing one`),
    }),
    'base-port': Flags.integer({
      description: 'Port of the first broker; the others take the next ports, and admin ports count down from base-1. 0: free ports.',
      aliases: ['port'],
      min: 0,
      max: 65535,
      defaultHelp: defaultShown(String(DEFAULT_BROKER_PORT)),
    }),
    host: Flags.string({ description: 'Address the brokers listen on.', defaultHelp: defaultShown(DEFAULT_BROKER_OPTIONS.host) }),
    tls: Flags.boolean({
      description:
        'A new cluster on TLS only (tcps): a throw-away CA and broker certificate made with openssl (naming every host address the brokers listen on, ' +
        'with --hosts each lab host\'s), recorded in the state so that clients given --cluster NAME trust it.',
      default: false,
    }),
    ...CLUSTER_FLAGS,
    foreground: Flags.boolean({ description: 'Stay attached with a live view of the brokers; Ctrl-C stops them all.', default: false, exclusive: ['hosts'] }),
    hosts: Flags.boolean({
      description:
        'A lab of hosts (Linux, root, iproute2, dnsmasq): each broker in a network namespace of its own on a bridge with a 10.213.N.0/24, ' +
        'port 9999 of its own address, found by the others through dnsmasq on the bridge (dns:brokers.NAME.lab:9999).',
      default: false,
    }),
    timeout: Flags.string({ description: 'How long each broker may take to start.', default: '15s' }),
  };

  async run(): Promise<StartClusterResult | ForegroundResult> {
    const { flags } = await this.parse(ClusterUp);
    const options = {
      name: flags.name,
      ...(flags.count !== undefined ? { count: flags.count } : {}),
      ...(flags['base-port'] !== undefined ? { basePort: flags['base-port'] } : {}),
      ...(flags.host !== undefined ? { host: flags.host } : {}),
      ...(flags.tls ? { tls: true } : {}),
      ...(flags['state-dir'] ? { stateDir: flags['state-dir'] } : {}),
      ...(flags.hosts ? { hosts: true } : {}),
      startTimeoutMs: parseDuration(flags.timeout, '--timeout'),
    };
    try {
      if (flags.foreground) {
        return await runClusterForeground({ ...options, isInteractive: isInteractiveTerminal() && !flags.json, print: (line) => this.log(line) });
      }
      // A Ctrl-C while the brokers start stops those already started: nothing runs unrecorded.
      const shutdown = abortOnShutdownSignal();
      const result = await startCluster({ ...options, onProgress: (line) => this.logToStderr(line), signal: shutdown.signal }).finally(shutdown.dispose);
      for (const line of formatStartResult(result)) this.log(line);
      return result;
    } catch (error) {
      if (error instanceof ClusterStartError && error.logTail.length > 0) {
        this.logToStderr('the end of its log:');
        for (const line of error.logTail) this.logToStderr(`  | ${line}`);
      }
      throw error;
    }
  }
}
