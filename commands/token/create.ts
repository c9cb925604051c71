import { Flags } from '@oclif/core';
import { createToken, readKeyFile, type CreatedToken } from '../../src/broker/index.js';
import { defaultShown, parseDuration, parseList, RsbCommand } from '../../src/cli/index.js';
import { UsageError } from '../../src/errors.js';

export default class TokenCreate extends RsbCommand {
  static override summary = 'Sign a JWT for a broker started with --auth jwt.';
  static override description =
    'Prints a token whose claims say who it is for (sub), which services its holder may publish (services) and which routes it may call (routes, glob patterns). ' +
    'Sign with the broker\'s HS256 secret (--secret), or with a private key (--private-key: RSA for RS256, EC P-256 for ES256) whose public key the broker has. ' +
    'Clients send it with --token.';
  static override examples = [
    '<%= config.bin %> token create --sub calc-service --services calc --secret "$SECRET"',
    "<%= config.bin %> token create --sub web --routes 'calc.*,report.daily' --secret \"$SECRET\" --ttl 1h",
    "<%= config.bin %> token create --sub ops --routes '*' --private-key keys/broker.key.pem",
  ];
  static override enableJsonFlag = true;

  static override flags = {
    sub: Flags.string({ description: 'Who the token is for (its "sub" claim).', required: true }),
    services: Flags.string({ description: 'Comma-separated services it may publish (glob patterns allowed).', default: '' }),
    routes: Flags.string({ description: "Comma-separated routes it may call, glob patterns (e.g. 'calc.*').", default: '' }),
    secret: Flags.string({ description: 'HS256 secret, the one the broker has in --jwt-secret.', exclusive: ['private-key'], defaultHelp: defaultShown('RSB_JWT_SECRET') }),
    'private-key': Flags.string({ description: 'PEM private key file (PKCS#8): RSA signs RS256, EC P-256 signs ES256.' }),
    ttl: Flags.string({ description: 'Time until it expires, e.g. 15m, 1h, 30d.', defaultHelp: defaultShown('never expires') }),
  };

  async run(): Promise<CreatedToken> {
    const { flags } = await this.parse(TokenCreate);
    // Read here rather than as the flag's env: a secret in the environment must not clash with --private-key.
    const secret = flags.secret ?? (flags['private-key'] === undefined ? process.env.RSB_JWT_SECRET || undefined : undefined);
    if (secret === undefined && flags['private-key'] === undefined) {
      throw new UsageError('a token needs a key to be signed with', 'Give --secret (HS256, or RSB_JWT_SECRET) or --private-key FILE (RS256/ES256).');
    }
    const created = await createToken({
      sub: flags.sub,
      services: parseList(flags.services),
      routes: parseList(flags.routes),
      ...(secret !== undefined ? { secret } : { keyPem: readKeyFile(flags['private-key']!, '--private-key') }),
      ...(flags.ttl !== undefined ? { ttlSeconds: parseDuration(flags.ttl, '--ttl') / 1000 } : {}),
    });
    this.log(created.token);
    return created;
  }
}
