import { toConfiguredId, type Hook } from '@oclif/core';
import askToRunClosest from '@oclif/plugin-not-found';
import { UsageError } from '../errors.js';
import { findClosest } from './suggest.js';

/**
 * oclif's `command_not_found` hook (package.json, oclif.hooks): a mistyped command is a
 * usage error in rsb's words, with the command it was probably meant to be
 * (`rsb: "lod" is not an rsb command`, `hint: Did you mean \`rsb load\`?`, exit 2). In a
 * terminal, @oclif/plugin-not-found asks "Did you mean load?" and runs it on yes; its own
 * warning and error are replaced by this one sentence, so that it reads like every other
 * rsb error.
 */
const suggestCommand: Hook.CommandNotFound = async function (options) {
  const { config } = options;
  const visible = config.commands.filter((command) => !command.hidden).flatMap((command) => [command.id, ...command.aliases]);
  const closest = findClosest(options.id, visible);
  const list = '`rsb help` lists every command.';
  const notCommand = new UsageError(
    `${JSON.stringify(toConfiguredId(options.id, config))} is not an rsb command`,
    closest ? `Did you mean \`rsb ${toConfiguredId(closest, config)}\`? ${list}` : list,
  );
  if (!closest || !process.stdin.isTTY || !process.stderr.isTTY) throw notCommand;
  const prompt: Hook.Context = {
    ...this,
    warn: () => undefined,
    error: () => {
      throw notCommand;
    },
  };
  return askToRunClosest.call(prompt, options);
};

export default suggestCommand;
