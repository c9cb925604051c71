import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { z } from 'zod';
import { UsageError } from '../errors.js';

/*
 * Contexts, as the nats CLI and kubectl keep them: named sets of "where and how to
 * connect", one of them current. All of them live in one YAML file,
 * `<config dir>/contexts.yaml`, which `rsb context add|use|rm` edit and a person may edit
 * too. It may hold tokens: it is written readable by its owner only (0600).
 */

/** Overrides where the file lives (tests, or a second set of contexts). */
export const CONFIG_DIR_ENV = 'RSB_CONFIG_DIR';
/** Picks a context for one shell or one command, over the current one. */
export const CONTEXT_ENV = 'RSB_CONTEXT';
export const CONTEXTS_FILE_NAME = 'contexts.yaml';
export const CONTEXTS_FILE_VERSION = 1;

/** `RSB_CONFIG_DIR`, else `$XDG_CONFIG_HOME/rsb`, else `~/.config/rsb`. */
export function resolveConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env[CONFIG_DIR_ENV]) return path.resolve(env[CONFIG_DIR_ENV]);
  const base = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(homedir(), '.config');
  return path.join(base, 'rsb');
}

export function contextsFilePath(configDir: string): string {
  return path.join(configDir, CONTEXTS_FILE_NAME);
}

const CONTEXT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** A context name is a word: letters, digits, dot, dash and underscore. */
export function checkContextName(name: string): string {
  if (!CONTEXT_NAME.test(name)) {
    throw new UsageError(`context name ${JSON.stringify(name)} is not valid`, 'Use up to 64 letters, digits, dots, dashes and underscores, starting with a letter or digit.');
  }
  return name;
}

/**
 * What a context's clients trust and show on TLS (tcps:// and wss:// brokers), as the
 * TLS flags say it: absolute paths of PEM files, so that a context is used from any
 * working directory.
 */
const TLS_SCHEMA = z
  .strictObject({
    /** The CA that signs the brokers' certificates, as `--tls-ca`. */
    ca: z.string().min(1).optional(),
    /** A client certificate and its key, as `--tls-cert` and `--tls-key`. */
    cert: z.string().min(1).optional(),
    key: z.string().min(1).optional(),
    /** Development only, as `--insecure-skip-tls-verify`. */
    insecureSkipVerify: z.boolean().optional(),
  })
  .refine((tls) => (tls.cert === undefined) === (tls.key === undefined), 'cert and key go together');
export type ContextTls = z.output<typeof TLS_SCHEMA>;

/**
 * One context: the brokers (by address, or a cluster of `rsb cluster up` by name), the
 * admin API addresses `rsb status` reads, and the credentials: a token and TLS settings.
 * A new setting is a new optional key here, read by src/context/broker-target.ts into
 * the target commands connect to.
 */
export const CONTEXT_SCHEMA = z
  .strictObject({
    description: z.string().optional(),
    /** Broker addresses, as `--broker` takes them; the rest of their cluster is learned from the list they push. */
    brokers: z.array(z.string().min(1)).min(1).optional(),
    /** A cluster of `rsb cluster up`, by name, in `stateDir`. */
    cluster: z.string().min(1).optional(),
    /** The state directory of `cluster`, absolute: a context is used from any working directory. */
    stateDir: z.string().min(1).optional(),
    /** Admin API addresses (`rsb start --admin-port`), for `rsb status`. */
    admin: z.array(z.string().min(1)).min(1).optional(),
    /** Bearer token sent in SETUP, as `--token`. */
    token: z.string().min(1).optional(),
    /** TLS files, as `--tls-ca`, `--tls-cert`, `--tls-key` and `--insecure-skip-tls-verify`. */
    tls: TLS_SCHEMA.optional(),
  })
  .refine((context) => (context.brokers === undefined) !== (context.cluster === undefined), 'needs brokers or cluster, not both')
  .refine((context) => context.stateDir === undefined || context.cluster !== undefined, 'stateDir goes with cluster');
export type Context = z.output<typeof CONTEXT_SCHEMA>;

const FILE_SCHEMA = z.strictObject({
  version: z.literal(CONTEXTS_FILE_VERSION),
  /** The context every command uses when no flag and no RSB_CONTEXT says otherwise. */
  current: z.string().optional(),
  contexts: z.record(z.string().regex(CONTEXT_NAME, 'is not a valid context name'), CONTEXT_SCHEMA).default({}),
});
export type ContextsFile = z.output<typeof FILE_SCHEMA>;

const HEADER = '# rsb contexts: `rsb context add | use | ls | show | rm` edit this file (docs/contexts.md).\n';

/** The file's contents; an empty set when there is no file yet. A file that does not fit is a usage error naming the field. */
export function readContextsFile(configDir: string): ContextsFile {
  const file = contextsFilePath(configDir);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: CONTEXTS_FILE_VERSION, contexts: {} };
    throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, undefined, { cause: error });
  }
  const invalid = (what: string): UsageError => new UsageError(`${file} is invalid: ${what}`, 'Fix it by hand, or remove it and add the contexts again with `rsb context add`.');
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (error) {
    throw invalid(`not YAML (${(error as Error).message.split('\n')[0]})`);
  }
  const result = FILE_SCHEMA.safeParse(data ?? { version: CONTEXTS_FILE_VERSION });
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw invalid(`${issue.path.length ? `${issue.path.map(String).join('.')}: ` : ''}${issue.message.replace(/^Invalid input: /, '')}`);
  }
  if (result.data.current !== undefined && !(result.data.current in result.data.contexts)) throw invalid(`current names ${JSON.stringify(result.data.current)}, which is not among its contexts`);
  return result.data;
}

/** Writes the whole file at once (a reader never sees half of it), readable by its owner only. */
export function writeContextsFile(configDir: string, contents: ContextsFile): string {
  mkdirSync(configDir, { recursive: true, mode: 0o700 });
  const file = contextsFilePath(configDir);
  const temporary = `${file}.${process.pid}.tmp`;
  const ordered = { version: contents.version, ...(contents.current !== undefined ? { current: contents.current } : {}), contexts: contents.contexts };
  writeFileSync(temporary, HEADER + stringifyYaml(ordered), { mode: 0o600 });
  // A umask may have widened the mode the file was created with.
  chmodSync(temporary, 0o600);
  renameSync(temporary, file);
  return file;
}
