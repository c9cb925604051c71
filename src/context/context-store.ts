import path from 'node:path';
import { checkClusterName, parseBrokerAddress, parseHostPort, readPemFile, resolveStateDir } from '../client/index.js';
import { findClosest } from '../cli/suggest.js';
import { UsageError } from '../errors.js';
import { checkContextName, contextsFilePath, CONTEXT_ENV, readContextsFile, resolveConfigDir, writeContextsFile, type Context } from './context-file.js';

/** How a context came to be the one in use. */
export const CONTEXT_ORIGIN = {
  /** `--context NAME` on the command line. */
  FLAG: 'flag',
  /** `RSB_CONTEXT=NAME` in the environment. */
  ENV: 'env',
  /** The current context, chosen with `rsb context use`. */
  CURRENT: 'current',
} as const;
export type ContextOrigin = (typeof CONTEXT_ORIGIN)[keyof typeof CONTEXT_ORIGIN];

export interface NamedContext {
  name: string;
  context: Context;
}

export interface ChosenContext extends NamedContext {
  origin: ContextOrigin;
}

/** Where the contexts live; tests and second sets of contexts give their own (`RSB_CONFIG_DIR` does the same). */
export interface ContextStoreOptions {
  configDir?: string | undefined;
  env?: NodeJS.ProcessEnv | undefined;
}

export interface AddContextInput extends ContextStoreOptions {
  name: string;
  brokers?: readonly string[] | undefined;
  cluster?: string | undefined;
  /** The state directory of `cluster`; default as `--state-dir` (RSB_STATE_DIR, else .rsb here), saved absolute. */
  stateDir?: string | undefined;
  admin?: readonly string[] | undefined;
  token?: string | undefined;
  /** TLS files (relative paths are saved absolute) and whether verification is skipped. */
  tls?: { ca?: string | undefined; cert?: string | undefined; key?: string | undefined; insecureSkipVerify?: boolean | undefined } | undefined;
  description?: string | undefined;
  /** Replace a context of the same name (else that is a usage error). */
  isReplacing?: boolean | undefined;
  /** Make it the current context. */
  isUsed?: boolean | undefined;
}

export interface AddContextResult {
  file: string;
  name: string;
  context: Context;
  isReplaced: boolean;
  isCurrent: boolean;
}

/**
 * Checks a context (every broker address and the cluster name parse, as the flags they
 * stand for would) and saves it under its name.
 */
export function addContext(input: AddContextInput): AddContextResult {
  const name = checkContextName(input.name);
  const hasBrokers = (input.brokers?.length ?? 0) > 0;
  if (hasBrokers === (input.cluster !== undefined)) {
    throw new UsageError(`context ${name} needs --broker or --cluster${hasBrokers ? ', not both' : ''}`, 'For example: rsb context add prod --broker 10.0.0.5:9999 --token "$TOKEN"');
  }
  for (const broker of input.brokers ?? []) parseBrokerAddress(broker, '--broker');
  for (const admin of input.admin ?? []) parseHostPort(admin, '--admin');
  const context: Context = {
    ...(input.description ? { description: input.description } : {}),
    ...(hasBrokers ? { brokers: input.brokers!.map((broker) => broker.trim()) } : {}),
    ...(input.cluster !== undefined ? { cluster: checkClusterName(input.cluster), stateDir: resolveStateDir(input.stateDir) } : {}),
    ...(input.admin?.length ? { admin: input.admin.map((admin) => admin.trim()) } : {}),
    ...(input.token ? { token: input.token } : {}),
    ...readContextTls(name, input.tls),
  };
  const configDir = input.configDir ?? resolveConfigDir(input.env);
  const contents = readContextsFile(configDir);
  const isReplaced = name in contents.contexts;
  if (isReplaced && !input.isReplacing) {
    throw new UsageError(`context ${name} exists`, `Give --force to replace it, or remove it first with \`rsb context rm ${name}\`.`);
  }
  contents.contexts[name] = context;
  if (input.isUsed) contents.current = name;
  const file = writeContextsFile(configDir, contents);
  return { file, name, context, isReplaced, isCurrent: contents.current === name };
}

/** The TLS settings of a new context, paths made absolute and checked for being readable; nothing when none is given. */
function readContextTls(name: string, given: AddContextInput['tls']): Pick<Context, 'tls'> {
  if (given === undefined) return {};
  if ((given.cert === undefined) !== (given.key === undefined)) throw new UsageError(`context ${name}: --tls-cert and --tls-key go together`, 'Give the client certificate and its private key, both PEM files.');
  const file = (text: string | undefined, flag: string): string | undefined => {
    if (text === undefined) return undefined;
    const absolute = path.resolve(text);
    readPemFile(absolute, flag);
    return absolute;
  };
  const tls = {
    ...(given.ca !== undefined ? { ca: file(given.ca, '--tls-ca') } : {}),
    ...(given.cert !== undefined ? { cert: file(given.cert, '--tls-cert'), key: file(given.key, '--tls-key') } : {}),
    ...(given.insecureSkipVerify ? { insecureSkipVerify: true } : {}),
  };
  return Object.keys(tls).length > 0 ? { tls } : {};
}

/** Makes `name` the current context; undefined: none (commands go back to their defaults). */
export function useContext(name: string | undefined, options: ContextStoreOptions = {}): { file: string; current: string | undefined; previous: string | undefined } {
  const configDir = options.configDir ?? resolveConfigDir(options.env);
  const contents = readContextsFile(configDir);
  const previous = contents.current;
  if (name !== undefined) requireContext(contents.contexts, name, configDir);
  contents.current = name;
  return { file: writeContextsFile(configDir, contents), current: name, previous };
}

/** Removes a context; removing the current one leaves none current. */
export function removeContext(name: string, options: ContextStoreOptions = {}): { file: string; name: string; wasCurrent: boolean } {
  const configDir = options.configDir ?? resolveConfigDir(options.env);
  const contents = readContextsFile(configDir);
  requireContext(contents.contexts, name, configDir);
  delete contents.contexts[name];
  const wasCurrent = contents.current === name;
  if (wasCurrent) contents.current = undefined;
  return { file: writeContextsFile(configDir, contents), name, wasCurrent };
}

export interface ContextList {
  file: string;
  /** The current context, if any. */
  current: string | undefined;
  /** The context commands use now: RSB_CONTEXT's, else the current one. */
  inUse: { name: string; origin: ContextOrigin } | undefined;
  contexts: NamedContext[];
}

/** Every context, sorted by name, with the current one and the one in use. */
export function listContexts(options: ContextStoreOptions = {}): ContextList {
  const configDir = options.configDir ?? resolveConfigDir(options.env);
  const contents = readContextsFile(configDir);
  const chosen = chooseContext(undefined, options);
  return {
    file: contextsFilePath(configDir),
    current: contents.current,
    inUse: chosen ? { name: chosen.name, origin: chosen.origin } : undefined,
    contexts: Object.keys(contents.contexts)
      .sort()
      .map((name) => ({ name, context: contents.contexts[name]! })),
  };
}

/**
 * The context a command uses: the one named by `--context`, else by RSB_CONTEXT, else the
 * current one; undefined when none is. A name that is not saved is a usage error.
 */
export function chooseContext(explicit: string | undefined, options: ContextStoreOptions = {}): ChosenContext | undefined {
  const env = options.env ?? process.env;
  const fromEnv = env[CONTEXT_ENV] || undefined;
  const configDir = options.configDir ?? resolveConfigDir(env);
  const contents = readContextsFile(configDir);
  const [name, origin] =
    explicit !== undefined ? [explicit, CONTEXT_ORIGIN.FLAG] : fromEnv !== undefined ? [fromEnv, CONTEXT_ORIGIN.ENV] : [contents.current, CONTEXT_ORIGIN.CURRENT];
  if (name === undefined) return undefined;
  const context = requireContext(contents.contexts, name, configDir, origin === CONTEXT_ORIGIN.ENV ? `${CONTEXT_ENV} names` : undefined);
  return { name, context, origin };
}

/** One context by name (the one in use when no name is given), for `rsb context show`. */
export function showContext(name: string | undefined, options: ContextStoreOptions = {}): ChosenContext & { file: string; current: string | undefined } {
  const configDir = options.configDir ?? resolveConfigDir(options.env);
  const file = contextsFilePath(configDir);
  const contents = readContextsFile(configDir);
  if (name !== undefined) return { name, context: requireContext(contents.contexts, name, configDir), origin: CONTEXT_ORIGIN.FLAG, file, current: contents.current };
  const chosen = chooseContext(undefined, options);
  if (!chosen) throw new UsageError('no context is in use', 'Choose one with `rsb context use NAME`, or name one: `rsb context show NAME`.');
  return { ...chosen, file, current: contents.current };
}

function requireContext(contexts: Record<string, Context>, name: string, configDir: string, prefix = 'no context named'): Context {
  const context = contexts[name];
  if (context) return context;
  const names = Object.keys(contexts);
  const closest = findClosest(name, names);
  const message = prefix === 'no context named' ? `no context named ${JSON.stringify(name)}` : `${prefix} ${JSON.stringify(name)}, which is not a saved context`;
  throw new UsageError(
    `${message} in ${contextsFilePath(configDir)}`,
    closest ? `Did you mean ${closest}?` : names.length ? `It has ${names.join(', ')}.` : `Add one: rsb context add ${name} --broker HOST:PORT`,
  );
}
