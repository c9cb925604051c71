import { Args, Flags } from '@oclif/core';
import { brokerFlag, RsbCommand, STATE_DIR_FLAG, TLS_CLIENT_FLAGS } from '../../src/cli/index.js';
import { addContext, describeContextTarget, toContextView, type ContextView } from '../../src/context/index.js';

export default class ContextAdd extends RsbCommand {
  static override summary = 'Save where and how to connect under a name: brokers or a cluster, admin addresses, a token, TLS files.';
  static override description =
    'A context is what commands that connect use when no flag names brokers: --context NAME or RSB_CONTEXT picks one, else the ' +
    'current one (`rsb context use`). It is saved in contexts.yaml in the config directory (RSB_CONFIG_DIR, else $XDG_CONFIG_HOME/rsb, ' +
    'else ~/.config/rsb), readable by its owner only. A context with --cluster records the state directory (absolute), so that it ' +
    'works from any directory, and TLS files as absolute paths. --admin gives the admin API addresses `rsb status` reads.';
  static override examples = [
    '<%= config.bin %> context add prod --broker 10.0.0.5:9999 --broker 10.0.0.6:9999 --admin 10.0.0.5:9998 --token "$TOKEN" --use',
    '<%= config.bin %> context add local --cluster default --description "the cluster of rsb cluster up here"',
    '<%= config.bin %> context add edge --broker tcps://edge.example:9443 --tls-ca ca.pem --tls-cert client.pem --tls-key client-key.pem',
  ];
  static override enableJsonFlag = true;

  static override args = {
    name: Args.string({ description: 'Name of the context: letters, digits, dots, dashes, underscores.', required: true }),
  };

  static override flags = {
    broker: brokerFlag('Broker address HOST:PORT or URI (tcps://, ws://, wss://; repeatable); the other brokers of its cluster are learned from the list it pushes.'),
    cluster: Flags.string({ description: 'A cluster of `rsb cluster up`, by name, instead of broker addresses.', exclusive: ['broker'] }),
    'state-dir': STATE_DIR_FLAG,
    admin: Flags.string({ description: 'Admin API address HOST:PORT of a broker, for `rsb status` (repeatable).', multiple: true }),
    token: Flags.string({ description: 'Bearer token sent in SETUP (see `rsb token create`).' }),
    'tls-ca': Flags.string({ description: 'PEM CA to trust for tcps:// and wss:// brokers (saved as an absolute path).' }),
    'tls-cert': Flags.string({ description: 'PEM client certificate, for brokers that ask for one (mTLS); with --tls-key (saved as an absolute path).' }),
    'tls-key': TLS_CLIENT_FLAGS['tls-key'],
    'insecure-skip-tls-verify': TLS_CLIENT_FLAGS['insecure-skip-tls-verify'],
    description: Flags.string({ description: 'What the context is, shown by `rsb context ls`.' }),
    use: Flags.boolean({ description: 'Make it the current context.', default: false }),
    force: Flags.boolean({ description: 'Replace a context of the same name.', default: false }),
  };

  async run(): Promise<ContextView & { file: string }> {
    const { args, flags } = await this.parse(ContextAdd);
    const added = addContext({
      name: args.name,
      brokers: flags.broker,
      cluster: flags.cluster,
      stateDir: flags['state-dir'],
      admin: flags.admin,
      token: flags.token,
      tls: { ca: flags['tls-ca'], cert: flags['tls-cert'], key: flags['tls-key'], insecureSkipVerify: flags['insecure-skip-tls-verify'] },
      description: flags.description,
      isReplacing: flags.force,
      isUsed: flags.use,
    });
    this.log(`context ${added.name} ${added.isReplaced ? 'replaced' : 'saved'} in ${added.file}: ${describeContextTarget(added.context)}`);
    this.log(added.isCurrent ? `${added.name} is the current context.` : `use it: rsb context use ${added.name} (or --context ${added.name}, or RSB_CONTEXT=${added.name})`);
    return { ...toContextView(added.name, added.context, added.isCurrent ? added.name : undefined), file: added.file };
  }
}
