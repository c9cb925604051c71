import { Flags } from '@oclif/core';
import { BROKER_TARGET_FLAGS, isInteractiveTerminal, parseByteSize, parseDuration, RsbCommand } from '../src/cli/index.js';
import { readTlsClientFiles } from '../src/client/index.js';
import { resolveBrokerTarget } from '../src/context/index.js';
import { DEFAULT_GATEWAY_PORT, runGateway, type GatewayReport } from '../src/gateway/index.js';

export default class Gateway extends RsbCommand {
  static override summary = 'Serve HTTP/1.1 and turn each request into an RSocket request through the brokers.';
  static override description =
    'POST /{service}/{method} sends the body as request data (its Content-Type as the data MIME type) and answers with the response payload; ' +
    'GET /{service}/{method}?a=1 sends the query as a JSON object. Accept: text/event-stream (server-sent events) or application/x-ndjson makes it a ' +
    'request-stream, one event or line per item; X-RSocket-Mode: fire-and-forget answers 202 at once. Headers X-Meta-KEY: value travel as request ' +
    'metadata. Errors come as JSON {"error":{status,code,message,hint}}: REJECTED 503, APPLICATION_ERROR 502, timeout 504, malformed path 400, ' +
    'body over --max-body 413, no broker 503. GET /healthz answers 200 while a broker is connected. Runs until SIGINT or SIGTERM.';
  static override examples = [
    '<%= config.bin %> gateway --port 8080',
    'curl -d \'{"x":1}\' -H "Content-Type: application/json" http://127.0.0.1:8080/svc/echo',
    'curl -N -H "Accept: text/event-stream" http://127.0.0.1:8080/svc/ticks',
    '<%= config.bin %> gateway --broker 127.0.0.1:9999 --broker 127.0.0.1:10000 --max-body 4MiB',
  ];
  static override enableJsonFlag = true;

  static override flags = {
    port: Flags.integer({ char: 'p', description: 'HTTP port to listen on (0: any free port).', default: DEFAULT_GATEWAY_PORT, min: 0, max: 65535 }),
    host: Flags.string({ description: 'Address to listen on.', default: '127.0.0.1' }),
    ...BROKER_TARGET_FLAGS,
    timeout: Flags.string({ description: 'Time a call may take (streams: each next item).', default: '30s' }),
    'max-body': Flags.string({ description: 'Largest request body accepted.', default: '1MiB' }),
  };

  async run(): Promise<GatewayReport> {
    const { flags } = await this.parse(Gateway);
    const target = resolveBrokerTarget(flags);
    return runGateway({
      host: flags.host,
      port: flags.port,
      ...target,
      tls: readTlsClientFiles(target.tls),
      timeoutMs: parseDuration(flags.timeout, '--timeout'),
      maxBodyBytes: parseByteSize(flags['max-body'], '--max-body'),
      isInteractive: isInteractiveTerminal() && !this.jsonEnabled(),
      print: (line) => (this.jsonEnabled() ? process.stderr.write(`${line}\n`) : this.log(line)),
    });
  }
}
