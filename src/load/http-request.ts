import { UsageError } from '../errors.js';
import type { HttpRequestSpec } from './http-engine.js';
import type { LoadScenario } from './scenario.js';

export interface HttpRequestFlags {
  url: string;
  method?: string | undefined;
  body?: string | undefined;
  headers?: string[] | undefined;
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];

/**
 * The request `rsb load --http` repeats. Without `--body`, the body is the scenario's
 * payload size in bytes (32 by default), as RSocket runs send: autocannon sends one body,
 * so a payload must be one size, not a range.
 */
export function buildHttpRequest(flags: HttpRequestFlags, scenario: LoadScenario): HttpRequestSpec {
  let url: URL;
  try {
    url = new URL(flags.url);
  } catch {
    throw new UsageError(`--http ${JSON.stringify(flags.url)} is not a URL`, 'Write it like http://127.0.0.1:8080/svc/echo.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--http ${flags.url} is not an http:// or https:// URL`);
  const method = (flags.method ?? 'POST').toUpperCase();
  if (!METHODS.includes(method)) throw new UsageError(`--method ${JSON.stringify(flags.method)} is not an HTTP method`, `Choose one of ${METHODS.join(', ')}.`);
  const headers: Record<string, string> = {};
  for (const header of flags.headers ?? []) {
    const colon = header.indexOf(':');
    if (colon <= 0) throw new UsageError(`--header ${JSON.stringify(header)} is not NAME: VALUE`, "Write it like --header 'content-type: application/json'.");
    headers[header.slice(0, colon).trim().toLowerCase()] = header.slice(colon + 1).trim();
  }
  const body = method === 'GET' || method === 'HEAD' ? Buffer.alloc(0) : flags.body !== undefined ? Buffer.from(flags.body) : Buffer.alloc(payloadBytes(scenario), 'x');
  if (body.length > 0) headers['content-type'] ??= 'application/octet-stream';
  return { url: url.href, method, headers, body };
}

function payloadBytes(scenario: LoadScenario): number {
  const payload = scenario.mix[0]!.payload;
  if (scenario.mix.length > 1 || payload.kind !== 'fixed') {
    throw new UsageError('--http sends one body: the payload must be one size', 'Give --payload 32 (or --body TEXT) with --http, not a range or a mix.');
  }
  return payload.bytes;
}
