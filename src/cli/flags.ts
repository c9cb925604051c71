import { Flags } from '@oclif/core';

/**
 * Flags that several commands share, defined once so that they read the same everywhere.
 * `--token`: every command that connects to a broker passes it to the SETUP
 * (`PeerConnection` option `token`, the SDK's `token`), for brokers started with `--auth jwt`.
 */
export const TOKEN_FLAG = Flags.string({
  description: 'Bearer token (JWT, see `rsb token create`) sent in SETUP, for a broker started with --auth jwt.',
  env: 'RSB_TOKEN',
});
