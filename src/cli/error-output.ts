import { handle } from '@oclif/core';
import { ClusterNotFoundError, ConnectError, LabUnavailableError, NoBrokerError, ResolveError, RsbError, RSocketRequestError, SetupRejectedError, TimeoutError, UsageError } from '../errors.js';
import { ProtocolError } from '../protocol/index.js';
import { EXIT_CODE, type ExitCode } from './exit-codes.js';
import { findClosest } from './suggest.js';

/**
 * One error style for every failure a user sees: `rsb: one sentence` and `  hint: what to
 * try`, exit code from docs/errors.md. oclif's own parse errors (a missing argument, a flag
 * that does not exist, a value not among the options...) are reworded here into that
 * style, so that they read like rsb's own errors and never dump the usage after them.
 */

/** What the error report needs to know of the command that failed, to name its flags and show an example. */
export interface CommandFacts {
  /** As the user types it: `cluster up`. */
  id: string;
  /** Long names of its flags (`duration`), with their one-letter forms and aliases. */
  flags: Record<string, { char?: string | undefined; aliases?: readonly string[] | undefined }>;
  /** Its arguments, in order. */
  args: readonly { name: string; description?: string | undefined }[];
  /** Its help examples, `<%= config.bin %>` already replaced. */
  examples: readonly string[];
  /** Spellings a past version took, each with the hint that says what to write now (`{ '-d': 'Write --duration ...' }`). */
  retiredFlags?: Readonly<Record<string, string>> | undefined;
}

/** An error from oclif: it carries its exit code (2 for a usage error). */
interface OclifError extends Error {
  oclif?: { exit?: number };
  code?: string;
  args?: unknown[];
  flags?: string[];
}

/** oclif wraps what a flag's own parser threw: `Parsing --qps \n\t<message>\nSee more help with --help`. */
const FLAG_PARSE_WRAPPER = /^Parsing --(\S+) \n\t([\s\S]*?)(?:\nSee more help with --help)?$/;
const HELP_TAIL = /\s*See more help with --help\s*$/;
/** oclif colours parts of its messages (the reasons of a failed flag check). */
const ANSI_ESCAPE = /\u001b\[[0-9;]*m/g;

/**
 * The error as rsb reports it: an RsbError or ProtocolError as it is, an oclif usage error
 * reworded as a UsageError; undefined for what must go on to oclif (its exit requests, and
 * errors that are bugs, which oclif prints with their stack).
 */
export function toReportableError(error: Error, command?: CommandFacts): RsbError | ProtocolError | undefined {
  const wrapped = FLAG_PARSE_WRAPPER.exec(error.message);
  if (error instanceof RsbError || error instanceof ProtocolError) {
    // A flag's own parser threw one of ours; oclif only decorated its message.
    if (wrapped) error.message = wrapped[2]!;
    return error;
  }
  if (wrapped) return describeFlagValueError(wrapped[1]!, wrapped[2]!, command);
  const oclifError = error as OclifError;
  if (oclifError.code === 'EEXIT' || oclifError.oclif?.exit !== 2) return undefined;
  return describeUsageError(oclifError, command) ?? new UsageError(cleanMessage(error.message), generalHint(command), { cause: error });
}

/** `rsb: message` and its hint, the stack only with --debug: the way every rsb error is printed. */
export function printError(error: RsbError | ProtocolError, isDebug: boolean, write: (text: string) => void = (text) => process.stderr.write(text)): void {
  const hint = error instanceof RsbError && error.hint ? `\n  hint: ${error.hint}` : '';
  write(`rsb: ${error.message}${hint}\n`);
  if (isDebug && error.stack) write(`${error.stack}\n`);
}

/** The exit code of an error rsb reports (docs/errors.md). */
export function exitCodeFor(error: Error): ExitCode {
  if (error instanceof UsageError || error instanceof ClusterNotFoundError || error instanceof LabUnavailableError) return EXIT_CODE.USAGE;
  if (error instanceof RSocketRequestError) return EXIT_CODE.RSOCKET_ERROR;
  if (error instanceof TimeoutError) return EXIT_CODE.TIMEOUT;
  if (error instanceof ConnectError || error instanceof SetupRejectedError || error instanceof NoBrokerError || error instanceof ResolveError) return EXIT_CODE.NO_CONNECTION;
  return EXIT_CODE.ERROR;
}

/**
 * bin/run.js: an error outside any command (a mistyped command, `rsb help` of one that
 * does not exist) is reported like a command's; what is not a usage error goes to oclif.
 */
export async function reportUncaughtError(error: unknown): Promise<void> {
  const reportable = error instanceof Error ? toReportableError(error) : undefined;
  if (!reportable) return handle(error as Error);
  printError(reportable, process.argv.includes('--debug'));
  process.exitCode = exitCodeFor(reportable);
}

function describeUsageError(error: OclifError, command: CommandFacts | undefined): UsageError | undefined {
  const message = cleanMessage(error.message);
  const options = { cause: error };
  switch (error.constructor.name) {
    case 'RequiredArgsError': {
      const missing = (error.args ?? []) as { name: string; description?: string }[];
      const [only] = missing;
      const what = missing.length === 1 && only?.description ? `${only.name.toUpperCase()}: ${only.description.replace(/\.$/, '')}` : missing.map((arg) => arg.name.toUpperCase()).join(' and ');
      return new UsageError(`${commandName(command)} needs ${what}`, exampleHint(command), options);
    }
    case 'UnexpectedArgsError': {
      const [extra] = (error.args ?? []) as string[];
      const takes = command?.args.length
        ? `${commandName(command)} takes ${command.args.map((arg) => arg.name.toUpperCase()).join(' and ')} only; quote a value that has spaces in it.`
        : `${commandName(command)} takes flags only.`;
      return new UsageError(`unexpected argument ${JSON.stringify(extra)}`, takes, options);
    }
    case 'NonExistentFlagsError':
      return describeUnknownFlag(error.flags?.[0] ?? message, command, error);
  }
  const invalidOption = /^Expected --(\S+?)=([\s\S]*) to be one of: ([\s\S]*)$/.exec(message);
  if (invalidOption) return describeInvalidOption(invalidOption[1]!, invalidOption[2]!, splitList(invalidOption[3]!), command, error);
  const invalidArg = /^Expected ([\s\S]*) to be one of: ([\s\S]*)$/.exec(message);
  if (invalidArg) return describeInvalidOption(undefined, invalidArg[1]!, splitList(invalidArg[2]!), command, error);
  const noValue = /^Flag --(\S+) expects a value$/.exec(message);
  if (noValue) return new UsageError(`--${noValue[1]} needs a value`, generalHint(command), options);
  const noOption = /^Flag --(\S+) expects one of these values: ([\s\S]*)$/.exec(message);
  if (noOption) return new UsageError(`--${noOption[1]} needs one of ${splitList(noOption[2]!).join(', ')}`, generalHint(command), options);
  const reasons = /^The following errors? occurred:\s*([\s\S]*)$/.exec(message);
  if (reasons) return describeFlagConstraints(reasons[1]!.split('\n').map((line) => line.trim()).filter(Boolean), command, error);
  const notFound = /^Command (.+?) not found\.?$/i.exec(message);
  if (notFound) return new UsageError(`${JSON.stringify(notFound[1])} is not an rsb command`, '`rsb help` lists every command.', options);
  return undefined;
}

/** Integer flags' own checks, in oclif's words, reworded. */
function describeFlagValueError(flag: string, problem: string, command: CommandFacts | undefined): UsageError {
  const hint = `\`${commandName(command)} -h\` shows what --${flag} takes.`;
  const notInteger = /^Expected an integer but received: ([\s\S]*)$/.exec(problem);
  if (notInteger) return new UsageError(`--${flag} ${JSON.stringify(notInteger[1])} is not a whole number`, hint);
  const bound = /^Expected an integer (greater|less) than or equal to (\S+) but received: ([\s\S]*)$/.exec(problem);
  if (bound) return new UsageError(`--${flag} must be at ${bound[1] === 'greater' ? 'least' : 'most'} ${bound[2]}, not ${bound[3]}`, hint);
  return new UsageError(`--${flag}: ${cleanMessage(problem).replace(/^\w/, (letter) => letter.toLowerCase())}`, hint);
}

function describeUnknownFlag(typed: string, command: CommandFacts | undefined, cause: Error): UsageError {
  const message = `${commandName(command)} has no flag ${typed}`;
  const retired = command?.retiredFlags?.[typed.replace(/=.*$/, '')];
  if (retired) return new UsageError(message, retired, { cause });
  const names = Object.keys(command?.flags ?? {});
  const closest = typed.startsWith('--') ? findClosest(typed.slice(2).replace(/=.*$/, ''), names) : undefined;
  const list = `\`${commandName(command)} -h\` lists its flags.`;
  return new UsageError(message, closest ? `Did you mean --${closest}? ${list}` : list, { cause });
}

function describeInvalidOption(flag: string | undefined, value: string, allowed: string[], command: CommandFacts | undefined, cause: Error): UsageError {
  const closest = findClosest(value, allowed);
  const subject = flag ? `--${flag} ${JSON.stringify(value)}` : JSON.stringify(value);
  return new UsageError(`${subject} is not one of ${allowed.join(', ')}`, closest ? `Did you mean ${closest}?` : generalHint(command), { cause });
}

/** oclif's `exclusive`, `dependsOn` and `required` checks: one sentence for the first that failed (all the missing flags at once). */
function describeFlagConstraints(reasons: string[], command: CommandFacts | undefined, cause: Error): UsageError {
  const missing = reasons.map((reason) => /^Missing required flag (\S+)$/.exec(reason)?.[1]).filter((name): name is string => name !== undefined);
  if (missing.length > 0) return new UsageError(`${commandName(command)} needs ${missing.map((name) => `--${name}`).join(' and ')}`, exampleHint(command), { cause });
  const [first = ''] = reasons;
  // oclif shows a flag's defaultHelp as its value here, which may have spaces.
  const clash = /^--([^=\s]+)(?:=.*?)? cannot also be provided when using --(\S+)$/.exec(first);
  if (clash) return new UsageError(`give --${clash[2]} or --${clash[1]}, not both`, generalHint(command), { cause });
  const needs = /^All of the following must be provided when using --(\S+): (.+)$/.exec(first);
  if (needs) return new UsageError(`--${needs[1]} needs ${needs[2]}`, generalHint(command), { cause });
  return new UsageError(first.replace(/\.$/, ''), generalHint(command), { cause });
}

function commandName(command: CommandFacts | undefined): string {
  return command ? `rsb ${command.id}` : 'rsb';
}

function generalHint(command: CommandFacts | undefined): string {
  return command ? `\`rsb ${command.id} -h\` shows its flags and examples.` : '`rsb help` lists every command.';
}

function exampleHint(command: CommandFacts | undefined): string {
  const [example] = command?.examples ?? [];
  // An example may end with a comment for the help page; the command is what helps here.
  return example ? `For example: ${example.replace(/\s+#.*$/, '')}` : generalHint(command);
}

function cleanMessage(message: string): string {
  return message.replace(ANSI_ESCAPE, '').replace(HELP_TAIL, '').trim().replace(/\.$/, '');
}

function splitList(text: string): string[] {
  return text
    .replace(/\s+/g, ' ')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}
