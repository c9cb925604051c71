import { readFile } from 'node:fs/promises';
import { UsageError } from '../errors.js';

/**
 * `-d/--data` of `rsb call`: text as given, `@path` for a file's bytes, `-` for standard
 * input. No `-d` sends empty data.
 */
export async function loadCallData(spec: string | undefined, stdin: NodeJS.ReadableStream = process.stdin): Promise<Buffer> {
  if (spec === undefined) return Buffer.alloc(0);
  if (spec === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
    return Buffer.concat(chunks);
  }
  if (spec.startsWith('@')) {
    const path = spec.slice(1);
    try {
      return await readFile(path);
    } catch (error) {
      throw new UsageError(`cannot read --data file ${JSON.stringify(path)}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, undefined, { cause: error });
    }
  }
  return Buffer.from(spec, 'utf8');
}

/** `--metadata key=value` flags → headers. */
export function parseHeaderFlags(values: readonly string[] | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const value of values ?? []) {
    const equals = value.indexOf('=');
    if (equals <= 0) throw new UsageError(`--metadata ${JSON.stringify(value)} must be key=value`, 'For example --metadata tenant=acme.');
    headers[value.slice(0, equals)] = value.slice(equals + 1);
  }
  return headers;
}

/** A channel's outbound items: one per line of the data (a trailing newline ends the last line, it adds no item). */
export function splitChannelItems(data: Buffer): Buffer[] {
  const items: Buffer[] = [];
  let start = 0;
  for (let at = data.indexOf(0x0a); at >= 0; at = data.indexOf(0x0a, start)) {
    items.push(data.subarray(start, at));
    start = at + 1;
  }
  if (start < data.length || items.length === 0) items.push(data.subarray(start));
  return items;
}
