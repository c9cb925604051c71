import { UsageError } from '../errors.js';
import { INTERACTION, type Interaction } from '../transport/index.js';
import { findClosest } from './suggest.js';

const DURATION_UNITS_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `250ms`, `3s`, `1.5m`, `2h` → milliseconds. A bare number is seconds. */
export function parseDuration(text: string, what = 'duration'): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(us|ms|s|m|h)?\s*$/.exec(text);
  if (!match) throw new UsageError(`${what} ${JSON.stringify(text)} is not a duration`, 'Write it like 500ms, 20s, 10m or 1h.');
  return Number(match[1]) * DURATION_UNITS_MS[match[2] ?? 's']!;
}

/** `1,64,256` → [1, 64, 256]; every item a whole number of at least `min`. */
export function parseIntegerList(text: string, what: string, min = 1): number[] {
  const items = text.split(',').map((item) => item.trim());
  return items.map((item) => {
    const value = Number(item);
    if (item === '' || !Number.isInteger(value) || value < min) {
      throw new UsageError(`${what} ${JSON.stringify(text)} must be a comma-separated list of whole numbers of at least ${min}`);
    }
    return value;
  });
}

const BYTE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3 };

/** `512`, `4KiB`, `1MiB`, `2GiB` → bytes (KB and KiB both mean 1024). */
export function parseByteSize(text: string, what = 'size'): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = match ? BYTE_UNITS[match[2]!.toLowerCase()] : undefined;
  if (!match || unit === undefined) throw new UsageError(`${what}: ${JSON.stringify(text)} is not a size`, 'Write it like 512, 4KiB or 1MiB.');
  return Math.round(Number(match[1]) * unit);
}

/** `a, b,c` → ['a', 'b', 'c']; empty items dropped. */
export function parseList(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/**
 * The interaction models by their RSocket names, the one spelling `--mode` shows; the short
 * forms rsb took before (`rsb call --mode stream`) are still read, so that scripts keep working.
 */
const MODE_ALIASES: Readonly<Record<string, Interaction>> = {
  rr: INTERACTION.REQUEST_RESPONSE,
  fnf: INTERACTION.FIRE_AND_FORGET,
  stream: INTERACTION.REQUEST_STREAM,
  channel: INTERACTION.REQUEST_CHANNEL,
};

/** `request-stream` (or `stream`) → the interaction model; anything else is a usage error naming the four. */
export function parseMode(text: string, what = '--mode'): Interaction {
  const word = text.trim().toLowerCase();
  const names = Object.values(INTERACTION) as string[];
  if (names.includes(word)) return word as Interaction;
  const alias = MODE_ALIASES[word];
  if (alias) return alias;
  const closest = findClosest(word, names);
  throw new UsageError(`${what} ${JSON.stringify(text)} is not one of ${names.join(', ')}`, closest ? `Did you mean ${closest}?` : undefined);
}
