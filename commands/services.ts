import { Flags } from '@oclif/core';
import { formatServicesReport, listServices, type ServicesReport } from '../src/call/index.js';
import { BROKER_TARGET_FLAGS, brokerFlag, parseDuration, RsbCommand } from '../src/cli/index.js';
import { readTlsClientFiles } from '../src/client/index.js';
import { resolveBrokerTarget } from '../src/context/index.js';
import { DEFAULT_BROKER_PORT } from '../src/protocol/index.js';
import { ConnectError } from '../src/errors.js';

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
    broker: brokerFlag('Broker address HOST:PORT or URI (tcps://, ws://, wss://) to ask (repeatable); only the brokers given are asked.', `the context's, else 127.0.0.1:${DEFAULT_BROKER_PORT}`),
    timeout: Flags.string({ description: 'Time to wait for each broker.', default: '5s' }),
  };

  async run(): Promise<ServicesReport> {
    const { flags } = await this.parse(Services);
    const target = resolveBrokerTarget(flags);
    const report = await listServices({ ...target, tls: readTlsClientFiles(target.tls), timeoutMs: parseDuration(flags.timeout, '--timeout') });
    for (const line of formatServicesReport(report)) this.log(line);
    if (report.brokers.every((broker) => broker.error !== undefined)) {
      throw new ConnectError(`no broker answered: ${report.brokers.map((broker) => `${broker.address} (${broker.error})`).join(', ')}`);
    }
    return report;
  }
}
