import { INTERACTION, prepareRequest, type Interaction, type RequestTemplate } from '../transport/index.js';

/** Payload sizes: one size, a uniform range, or sizes with weights. */
export type PayloadSpec =
  | { kind: 'fixed'; bytes: number }
  | { kind: 'uniform'; min: number; max: number }
  | { kind: 'choices'; choices: { bytes: number; weight: number }[] };

/** One kind of request in the mix. */
export interface MixEntry {
  route: string;
  mode: Interaction;
  /** Share of the requests, relative to the other entries. */
  weight: number;
  payload: PayloadSpec;
  /** request-stream: items asked for (the initial REQUEST_N); the stream's latency runs to its COMPLETE. */
  items: number;
}

/**
 * Requests cycle through this many prepared templates: enough for the mix's weights and
 * the payload distribution to show, few enough to stay in cache. Request k uses entry
 * k mod PATTERN_LENGTH.
 */
export const PATTERN_LENGTH = 1024;

/**
 * The mix compiled for the hot path: `templates[j]` and `entryOf[j]` for j in the
 * pattern. Built once per generator, deterministically (seeded), so a run's requests are
 * the same every time.
 */
export interface RequestPattern {
  readonly templates: readonly RequestTemplate[];
  readonly entryOf: Int32Array;
  /** Labels for reports: the route, and the mode where two entries share a route. */
  readonly labels: readonly string[];
}

export function buildRequestPattern(mix: readonly MixEntry[], seed = 1): RequestPattern {
  const random = seededRandom(seed);
  const byEntryAndSize = new Map<string, RequestTemplate>();
  const templates: RequestTemplate[] = [];
  const entryOf = new Int32Array(PATTERN_LENGTH);
  // Smooth weighted round robin: entries interleave in proportion to their weights.
  const current = mix.map(() => 0);
  const totalWeight = mix.reduce((sum, entry) => sum + entry.weight, 0);
  for (let j = 0; j < PATTERN_LENGTH; j++) {
    let chosen = 0;
    for (let i = 0; i < mix.length; i++) {
      current[i]! += mix[i]!.weight;
      if (current[i]! > current[chosen]!) chosen = i;
    }
    current[chosen]! -= totalWeight;
    const entry = mix[chosen]!;
    const bytes = samplePayloadSize(entry.payload, random);
    const key = `${chosen}/${bytes}`;
    let template = byEntryAndSize.get(key);
    if (!template) {
      template = prepareRequest({
        route: entry.route,
        data: Buffer.alloc(bytes, 0x61),
        mode: entry.mode,
        initialN: entry.mode === INTERACTION.REQUEST_STREAM || entry.mode === INTERACTION.REQUEST_CHANNEL ? entry.items : undefined,
      });
      byEntryAndSize.set(key, template);
    }
    templates.push(template);
    entryOf[j] = chosen;
  }
  return { templates, entryOf, labels: labelMix(mix) };
}

export function labelMix(mix: readonly MixEntry[]): string[] {
  return mix.map((entry) => (mix.filter((other) => other.route === entry.route).length > 1 ? `${entry.route} (${entry.mode})` : entry.route));
}

function samplePayloadSize(payload: PayloadSpec, random: () => number): number {
  switch (payload.kind) {
    case 'fixed':
      return payload.bytes;
    case 'uniform':
      return payload.min + Math.floor(random() * (payload.max - payload.min + 1));
    case 'choices': {
      const total = payload.choices.reduce((sum, choice) => sum + choice.weight, 0);
      let pick = random() * total;
      for (const choice of payload.choices) {
        pick -= choice.weight;
        if (pick < 0) return choice.bytes;
      }
      return payload.choices[payload.choices.length - 1]!.bytes;
    }
  }
}

/** mulberry32: a small seeded generator, so that a scenario's payload sizes are reproducible. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export { INTERACTION, type Interaction };
