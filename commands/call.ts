import { Args, Flags } from '@oclif/core';
import { CALL_MODE, formatFrameDump, loadCallData, parseHeaderFlags, runCall, type CallMode, type CallResult } from '../src/call/index.js';
import { BROKER_TARGET_FLAGS, readTlsFlags, parseDuration, RsbCommand, TOKEN_FLAG } from '../src/cli/index.js';
import { DEFAULT_BROKER_ADDRESS, formatBrokerAddress, resolveBrokerAddresses, resolveBrokerTls } from '../src/client/index.js';
import { FRAME_DIRECTION } from '../src/sdk/index.js';

export default class Call extends RsbCommand {
  static override summary = 'Send one routed request through the broker, curl-style.';
  static override description =
    'Connects with rsocket-js (through rsb\'s SDK), sends one request to SERVICE.METHOD in the mode asked and prints each ' +
    'response\'s data on its own line. A channel sends each line of the data as one item. --metadata pairs travel as one ' +
    'composite metadata entry of MIME application/json holding a JSON object; --data-mime is sent in SETUP and as a ' +
    'per-stream message/x.rsocket.mime-type.v0 entry. ' +
    'Exit codes: 0 a response (or, for fire-and-forget, the request sent); 5 an RSocket ERROR (its name and message on stderr); ' +
    '6 a timeout; 7 no connection or SETUP refused.';
  static override examples = [
    '<%= config.bin %> call svc.echo -d hello',
    '<%= config.bin %> call svc.echo -d @request.json --data-mime application/json --metadata tenant=acme',
    'echo hello | <%= config.bin %> call svc.echo -d -',
    '<%= config.bin %> call svc.ticks --mode stream --take 5',
    "printf 'a\\nb\\nc\\n' | <%= config.bin %> call svc.echo --mode channel -d -",
    '<%= config.bin %> call svc.echo -d hi --json --debug',
    '<%= config.bin %> call svc.echo -d hi --cluster default   # through any live broker of `rsb cluster up`',
  ];
  static override enableJsonFlag = true;

  static override args = {
    route: Args.string({ description: 'SERVICE.METHOD (or group!SERVICE.METHOD:version).', required: true }),
  };

  static override flags = {
    data: Flags.string({ char: 'd', description: 'Request data: text, @FILE for a file, - for standard input.' }),
    mode: Flags.string({ char: 'm', description: 'Interaction model.', options: Object.values(CALL_MODE), default: CALL_MODE.REQUEST_RESPONSE }),
    take: Flags.integer({ description: 'Streams and channels: cancel after this many items.', min: 1 }),
    metadata: Flags.string({ description: 'key=value sent with the request (repeatable).', multiple: true }),
    'data-mime': Flags.string({ description: 'MIME type of the data.' }),
    timeout: Flags.string({ description: 'Time to wait for the answer (streams and channels: for each next item); 0 waits forever.', default: '10s' }),
    ...BROKER_TARGET_FLAGS,
    broker: Flags.string({
      description:
        `Broker host:port (repeatable; the request goes to the first connected). Default ${formatBrokerAddress(DEFAULT_BROKER_ADDRESS)}. ` +
        'The other brokers of its cluster are learned from the list it pushes.',
      multiple: true,
    }),
    token: TOKEN_FLAG,
  };

  async run(): Promise<CallResult> {
    const { args, flags } = await this.parse(Call);
    const isJson = this.jsonEnabled();
    return runCall({
      route: args.route,
      mode: flags.mode as CallMode,
      data: await loadCallData(flags.data),
      brokers: resolveBrokerAddresses(flags.broker),
      cluster: flags.cluster,
      stateDir: flags['state-dir'],
      token: flags.token,
      tls: resolveBrokerTls({ cluster: flags.cluster, stateDir: flags['state-dir'] }, readTlsFlags(flags)),
      take: flags.take,
      headers: parseHeaderFlags(flags.metadata),
      dataMimeType: flags['data-mime'],
      timeoutMs: parseDuration(flags.timeout, '--timeout'),
      onResponse: isJson ? undefined : (message) => this.log(message.data.toString('utf8')),
      onFrame: flags.debug
        ? // Straight to stderr: oclif's logToStderr is silent under --json, and frames are wanted there too.
          (direction, frame) => process.stderr.write(`${formatFrameDump(direction === FRAME_DIRECTION.SENT ? '->' : '<-', frame).join('\n')}\n`)
        : undefined,
    });
  }
}
