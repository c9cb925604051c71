import { Flags } from '@oclif/core';
import { CLUSTER_FLAGS, isInteractiveTerminal, parseDuration, RsbCommand } from '../src/cli/index.js';
import { parseHostPort } from '../src/client/index.js';
import { DEFAULT_ADMIN_PORT } from '../src/protocol/index.js';
import { UsageError } from '../src/errors.js';
import { readClusterAdminsFromState, runStatus, type StatusReport } from '../src/status/index.js';

export default class Status extends RsbCommand {
  static override summary = "Show brokers' connections, services, instances, circuits and traffic, from their admin API.";
  static override description =
    'Reads the admin HTTP API of a broker (--broker, its admin address) or of every broker of a cluster (--cluster), and prints each broker ' +
    'with its services: balancing, rate limit, instances with requests in flight and circuit state, requests by outcome and broker-side latency. ' +
    'With --watch it keeps reading every second: a live table on a terminal, a line per broker and reading otherwise. ' +
    'Exits 7 when no broker answers.';
  static override examples = [
    '<%= config.bin %> status',
    '<%= config.bin %> status --broker 127.0.0.1:7877 --json',
    '<%= config.bin %> status --cluster default',
    '<%= config.bin %> status --broker 127.0.0.1:9998 --cluster-of   # every broker that one lists in /api/cluster',
    '<%= config.bin %> status --watch',
  ];
  static override enableJsonFlag = true;

  static override flags = {
    broker: Flags.string({
      char: 'b',
      description: 'Admin address (host:port) of a broker: the --admin-port of `rsb start`. Repeat for several.',
      multiple: true,
      exclusive: ['cluster'],
    }),
    cluster: Flags.string({ description: 'Name of a cluster started with `rsb cluster up`: every broker of it, at the admin ports its state records.', exclusive: ['broker'] }),
    'state-dir': CLUSTER_FLAGS['state-dir'],
    'cluster-of': Flags.boolean({ description: 'Also read every broker the given broker lists in its /api/cluster.', default: false }),
    watch: Flags.boolean({ char: 'w', description: 'Keep reading until Ctrl-C: a live table on a terminal.', default: false }),
    interval: Flags.string({ description: 'Time between readings with --watch.', default: '1s' }),
  };

  async run(): Promise<StatusReport> {
    const { flags } = await this.parse(Status);
    if (flags.watch && this.jsonEnabled()) {
      throw new UsageError('--watch and --json do not go together', 'Run `rsb status --json` repeatedly to poll, or --watch to look.');
    }
    const admins =
      flags.cluster !== undefined
        ? readClusterAdminsFromState(flags.cluster, flags['state-dir'])
        : (flags.broker ?? [`127.0.0.1:${DEFAULT_ADMIN_PORT}`]).map((text) => {
            const { host, port } = parseHostPort(text, '--broker');
            return `${host}:${port}`;
          });
    return runStatus({
      admins,
      isFollowingCluster: flags['cluster-of'],
      isWatching: flags.watch,
      intervalMs: parseDuration(flags.interval, '--interval'),
      isInteractive: isInteractiveTerminal(),
      print: (line) => this.log(line),
    });
  }
}
