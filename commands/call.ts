import { Args, Flags } from '@oclif/core';
import { formatFrameDump, loadCallData, parseHeaderFlags, runCall, type CallResult } from '../src/call/index.js';
import { BROKER_TARGET_FLAGS, defaultShown, MODE_FLAG, parseDuration, RsbCommand } from '../src/cli/index.js';
import { readTlsClientFiles } from '../src/client/index.js';
import { resolveBrokerTarget } from '../src/context/index.js';
import { INTERACTION } from '../src/transport/index.js';
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
    '<%= config.bin %> call svc.ticks --mode request-stream --take 5',
    "printf 'a\\nb\\nc\\n' | <%= config.bin %> call svc.echo --mode request-channel -d -",
    '<%= config.bin %> call svc.echo -d hi --json --debug',
    '<%= config.bin %> call svc.echo -d hi --cluster default   # through any live broker of `rsb cluster up`',
    '<%= config.bin %> call svc.echo -d hi --context prod      # the brokers and token of a saved context',
  ];
  static override enableJsonFlag = true;

  static override args = {
    route: Args.string({ description: 'SERVICE.METHOD (or group!SERVICE.METHOD:version).', required: true }),
  };

  static override flags = {
    data: Flags.string({ char: 'd', description: 'Request data: text, @FILE for a file, - for standard input.', defaultHelp: defaultShown('empty') }),
    mode: MODE_FLAG({ default: INTERACTION.REQUEST_RESPONSE }),
    take: Flags.integer({ description: 'Streams and channels: cancel after this many items.', min: 1, defaultHelp: defaultShown('all') }),
    metadata: Flags.string({ description: 'key=value sent with the request (repeatable).', multiple: true }),
    'data-mime': Flags.string({ description: 'MIME type of the data.' }),
    timeout: Flags.string({ description: 'Time to wait for the answer (streams and channels: for each next item); 0 waits forever.', default: '10s' }),
    ...BROKER_TARGET_FLAGS,
  };

  async run(): Promise<CallResult> {
    const { args, flags } = await this.parse(Call);
    const isJson = this.jsonEnabled();
    const target = resolveBrokerTarget(flags);
    return runCall({
      ...target,
      tls: readTlsClientFiles(target.tls),
      route: args.route,
      mode: flags.mode,
      data: await loadCallData(flags.data),
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
