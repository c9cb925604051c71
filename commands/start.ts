import path from 'node:path';
import { Flags } from '@oclif/core';
import { DEFAULT_BROKER_OPTIONS, DEFAULT_BROKER_PORT } from '../src/broker/index.js';
import { runBrokerNode } from '../src/broker/run-node.js';
import { RsbCommand } from '../src/cli/base-command.js';
import { isInteractiveTerminal } from '../src/cli/output.js';
import { parseDuration } from '../src/cli/parse.js';

export default class Start extends RsbCommand {
  static override summary = 'Run a broker node in the foreground.';
  static override description =
    'Accepts RSocket connections, registers the services they publish in SETUP, and routes requests between them by forwarding frames. ' +
    'Runs until SIGINT (Ctrl-C) or SIGTERM, then stops accepting, closes every connection and exits 0. ' +
    'On a terminal it shows a live status line; otherwise it prints plain log lines.';
  static override examples = [
    '<%= config.bin %> start',
    '<%= config.bin %> start --port 7878 --id edge-1',
    '<%= config.bin %> start --port 0   # any free port; the line "listening on HOST:PORT" tells which',
    '<%= config.bin %> start --port 9999 --id b1 --cluster-file brokers.json   # push the list in brokers.json to every client',
  ];

  static override flags = {
    port: Flags.integer({ char: 'p', description: 'TCP port to listen on (0: any free port).', default: DEFAULT_BROKER_PORT, min: 0, max: 65535 }),
    host: Flags.string({ description: 'Address to listen on.', default: DEFAULT_BROKER_OPTIONS.host }),
    id: Flags.string({ description: 'Name of this broker node, shown to clients and in errors.', default: DEFAULT_BROKER_OPTIONS.id }),
    'max-connections': Flags.integer({
      description: 'Connections beyond this many are refused at once with ERROR[REJECTED_SETUP].',
      default: DEFAULT_BROKER_OPTIONS.maxConnections,
      min: 1,
    }),
    'max-frame-size': Flags.integer({
      description: 'Largest frame accepted, in bytes (length prefix excluded); a larger one ends its connection with ERROR[CONNECTION_ERROR].',
      default: DEFAULT_BROKER_OPTIONS.maxFrameLength,
      min: 64,
      max: DEFAULT_BROKER_OPTIONS.maxFrameLength,
    }),
    'setup-timeout': Flags.string({ description: 'Close a connection that sends no SETUP within this time.', default: '10s' }),
    'cluster-file': Flags.string({
      description:
        'JSON file {"name", "brokers": [{"id", "host", "port"}]} listing the cluster this broker belongs to: pushed to every client ' +
        '(METADATA_PUSH, a com.rsb.broker.list CloudEvent), and again whenever the file changes. `rsb cluster up` passes its state file.',
    }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Start);
    await runBrokerNode({
      host: flags.host,
      port: flags.port,
      id: flags.id,
      maxConnections: flags['max-connections'],
      maxFrameLength: flags['max-frame-size'],
      setupTimeoutMs: parseDuration(flags['setup-timeout'], '--setup-timeout'),
      ...(flags['cluster-file'] ? { clusterFile: path.resolve(flags['cluster-file']) } : {}),
      isInteractive: isInteractiveTerminal(),
      print: (line) => this.log(line),
    });
  }
}
