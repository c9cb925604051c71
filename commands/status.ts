import { Flags } from '@oclif/core';
import { contextFlag, isInteractiveTerminal, parseDuration, RsbCommand, STATE_DIR_FLAG } from '../src/cli/index.js';
import { resolveBrokerTarget } from '../src/context/index.js';
import { UsageError } from '../src/errors.js';
import { chooseStatusTargets, runStatus, type StatusReport } from '../src/status/index.js';

export default class Status extends RsbCommand {
  static override summary = "Show brokers' connections, services, instances, circuits and traffic, from their admin API.";
  static override description =
    'Reads the admin HTTP API of brokers and prints each broker with its services: balancing, rate limit, instances with requests in ' +
    'flight and circuit state, requests by outcome and broker-side latency; a cluster gets a total line. Which brokers: --admin addresses, ' +
    'every broker of --cluster, or those of a context (--context, RSB_CONTEXT, the current one); with none of them, every running cluster ' +
    'of the state directory, else the broker on 127.0.0.1:9998. ' +
    'With --watch it keeps reading every second: a live table on a terminal, a line per broker and reading otherwise. ' +
    'Exits 7 when no broker answers.';
  static override examples = [
    '<%= config.bin %> status                                   # every running cluster here, else 127.0.0.1:9998',
    '<%= config.bin %> status --admin 127.0.0.1:7877 --json',
    '<%= config.bin %> status --cluster default',
    '<%= config.bin %> status --admin 127.0.0.1:9998 --cluster-of   # every broker that one lists in /api/cluster',
    '<%= config.bin %> status --watch',
  ];
  static override enableJsonFlag = true;

  static override retiredFlags = {
    '--broker': 'rsb status reads the admin API: give --admin HOST:PORT (the --admin-port of rsb start), or --cluster NAME.',
    '-b': 'rsb status reads the admin API: give --admin HOST:PORT (the --admin-port of rsb start), or --cluster NAME.',
  };

  static override flags = {
    admin: Flags.string({
      description: 'Admin address HOST:PORT of a broker: the --admin-port of `rsb start` (repeatable).',
      multiple: true,
      exclusive: ['cluster', 'context'],
    }),
    cluster: Flags.string({ description: 'Every broker of this cluster (see `rsb cluster up`), at the admin ports its state records.', exclusive: ['admin', 'context'] }),
    context: contextFlag(['admin', 'cluster']),
    'state-dir': STATE_DIR_FLAG,
    'cluster-of': Flags.boolean({ description: 'Also read every broker the given broker lists in its /api/cluster.', default: false }),
    watch: Flags.boolean({ char: 'w', description: 'Keep reading until Ctrl-C: a live table on a terminal.', default: false }),
    interval: Flags.string({ description: 'Time between readings with --watch.', default: '1s' }),
  };

  async run(): Promise<StatusReport> {
    const { flags } = await this.parse(Status);
    if (flags.watch && this.jsonEnabled()) {
      throw new UsageError('--watch and --json do not go together', 'Run `rsb status --json` repeatedly to poll, or --watch to look.');
    }
    return runStatus({
      targets: chooseStatusTargets(resolveBrokerTarget(flags)),
      isFollowingCluster: flags['cluster-of'],
      isWatching: flags.watch,
      intervalMs: parseDuration(flags.interval, '--interval'),
      isInteractive: isInteractiveTerminal(),
      print: (line) => this.log(line),
    });
  }
}
