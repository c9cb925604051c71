import { formatTable } from '../cli/table.js';
import { CONTEXT_ENV, type Context, type ContextTls } from './context-file.js';
import { CONTEXT_ORIGIN, type ContextList, type ContextOrigin } from './context-store.js';

/** A context as commands print and `--json` shows it: the token never in full. */
export interface ContextView {
  name: string;
  description?: string;
  brokers?: string[];
  cluster?: string;
  stateDir?: string;
  admin?: string[];
  /** `eyJhbGci… (212 characters)`: enough to tell tokens apart, not enough to use one. */
  token?: string;
  /** TLS files, as paths (no secret in them: a key file is only named). */
  tls?: ContextTls;
  isCurrent: boolean;
}

export function toContextView(name: string, context: Context, current: string | undefined): ContextView {
  const { token, ...settings } = context;
  return { name, ...settings, ...(token ? { token: maskToken(token) } : {}), isCurrent: name === current };
}

export function maskToken(token: string): string {
  return `${token.slice(0, 8)}… (${token.length} characters)`;
}

/** What the context connects to, in a few words: `10.0.0.5:9999, 10.0.0.6:9999` or `cluster ci (/srv/app/.rsb)`. */
export function describeContextTarget(context: Pick<Context, 'brokers' | 'cluster' | 'stateDir'>): string {
  return context.brokers ? context.brokers.join(', ') : `cluster ${context.cluster} (${context.stateDir})`;
}

/** `rsb context ls`: a table, the current context starred, and which one is in use if RSB_CONTEXT says another. */
export function formatContextList(list: ContextList): string[] {
  if (list.contexts.length === 0) return [`no contexts in ${list.file}`, 'add one: rsb context add NAME --broker HOST:PORT [--token TOKEN] [--use]'];
  const rows = list.contexts.map(({ name, context }) => [
    name === list.current ? '*' : '',
    name,
    describeContextTarget(context),
    context.admin?.join(', ') ?? '-',
    context.token ? 'yes' : '-',
    context.description ?? '',
  ]);
  const lines = [`contexts in ${list.file}:`, ...formatTable(['CURRENT', 'NAME', 'BROKERS', 'ADMIN', 'TOKEN', 'DESCRIPTION'], rows).map((line) => `  ${line}`)];
  if (list.inUse?.origin === CONTEXT_ORIGIN.ENV) lines.push(`${CONTEXT_ENV}=${list.inUse.name} is set: commands here use ${list.inUse.name}${list.current ? `, not ${list.current}` : ''}.`);
  else if (!list.current) lines.push('none is current: commands use their defaults until `rsb context use NAME`.');
  return lines;
}

/** `rsb context show`: one context, a setting a line. */
export function formatContext(view: ContextView, origin: ContextOrigin, file: string): string[] {
  const why = origin === CONTEXT_ORIGIN.ENV ? `in use: ${CONTEXT_ENV}` : view.isCurrent ? 'current' : undefined;
  const rows: [string, string | undefined][] = [
    ['brokers', view.brokers?.join(', ')],
    ['cluster', view.cluster === undefined ? undefined : `${view.cluster} (state in ${view.stateDir})`],
    ['admin', view.admin?.join(', ')],
    ['token', view.token],
    ['tls', view.tls === undefined ? undefined : describeContextTls(view.tls)],
    ['description', view.description],
  ];
  const shown = rows.filter((row): row is [string, string] => row[1] !== undefined);
  const width = Math.max(...shown.map(([key]) => key.length));
  return [`context ${view.name}${why ? ` (${why})` : ''} in ${file}`, ...shown.map(([key, value]) => `  ${key.padEnd(width)}  ${value}`)];
}

/** `ca /etc/rsb/ca.pem, client certificate /etc/rsb/client.pem`, and the skipped verification said loudly. */
function describeContextTls(tls: ContextTls): string {
  return [
    tls.ca !== undefined ? `ca ${tls.ca}` : '',
    tls.cert !== undefined ? `client certificate ${tls.cert} (key ${tls.key})` : '',
    tls.insecureSkipVerify ? 'broker certificates NOT verified (development only)' : '',
  ]
    .filter(Boolean)
    .join(', ');
}
