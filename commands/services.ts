import { Flags } from '@oclif/core';
import { formatServicesReport, listServices, type ServicesReport } from '../src/call/index.js';
import { BROKER_TARGET_FLAGS, readTlsFlags, parseDuration, RsbCommand, TOKEN_FLAG } from '../src/cli/index.js';
import { ConnectError } from '../src/errors.js';
import { DEFAULT_BROKER_ADDRESS, formatBrokerAddress, resolveBrokerAddresses, resolveBrokerTls } from '../src/client/index.js';

export default class Services extends RsbCommand {
  static override summary = 'List the services registered on the brokers and their instances.';
  static override description =
    'Asks each broker its own route rsb.broker.services (any RSocket client can) and prints, per broker, one row per ' +
    'instance: service, app name, uuid, address, requests in flight and when it connected. Exit 7 when no broker answers.';
  static override examples = [
    '<%= config.bin %> services',
    '<%= config.bin %> services --broker 127.0.0.1:9999 --broker 127.0.0.1:10000 --json',
    '<%= config.bin %> services --cluster default   # every broker of `rsb cluster up`',
  ];
  static override enableJsonFlag = true;

  static override flags = {
    ...BROKER_TARGET_FLAGS,
    broker: Flags.string({ description: `Broker host:port to ask (repeatable). Default ${formatBrokerAddress(DEFAULT_BROKER_ADDRESS)}.`, multiple: true }),
    timeout: Flags.string({ description: 'Time to wait for each broker.', default: '5s' }),
    token: TOKEN_FLAG,
  };

  async run(): Promise<ServicesReport> {
    const { flags } = await this.parse(Services);
    const report = await listServices({
      brokers: resolveBrokerAddresses(flags.broker),
      cluster: flags.cluster,
      tls: resolveBrokerTls({ cluster: flags.cluster, stateDir: flags['state-dir'] }, readTlsFlags(flags)),
      stateDir: flags['state-dir'],
      timeoutMs: parseDuration(flags.timeout, '--timeout'),
      token: flags.token,
    });
    for (const line of formatServicesReport(report)) this.log(line);
    if (report.brokers.every((broker) => broker.error !== undefined)) {
      throw new ConnectError(`no broker answered: ${report.brokers.map((broker) => `${broker.address} (${broker.error})`).join(', ')}`);
    }
    return report;
  }
}
