import { Flags } from '@oclif/core';
import { BROKER_TARGET_FLAGS, isInteractiveTerminal, parseDuration, RsbCommand } from '../src/cli/index.js';
import { readTlsClientFiles } from '../src/client/index.js';
import { resolveBrokerTarget } from '../src/context/index.js';
import { runProxy, type ProxyReport } from '../src/gateway/index.js';

export default class Proxy extends RsbCommand {
  static override summary = 'Stand in front of an HTTP backend: register a service on the brokers and answer it over HTTP.';
  static override description =
    'Registers SERVICE on every broker given; each request SERVICE.METHOD becomes POST {target}/{method} on a pool of keep-alive connections, ' +
    'with the request data as body, its data MIME type as Content-Type and its metadata headers as X-Meta-KEY headers. The HTTP response body ' +
    'becomes the payload (its Content-Type travels as a per-stream MIME entry). HTTP 429 and 503 become REJECTED, other HTTP errors and timeouts ' +
    'APPLICATION_ERROR, with the status in the message. A request-stream answered with application/x-ndjson or text/event-stream yields one item ' +
    'per line or event. Runs until SIGINT or SIGTERM.';
  static override examples = ['<%= config.bin %> proxy --service users --target http://127.0.0.1:8081', '<%= config.bin %> proxy --service orders --target http://10.0.0.5/api --timeout 5s'];
  static override enableJsonFlag = true;
  static override retiredFlags = { '-s': 'Write --service: -s is --scenario, as in rsb load.', '-t': 'Write --target: -t is --threshold, as in rsb load.' };

  static override flags = {
    service: Flags.string({ description: 'Service to register (service, group!service or service:version).', required: true }),
    target: Flags.string({ description: 'Base URL of the HTTP backend.', required: true }),
    ...BROKER_TARGET_FLAGS,
    timeout: Flags.string({ description: 'Time the backend may take to answer.', default: '30s' }),
    connections: Flags.integer({ char: 'c', description: 'Keep-alive connections to the backend.', default: 64, min: 1 }),
  };

  async run(): Promise<ProxyReport> {
    const { flags } = await this.parse(Proxy);
    const target = resolveBrokerTarget(flags);
    return runProxy({
      service: flags.service,
      target: flags.target,
      ...target,
      tls: readTlsClientFiles(target.tls),
      timeoutMs: parseDuration(flags.timeout, '--timeout'),
      connections: flags.connections,
      isInteractive: isInteractiveTerminal() && !this.jsonEnabled(),
      print: (line) => (this.jsonEnabled() ? process.stderr.write(`${line}\n`) : this.log(line)),
    });
  }
}
