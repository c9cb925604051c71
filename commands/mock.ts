import { Args, Flags } from '@oclif/core';
import { BROKER_TARGET_FLAGS, defaultShown, isInteractiveTerminal, parseDuration, RsbCommand } from '../src/cli/index.js';
import { parseMockSpec, runMock, SLOW_METHOD_LATENCY_MS, type MockReport } from '../src/mock/index.js';
import { readTlsClientFiles, resolveBrokerSources } from '../src/client/index.js';
import { resolveBrokerTarget } from '../src/context/index.js';

export default class Mock extends RsbCommand {
  static override summary = 'Register a mock service with the brokers and answer its methods.';
  static override description =
    'Connects --instances connections to every broker (--broker, the brokers their cluster list names, or --cluster), each a ' +
    'registered instance of SERVICE, reconnecting to a broker that goes away, and answers SERVICE.METHOD ' +
    'in all four interaction models on rsb\'s lean responder. Per method: echo or a fixed response, latency, an error rate, ' +
    `stream length and pace. Method names give defaults: "slow" answers after ${SLOW_METHOD_LATENCY_MS} ms, "fail" always fails ` +
    'with APPLICATION_ERROR; others echo at once. Flags taking METHOD=SPEC accept *=SPEC for every method. ' +
    'Prints "rsb mock SERVICE ready: N instance(s) on BROKERS" once registered, shows live counts, and on SIGINT/SIGTERM ' +
    'closes its connections (the brokers unregister it) and exits 0.';
  static override examples = [
    '<%= config.bin %> mock svc',
    '<%= config.bin %> mock svc --methods echo,slow,fail',
    "<%= config.bin %> mock svc --methods get,put --latency 'get=p50=2ms,p99=20ms' --error 'put=5%:REJECTED:overloaded'",
    '<%= config.bin %> mock svc --methods big,ticks --response big=size:64KiB --stream ticks=10@100ms',
    '<%= config.bin %> mock svc --instances 4 --broker 127.0.0.1:9999 --broker 127.0.0.1:10000 --listen 7000',
    '<%= config.bin %> mock svc --cluster default        # every broker of `rsb cluster up`, and any it adds later',
  ];
  static override enableJsonFlag = true;

  static override args = {
    service: Args.string({ description: 'Service name to register (requests route to SERVICE.METHOD).', required: true }),
  };

  static override flags = {
    methods: Flags.string({ description: 'Comma-separated method names.', default: 'echo' }),
    ...BROKER_TARGET_FLAGS,
    instances: Flags.integer({ description: 'Connections to each broker, each a separate registered instance.', default: 1, min: 1 }),
    listen: Flags.integer({
      description: 'Also accept direct RSocket connections on this port (0: any free port), for a no-broker baseline.',
      min: 0,
      max: 65535,
      defaultHelp: defaultShown('no direct connections'),
    }),
    host: Flags.string({ description: 'Address to listen on with --listen.', default: '127.0.0.1' }),
    latency: Flags.string({
      description: 'METHOD=LATENCY: 5ms, uniform:1ms..5ms, normal:MEAN,SD (e.g. normal:10ms,2ms), or percentiles p50=2ms,p99=20ms (a log-normal curve through them); none to remove.',
      multiple: true,
    }),
    response: Flags.string({ description: 'METHOD=RESPONSE: echo, text:STRING, size:BYTES (generated, e.g. size:1KiB), or @FILE.', multiple: true }),
    error: Flags.string({ description: 'METHOD=RATE[:CODE[:MESSAGE]]: RATE 0..1 or a percentage; CODE a name (REJECTED) or number (0x301); default APPLICATION_ERROR.', multiple: true }),
    stream: Flags.string({ description: 'METHOD=COUNT[@INTERVAL]: items a request-stream gets, and the pause between them (default 10, no pause).', multiple: true }),
    'keepalive-lifetime': Flags.string({
      description: 'A broker silent this long is taken for gone and redialled (a partition is found by this, not by TCP timeouts): keepalives go every quarter of it.',
      defaultHelp: defaultShown('60s'),
    }),
  };

  async run(): Promise<MockReport> {
    const { args, flags } = await this.parse(Mock);
    const spec = parseMockSpec({
      service: args.service,
      methods: flags.methods,
      latency: flags.latency,
      response: flags.response,
      error: flags.error,
      stream: flags.stream,
    });
    const isJson = this.jsonEnabled();
    const target = resolveBrokerTarget(flags);
    return runMock({
      spec,
      brokers: resolveBrokerSources({ cluster: target.cluster, brokers: target.brokers, stateDir: target.stateDir }),
      tls: readTlsClientFiles(target.tls),
      instances: flags.instances,
      token: target.token,
      ...(flags['keepalive-lifetime'] !== undefined ? { keepaliveLifetimeMs: parseDuration(flags['keepalive-lifetime'], '--keepalive-lifetime') } : {}),
      listen: flags.listen === undefined ? undefined : { host: flags.host, port: flags.listen },
      isInteractive: isInteractiveTerminal() && !isJson,
      // Under --json, stdout holds the final report only (and oclif silences logToStderr too).
      print: (line) => (isJson ? process.stderr.write(`${line}\n`) : this.log(line)),
    });
  }
}
