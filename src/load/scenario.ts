import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { parseDuration, parseMode } from '../cli/parse.js';
import { findClosest } from '../cli/suggest.js';
import { UsageError } from '../errors.js';
import { parseMockSpec } from '../mock/index.js';
import { INTERACTION, type Interaction } from '../transport/index.js';
import { formatCount } from '../cli/format.js';
import { compileProfile, DEFAULT_DAILY_WEIGHTS, PROFILE_KIND, type ProfileSpec } from './profile.js';
import type { MixEntry, PayloadSpec } from './request-mix.js';
import { parseThreshold, type Threshold } from './thresholds.js';

/**
 * Scenario files (`bench-scenarios/*.yaml`, YAML or JSON): data only, checked here with
 * one schema. A file that does not fit gets one sentence naming the field and the problem.
 */

const duration = z.union([z.number().positive(), z.string()], { error: 'must be a duration such as 500ms, 20s or 10m (a bare number is seconds)' }).transform((value, context) => {
  if (typeof value === 'number') return value * 1000;
  try {
    return parseDuration(value);
  } catch {
    context.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is not a duration (write it like 500ms, 20s or 10m)` });
    return z.NEVER;
  }
});

const rate = z.number().nonnegative();
const bytes = z.number().int().nonnegative().max(16 * 1024 * 1024);

const profileSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('constant'), rate: z.number().positive(), duration }),
  z.strictObject({ type: z.literal('ramp'), from: rate, to: rate, duration }),
  z.strictObject({
    type: z.literal('steps'),
    steps: z.array(z.strictObject({ rate, duration })).min(1),
    /** Stop at the first step whose thresholds fail and report the highest rate that held (the `max` scenario). */
    stopAtFailure: z.boolean().default(false),
  }),
  z.strictObject({
    type: z.literal('daily'),
    total: z.number().positive(),
    peak: z.number().positive(),
    weights: z
      .array(z.number().nonnegative())
      .length(24, 'needs 24 hourly weights, hour 00 to hour 23')
      .refine((weights) => weights.some((weight) => weight > 0), 'needs at least one weight above 0')
      .default([...DEFAULT_DAILY_WEIGHTS]),
    scale: z.number().positive().max(1).default(1),
  }),
]);

const payloadSchema = z.union(
  [
    bytes,
    z.strictObject({ min: bytes, max: bytes }).refine((range) => range.min <= range.max, 'min must not exceed max'),
    z.strictObject({ choices: z.array(z.strictObject({ bytes, weight: z.number().positive() })).min(1) }),
  ],
  { error: 'must be a size in bytes (32), a range ({ min: 16, max: 1024 }), or sizes with weights ({ choices: [{ bytes: 32, weight: 9 }] })' },
);

const modeSchema = z.enum(Object.values(INTERACTION) as [Interaction, ...Interaction[]]);

const mixSchema = z.strictObject({
  route: z.string().min(3).regex(/\./, 'must be service.method'),
  mode: modeSchema.default(INTERACTION.REQUEST_RESPONSE),
  weight: z.number().positive().default(1),
  payload: payloadSchema.default(32),
  items: z.number().int().positive().default(1),
});

/** A mock service, as `rsb mock` takes it; each instance is its own process (so a fault can kill one). */
const mockSchema = z.strictObject({
  service: z.string().min(1),
  methods: z.array(z.string().min(1)).min(1).default(['echo']),
  instances: z.number().int().positive().max(64).default(1),
  /** Latency of every method (`rsb mock --latency`): `2ms`, `uniform:1ms..5ms`, `normal:10ms,2ms`, `p50=2ms,p99=20ms`. */
  latency: z.string().optional(),
  /** Errors of every method (`rsb mock --error`): `RATE[:CODE[:MESSAGE]]`, like `0.1%:REJECTED`. */
  error: z.string().optional(),
  /** Request-stream answers (`rsb mock --stream`): `COUNT[@INTERVAL]`, like `10@1ms`. */
  stream: z.string().optional(),
});
const DEFAULT_MOCK = { service: 'svc', methods: ['echo'], instances: 1 };

const targetPattern = /^(broker|mock)-(\d+)$/;
const faultSchema = z.strictObject({
  at: duration,
  /** partition and bandwidth: a broker's host link in a lab of hosts (`topology.hosts`). */
  action: z.enum(['kill', 'restart', 'partition', 'bandwidth']),
  /** `broker-2` or `mock-1`: the second broker, the first mock instance (numbered from 1). */
  target: z.string().regex(targetPattern, 'must be broker-N or mock-N (numbered from 1)'),
  /** partition: how long the host is cut off; bandwidth: how long the cap holds (to the end of the run without). */
  for: duration.optional(),
  /** bandwidth: the cap, `1mbit`, `500kbit`. */
  rate: z.string().optional(),
});

/** A threshold: `p99<5ms`, or with abort-on-fail: `{ threshold: p99<5ms, abortOnFail: true, abortGrace: 10s }`. */
const thresholdSchema = z.union([
  z.string(),
  z.strictObject({
    threshold: z.string(),
    /** Stop the run as soon as the threshold fails on the figures so far (k6's abortOnFail). */
    abortOnFail: z.boolean().default(false),
    /** Not judged for abort before this much of the run has passed (k6's delayAbortEval). */
    abortGrace: z.union([z.literal(0), duration]).default(0),
  }),
]);

export const scenarioSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  topology: z
    .strictObject({
      brokers: z.number().int().positive().max(16).default(1),
      mocks: z.array(mockSchema).default([DEFAULT_MOCK]),
      /** Each broker on a host of its own (`rsb cluster up --hosts`: Linux, root), the mocks registered through the lab's DNS name. */
      hosts: z.boolean().optional(),
    })
    .default({ brokers: 1, mocks: [DEFAULT_MOCK] }),
  profile: profileSchema,
  mix: z.array(mixSchema).min(1).default([{ route: 'svc.echo', mode: INTERACTION.REQUEST_RESPONSE, weight: 1, payload: 32, items: 1 }]),
  timeout: duration.default(10_000),
  connections: z.number().int().positive().max(256).default(1),
  workers: z.number().int().positive().max(64).default(1),
  thresholds: z.array(thresholdSchema).default([]),
  faults: z.array(faultSchema).default([]),
  /** A broker silent this long is taken for gone by the generators and mocks (their keepalive lifetime). */
  keepaliveLifetime: duration.optional(),
  /** p99 of the schedule lag above which the run is invalid: the generator, not the broker, was the limit. */
  maxLag: duration.default(10),
  /** Unmeasured ramp up to the first rate before each run, so that cold code does not count. */
  warmup: z.union([z.literal(0), duration]).default(1_000),
});
type ScenarioFile = z.output<typeof scenarioSchema>;

/** A mock service of the topology, in `rsb mock`'s terms. */
export interface TopologyMock {
  service: string;
  methods: string[];
  instances: number;
  latency?: string;
  error?: string;
  stream?: string;
}

export interface TopologySpec {
  brokers: number;
  mocks: TopologyMock[];
  /** A lab of hosts: each broker in a network namespace of its own (Linux, root). */
  hosts?: boolean;
  /** The mocks' keepalive lifetime (`--keepalive-lifetime`); their default otherwise. */
  keepaliveLifetimeMs?: number;
}

export interface FaultSpec {
  atMs: number;
  action: 'kill' | 'restart' | 'partition' | 'bandwidth';
  kind: 'broker' | 'mock';
  /** 0-based among the brokers, or among all mock instances in the order the topology lists them. */
  index: number;
  target: string;
  /** partition: how long the host is cut off; bandwidth: how long the cap holds. */
  durationMs?: number;
  /** bandwidth: the cap (`1mbit`). */
  rate?: string;
}

/** A scenario after the file and the flags have been put together: what a run needs. */
export interface LoadScenario {
  name: string;
  description?: string;
  topology: TopologySpec;
  profile: ProfileSpec;
  mix: MixEntry[];
  timeoutMs: number;
  connections: number;
  workers: number;
  thresholds: Threshold[];
  faults: FaultSpec[];
  maxLagMs: number;
  warmupMs: number;
  /** A broker silent this long is taken for gone (`--keepalive-lifetime`, the scenario's `keepaliveLifetime`). */
  keepaliveLifetimeMs?: number;
}

/** Reads and checks a scenario file (YAML, or JSON, which YAML reads too). */
export async function loadScenarioFile(path: string): Promise<LoadScenario> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read scenario ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, 'Give a path to a YAML or JSON file, e.g. bench-scenarios/smoke.yaml.');
  }
  return parseScenario(text, path);
}

export function parseScenario(text: string, source = 'scenario'): LoadScenario {
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (error) {
    throw new UsageError(`scenario ${source} is not valid YAML or JSON: ${(error as Error).message.split('\n')[0]}`);
  }
  const result = scenarioSchema.safeParse(data);
  if (!result.success) {
    // A misspelt key explains the field it left unset (`duraton:` leaves `duration` missing): it is told first.
    const issue = result.error.issues.find((candidate) => candidate.code === 'unrecognized_keys') ?? result.error.issues[0]!;
    throw new UsageError(`scenario ${source} is invalid: ${describeIssue(issue)}`, suggestKey(issue) ?? 'See bench-scenarios/ for examples of every field.');
  }
  return normalizeScenario(result.data, source);
}

/** `profile.rate: expected number, received string` — the field's path, then the problem. */
function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.length ? issue.path.map(String).join('.') : '(top level)';
  switch (issue.code) {
    case 'unrecognized_keys':
      return `${path === '(top level)' ? '' : `${path}: `}unknown field ${issue.keys.map((key) => JSON.stringify(key)).join(', ')}`;
    case 'invalid_union':
      if ('discriminator' in issue && issue.discriminator) return `${path}: must be one of ${(issue as { options?: unknown[] }).options?.map((option) => JSON.stringify(option)).join(', ')}`;
      return `${path}: ${issue.message}`;
    default:
      return `${path}: ${issue.message.replace(/^Invalid input: /, '')}`;
  }
}

/** For an unknown key, the known one it was probably meant to be: `Did you mean "duration"?`. */
function suggestKey(issue: z.core.$ZodIssue): string | undefined {
  if (issue.code !== 'unrecognized_keys') return undefined;
  const known = keysAt(scenarioSchema, issue.path);
  const suggestions = issue.keys.map((key) => findClosest(key, known)).filter((key): key is string => key !== undefined);
  return suggestions.length ? `Did you mean ${suggestions.map((key) => JSON.stringify(key)).join(', ')}? See bench-scenarios/ for examples of every field.` : undefined;
}

/** The keys an object of the schema takes at `path` (every option's, under a union). */
function keysAt(schema: z.core.$ZodType, path: readonly PropertyKey[]): string[] {
  const def = schema._zod.def as { type: string; shape?: Record<string, z.core.$ZodType>; element?: z.core.$ZodType; innerType?: z.core.$ZodType; in?: z.core.$ZodType; options?: z.core.$ZodType[] };
  const [first, ...rest] = path;
  switch (def.type) {
    case 'object':
      if (first === undefined) return Object.keys(def.shape!);
      return def.shape![String(first)] ? keysAt(def.shape![String(first)]!, rest) : [];
    case 'array':
      return first === undefined ? [] : keysAt(def.element!, rest);
    case 'optional':
    case 'default':
    case 'nullable':
      return keysAt(def.innerType!, path);
    case 'pipe':
      return keysAt(def.in!, path);
    case 'union':
      return [...new Set(def.options!.flatMap((option) => keysAt(option, path)))];
    default:
      return [];
  }
}

function normalizeScenario(file: ScenarioFile, source: string): LoadScenario {
  const thresholds = file.thresholds.map((entry, i) => {
    try {
      if (typeof entry === 'string') return parseThreshold(entry);
      return { ...parseThreshold(entry.threshold), abortOnFail: entry.abortOnFail, abortGraceMs: entry.abortGrace };
    } catch (error) {
      throw new UsageError(`scenario ${source} is invalid: thresholds.${i}: ${(error as Error).message}`, (error as UsageError).hint);
    }
  });
  file.topology.mocks.forEach((mock, i) => {
    try {
      parseMockSpec({ service: mock.service, methods: mock.methods.join(','), latency: toEveryMethod(mock.latency), error: toEveryMethod(mock.error), stream: toEveryMethod(mock.stream) });
    } catch (error) {
      throw new UsageError(`scenario ${source} is invalid: topology.mocks.${i}: ${(error as Error).message}`, (error as UsageError).hint);
    }
  });
  const mockInstances = file.topology.mocks.reduce((sum, mock) => sum + mock.instances, 0);
  const faults = file.faults.map((fault, i): FaultSpec => {
    const [, kind, number] = targetPattern.exec(fault.target)!;
    const index = Number(number) - 1;
    const count = kind === 'broker' ? file.topology.brokers : mockInstances;
    if (index < 0 || index >= count) {
      throw new UsageError(`scenario ${source} is invalid: faults.${i}.target: ${fault.target} does not exist (the topology has ${count} ${kind === 'broker' ? 'broker' : 'mock instance'}${count === 1 ? '' : 's'})`);
    }
    const where = `scenario ${source} is invalid: faults.${i}`;
    if (fault.action === 'partition' || fault.action === 'bandwidth') {
      if (kind !== 'broker' || !file.topology.hosts) throw new UsageError(`${where}: ${fault.action} takes a broker of a lab of hosts`, 'Set topology.hosts: true and target broker-N.');
      if (fault.action === 'partition' && fault.for === undefined) throw new UsageError(`${where}: a partition needs "for", how long the host is cut off`);
      if (fault.action === 'bandwidth' && fault.rate === undefined) throw new UsageError(`${where}: a bandwidth fault needs "rate", e.g. 1mbit`);
    } else if (fault.for !== undefined || fault.rate !== undefined) {
      throw new UsageError(`${where}: "for" and "rate" belong to partition and bandwidth faults`);
    }
    return {
      atMs: fault.at,
      action: fault.action,
      kind: kind as 'broker' | 'mock',
      index,
      target: fault.target,
      ...(fault.for !== undefined ? { durationMs: fault.for } : {}),
      ...(fault.rate !== undefined ? { rate: fault.rate } : {}),
    };
  });
  return {
    name: file.name,
    ...(file.description ? { description: file.description } : {}),
    topology: file.topology,
    profile: toProfileSpec(file.profile),
    mix: file.mix.map((entry) => ({ ...entry, payload: toPayloadSpec(entry.payload) })),
    timeoutMs: file.timeout,
    connections: file.connections,
    workers: file.workers,
    thresholds,
    faults,
    maxLagMs: file.maxLag,
    warmupMs: file.warmup,
    ...(file.keepaliveLifetime !== undefined ? { keepaliveLifetimeMs: file.keepaliveLifetime } : {}),
  };
}

/** A scenario's mock behaviour applies to every method: `rsb mock --latency '*=5ms'`. */
export function toEveryMethod(spec: string | undefined): string[] | undefined {
  return spec === undefined ? undefined : [`*=${spec}`];
}

function toProfileSpec(profile: ScenarioFile['profile']): ProfileSpec {
  switch (profile.type) {
    case 'constant':
      return { kind: PROFILE_KIND.CONSTANT, rate: profile.rate, durationMs: profile.duration };
    case 'ramp':
      return { kind: PROFILE_KIND.RAMP, from: profile.from, to: profile.to, durationMs: profile.duration };
    case 'steps':
      return { kind: PROFILE_KIND.STEPS, steps: profile.steps.map((step) => ({ rate: step.rate, durationMs: step.duration })), isStoppedAtFailure: profile.stopAtFailure };
    case 'daily':
      return { kind: PROFILE_KIND.DAILY, total: profile.total, peak: profile.peak, weights: profile.weights, scale: profile.scale };
  }
}

function toPayloadSpec(payload: ScenarioFile['mix'][number]['payload']): PayloadSpec {
  if (typeof payload === 'number') return { kind: 'fixed', bytes: payload };
  if ('choices' in payload) return { kind: 'choices', choices: payload.choices };
  return { kind: 'uniform', min: payload.min, max: payload.max };
}

/** The simple case's flags, which override what a scenario file says. */
export interface LoadFlags {
  qps?: number;
  duration?: string;
  route?: string;
  mode?: string;
  payload?: string;
  scale?: number;
  timeout?: string;
  connections?: number;
  workers?: number;
  threshold?: string[];
  maxLag?: string;
  warmup?: string;
  /** Every threshold aborts the run as soon as it fails on the figures so far. */
  abortOnFail?: boolean;
  /** How long into the run before an abort-on-fail threshold is judged. */
  abortGrace?: string;
  keepaliveLifetime?: string;
}

export const DEFAULT_SCENARIO: LoadScenario = {
  name: 'default',
  topology: { brokers: 1, mocks: [DEFAULT_MOCK] },
  profile: { kind: PROFILE_KIND.CONSTANT, rate: 1_000, durationMs: 10_000 },
  mix: [{ route: 'svc.echo', mode: INTERACTION.REQUEST_RESPONSE, weight: 1, payload: { kind: 'fixed', bytes: 32 }, items: 1 }],
  timeoutMs: 10_000,
  connections: 1,
  workers: 1,
  thresholds: [],
  faults: [],
  maxLagMs: 10,
  warmupMs: 1_000,
};

/**
 * Puts a scenario (or the default one) and the flags together. Pure: the command's
 * parsing is tested without running anything.
 */
export function resolveScenario(base: LoadScenario | undefined, flags: LoadFlags): LoadScenario {
  const scenario: LoadScenario = structuredClone(base ?? DEFAULT_SCENARIO);
  if (flags.qps !== undefined || flags.duration !== undefined) {
    const durationMs = flags.duration !== undefined ? parseDuration(flags.duration, '--duration') : profileDuration(scenario.profile);
    if (durationMs <= 0) throw new UsageError('--duration must be above 0');
    if (flags.qps !== undefined) {
      if (scenario.profile.kind === PROFILE_KIND.DAILY && flags.duration === undefined) scenario.profile.peak = flags.qps;
      else scenario.profile = { kind: PROFILE_KIND.CONSTANT, rate: flags.qps, durationMs };
    } else if (scenario.profile.kind === PROFILE_KIND.CONSTANT || scenario.profile.kind === PROFILE_KIND.RAMP) {
      scenario.profile.durationMs = durationMs;
    } else {
      throw new UsageError(`--duration cannot stretch a ${scenario.profile.kind} profile`, 'Give --qps too for a constant rate, or edit the scenario.');
    }
  }
  if (flags.scale !== undefined) {
    if (scenario.profile.kind !== PROFILE_KIND.DAILY) throw new UsageError(`--scale applies to daily profiles, not to a ${scenario.profile.kind} profile`);
    if (!(flags.scale > 0 && flags.scale <= 1)) throw new UsageError(`--scale ${flags.scale} must be above 0 and at most 1`);
    scenario.profile.scale = flags.scale;
  }
  // The file's description tells of its own profile (its total, its rate): once flags change the profile, it would tell of a run that did not happen.
  if (scenario.description !== undefined && (flags.qps !== undefined || flags.duration !== undefined || flags.scale !== undefined)) {
    scenario.description = describeChangedProfile(scenario.profile, flags);
  }
  if (flags.route !== undefined || flags.mode !== undefined || flags.payload !== undefined) {
    const first = scenario.mix[0]!;
    const mode = flags.mode === undefined ? first.mode : parseMode(flags.mode);
    const route = flags.route ?? first.route;
    if (!/^[^.]+(\..+)+$/.test(route) && !route.includes('!')) throw new UsageError(`--route ${JSON.stringify(route)} must be service.method`);
    scenario.mix = [{ ...first, route, mode, weight: 1, payload: flags.payload === undefined ? first.payload : parsePayloadFlag(flags.payload) }];
  }
  if (flags.timeout !== undefined) scenario.timeoutMs = parseDuration(flags.timeout, '--timeout');
  if (flags.connections !== undefined) scenario.connections = flags.connections;
  if (flags.workers !== undefined) scenario.workers = flags.workers;
  if (flags.threshold !== undefined && flags.threshold.length > 0) scenario.thresholds = flags.threshold.map(parseThreshold);
  if (flags.maxLag !== undefined) scenario.maxLagMs = parseDuration(flags.maxLag, '--max-lag');
  if (flags.warmup !== undefined) scenario.warmupMs = parseDuration(flags.warmup, '--warmup');
  if (flags.abortOnFail) scenario.thresholds = scenario.thresholds.map((threshold) => ({ ...threshold, abortOnFail: true }));
  if (flags.abortGrace !== undefined) {
    const graceMs = parseDuration(flags.abortGrace, '--abort-grace');
    if (!scenario.thresholds.some((threshold) => threshold.abortOnFail)) {
      throw new UsageError('--abort-grace applies to thresholds that abort the run, and none does', "Add --abort-on-fail, or abortOnFail: true to a scenario's threshold.");
    }
    scenario.thresholds = scenario.thresholds.map((threshold) => (threshold.abortOnFail ? { ...threshold, abortGraceMs: graceMs } : threshold));
  }
  if (scenario.thresholds.some((threshold) => threshold.abortOnFail) && scenario.profile.kind === PROFILE_KIND.STEPS && scenario.profile.isStoppedAtFailure) {
    throw new UsageError('abort-on-fail does not apply to a stopAtFailure profile: its thresholds judge each step, and the first step that breaks already ends the run');
  }
  if (flags.keepaliveLifetime !== undefined) scenario.keepaliveLifetimeMs = parseDuration(flags.keepaliveLifetime, '--keepalive-lifetime');
  return scenario;
}

/** `daily profile with --scale 0.02: 540,000 requests over 15 s, peak 62,000/s`: what runs once flags changed a scenario's profile. */
function describeChangedProfile(profile: ProfileSpec, flags: LoadFlags): string {
  const schedule = compileProfile(profile);
  const given = [
    flags.qps !== undefined ? `--qps ${flags.qps}` : '',
    flags.duration !== undefined ? `--duration ${flags.duration}` : '',
    flags.scale !== undefined ? `--scale ${flags.scale}` : '',
  ].filter(Boolean);
  const peak = Math.max(...schedule.phases.map((phase) => Math.max(phase.fromRate, phase.toRate)));
  const seconds = schedule.durationMs >= 10_000 ? `${Math.round(schedule.durationMs / 1000)} s` : `${(schedule.durationMs / 1000).toFixed(1)} s`;
  return `${schedule.kind} profile with ${given.join(' ')}: ${formatCount(schedule.totalRequests)} requests over ${seconds}, peak ${formatCount(peak)}/s`;
}

function profileDuration(profile: ProfileSpec): number {
  switch (profile.kind) {
    case PROFILE_KIND.CONSTANT:
    case PROFILE_KIND.RAMP:
      return profile.durationMs;
    default:
      return 10_000;
  }
}

/** `32` (bytes), or `16-1024` (uniform). */
export function parsePayloadFlag(text: string): PayloadSpec {
  const fixed = /^\s*(\d+)\s*$/.exec(text);
  if (fixed) return { kind: 'fixed', bytes: Number(fixed[1]) };
  const range = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(text);
  if (range && Number(range[1]) <= Number(range[2])) return { kind: 'uniform', min: Number(range[1]), max: Number(range[2]) };
  throw new UsageError(`--payload ${JSON.stringify(text)} is not a size in bytes`, 'Write it like 32, or 16-1024 for sizes spread evenly in a range.');
}
