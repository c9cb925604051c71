import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileProfile, PROFILE_KIND } from '../../src/load/profile.js';
import { loadScenarioFile, parseScenario, resolveScenario } from '../../src/load/scenario.js';
import { evaluateThresholds, parseThreshold, type ThresholdInput } from '../../src/load/thresholds.js';

const SMOKE = `
name: smoke
profile: { type: constant, rate: 500, duration: 3s }
mix:
  - route: svc.echo
    payload: { min: 16, max: 64 }
  - route: svc.stream
    mode: request-stream
    items: 4
    weight: 0.5
thresholds: ['p99<5ms', 'errors<0.1%', 'rate>=99%']
`;

function messageOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    return (error as Error).message;
  }
  return 'no error';
}

describe('scenario files', () => {
  it('reads a YAML scenario with defaults filled in', () => {
    const scenario = parseScenario(SMOKE, 'smoke.yaml');
    expect(scenario.profile).toEqual({ kind: PROFILE_KIND.CONSTANT, rate: 500, durationMs: 3_000 });
    expect(scenario.mix[0]).toEqual({ route: 'svc.echo', mode: 'request-response', weight: 1, payload: { kind: 'uniform', min: 16, max: 64 }, items: 1 });
    expect(scenario.mix[1]).toMatchObject({ mode: 'request-stream', items: 4, weight: 0.5 });
    expect(scenario.thresholds.map((threshold) => threshold.text)).toEqual(['p99<5ms', 'errors<0.1%', 'rate>=99%']);
    expect(scenario.topology).toEqual({ brokers: 1, mocks: [{ service: 'svc', methods: ['echo'], instances: 1 }] });
    expect(scenario.timeoutMs).toBe(10_000);
  });

  it('reads the same scenario written as JSON', () => {
    const json = JSON.stringify({ name: 'j', profile: { type: 'daily', total: 1000, peak: 100 } });
    const scenario = parseScenario(json, 'j.json');
    expect(scenario.profile).toMatchObject({ kind: PROFILE_KIND.DAILY, total: 1000, peak: 100, scale: 1 });
    expect(scenario.profile.kind === PROFILE_KIND.DAILY && scenario.profile.weights).toHaveLength(24);
  });

  it('names the field and the problem in one sentence when a value has the wrong type', () => {
    expect(messageOf(() => parseScenario('name: x\nprofile: { type: constant, rate: fast, duration: 1s }', 'x.yaml'))).toBe(
      'scenario x.yaml is invalid: profile.rate: expected number, received string',
    );
  });

  it('names an unknown field, so that a typo is not silently ignored', () => {
    expect(messageOf(() => parseScenario('name: x\nprofile: { type: constant, rat: 5, rate: 5, duration: 1s }', 'x.yaml'))).toBe(
      'scenario x.yaml is invalid: profile: unknown field "rat"',
    );
  });

  it('lists the profile types when the type is unknown', () => {
    expect(messageOf(() => parseScenario('name: x\nprofile: { type: sine }', 'x.yaml'))).toBe(
      'scenario x.yaml is invalid: profile.type: must be one of "constant", "ramp", "steps", "daily"',
    );
  });

  it('refuses a duration it cannot read, a daily curve without 24 weights, and a fault on a broker that does not exist', () => {
    expect(messageOf(() => parseScenario('name: x\nprofile: { type: constant, rate: 5, duration: soon }'))).toContain('profile.duration: "soon" is not a duration');
    expect(messageOf(() => parseScenario('name: x\nprofile: { type: daily, total: 5, peak: 1, weights: [1, 2] }'))).toContain('profile.weights: needs 24 hourly weights');
    expect(messageOf(() => parseScenario('name: x\nprofile: { type: constant, rate: 5, duration: 1s }\nfaults: [{ at: 1s, action: kill, target: broker-2 }]'))).toContain(
      'faults.0.target: broker-2 does not exist (the topology has 1 broker)',
    );
    expect(messageOf(() => parseScenario('name: x\nprofile: { type: constant, rate: 5, duration: 1s }\ntopology: { mocks: [{ service: svc, latency: soon }] }'))).toContain(
      'topology.mocks.0: ',
    );
    expect(messageOf(() => parseScenario('name: x\nprofile: { type: constant, rate: 5, duration: 1s }\ntopology: { mocks: [{ service: svc, error: "200%" }] }'))).toContain(
      'topology.mocks.0: ',
    );
    expect(messageOf(() => parseScenario('name: x\nprofile: { type: constant, rate: 5, duration: 1s }\nthresholds: ["p99<5"]'))).toContain(
      'thresholds.0: threshold "p99<5" needs a time unit',
    );
  });

  it('lets flags override the scenario: --qps and --duration make a constant profile, --scale shrinks a day', () => {
    const scenario = parseScenario(SMOKE);
    expect(resolveScenario(scenario, { qps: 62_000, duration: '20s' }).profile).toEqual({ kind: PROFILE_KIND.CONSTANT, rate: 62_000, durationMs: 20_000 });
    expect(resolveScenario(undefined, { qps: 200 }).profile).toEqual({ kind: PROFILE_KIND.CONSTANT, rate: 200, durationMs: 10_000 });
    const daily = parseScenario('name: d\nprofile: { type: daily, total: 27000000, peak: 62000 }');
    expect(resolveScenario(daily, { scale: 0.01 }).profile).toMatchObject({ scale: 0.01, peak: 62_000 });
    expect(messageOf(() => resolveScenario(scenario, { scale: 0.5 }))).toBe('--scale applies to daily profiles, not to a constant profile');
    const flagged = resolveScenario(undefined, { route: 'calc.add', mode: 'fnf', payload: '8-16', threshold: ['p50<1ms'] });
    expect(flagged.mix).toEqual([{ route: 'calc.add', mode: 'fire-and-forget', weight: 1, payload: { kind: 'uniform', min: 8, max: 16 }, items: 1 }]);
    expect(flagged.thresholds[0]).toMatchObject({ metric: 'p50', value: 1_000 });
  });
});

const INPUT: ThresholdInput = {
  latency: { count: 1000, p50Us: 400, p90Us: 900, p99Us: 4_200, p999Us: 9_000, maxUs: 12_000, meanUs: 500 },
  expected: 1000,
  sent: 1000,
  ok: 995,
  errors: 5,
  seconds: 1,
};

describe('flags that change a scenario', () => {
  it('--scale rewrites the description to the profile that runs, so that it no longer tells of the file\'s total', async () => {
    const ci = await loadScenarioFile(fileURLToPath(new URL('../../bench-scenarios/daily-27m-ci.yaml', import.meta.url)));
    expect(ci.description).toContain('2,700,000');
    const scaled = resolveScenario(ci, { scale: 0.02 });
    expect(scaled.description).toBe(`daily profile with --scale 0.02: 540,000 requests over ${Math.round(compileProfile(scaled.profile).durationMs / 1000)} s, peak 62,000/s`);
    expect(resolveScenario(ci, { qps: 1000, duration: '2s' }).description).toBe('constant profile with --qps 1000 --duration 2s: 2,000 requests over 2.0 s, peak 1,000/s');
    expect(resolveScenario(ci, { workers: 2 }).description).toBe(ci.description);
  });

  it('--abort-on-fail makes every threshold abort the run, and --abort-grace sets how long into the run before they are judged', () => {
    const scenario = parseScenario(SMOKE);
    expect(scenario.thresholds.every((threshold) => !threshold.abortOnFail)).toBe(true);
    const aborting = resolveScenario(scenario, { abortOnFail: true, abortGrace: '10s' });
    expect(aborting.thresholds.map((threshold) => [threshold.abortOnFail, threshold.abortGraceMs])).toEqual([
      [true, 10_000],
      [true, 10_000],
      [true, 10_000],
    ]);
    expect(messageOf(() => resolveScenario(scenario, { abortGrace: '10s' }))).toBe('--abort-grace applies to thresholds that abort the run, and none does');
  });

  it('reads abortOnFail and abortGrace on a threshold of a scenario file, next to plain ones', () => {
    const scenario = parseScenario(['name: a', 'profile: { type: constant, rate: 10, duration: 1s }', 'thresholds:', '  - { threshold: p99<5ms, abortOnFail: true, abortGrace: 30s }', '  - errors<1%'].join('\n'));
    expect(scenario.thresholds.map((threshold) => [threshold.text, threshold.abortOnFail, threshold.abortGraceMs])).toEqual([
      ['p99<5ms', true, 30_000],
      ['errors<1%', false, 0],
    ]);
    expect(messageOf(() => parseScenario('name: a\nprofile: { type: constant, rate: 10, duration: 1s }\nthresholds: [{ threshold: p99<5ms, abortOnFial: true }]'))).toContain('unknown field "abortOnFial"');
    const steps = 'name: m\nprofile: { type: steps, steps: [{ rate: 10, duration: 1s }], stopAtFailure: true }\nthresholds: [{ threshold: p99<5ms, abortOnFail: true }]';
    expect(messageOf(() => resolveScenario(parseScenario(steps), {}))).toContain('abort-on-fail does not apply to a stopAtFailure profile');
  });
});

describe('thresholds', () => {
  it('parses latency in us, ms or s, errors as a percentage or a count, rate as a percentage or per second', () => {
    expect(parseThreshold('p99<5ms')).toMatchObject({ metric: 'p99', operator: '<', value: 5_000, unit: 'us' });
    expect(parseThreshold('p99.9 <= 20 ms')).toMatchObject({ metric: 'p99.9', operator: '<=', value: 20_000 });
    expect(parseThreshold('max<1s')).toMatchObject({ metric: 'max', value: 1_000_000 });
    expect(parseThreshold('errors<0.1%')).toMatchObject({ metric: 'errors', value: 0.1, unit: 'percent' });
    expect(parseThreshold('errors<10')).toMatchObject({ metric: 'errors', value: 10, unit: 'count' });
    expect(parseThreshold('rate>=99%')).toMatchObject({ metric: 'rate', operator: '>=', value: 99, unit: 'percent' });
    expect(parseThreshold('rate>=60000')).toMatchObject({ metric: 'rate', value: 60_000, unit: 'per-second' });
  });

  it('refuses what it cannot read with a sentence that names the threshold', () => {
    expect(messageOf(() => parseThreshold('p99 fast'))).toBe('threshold "p99 fast" is not <metric><operator><value>');
    expect(messageOf(() => parseThreshold('latency<5ms'))).toBe('threshold "latency<5ms" names an unknown metric "latency"');
    expect(messageOf(() => parseThreshold('errors<5ms'))).toContain('errors are a percentage');
  });

  it('passes and fails on the measured figures', () => {
    const results = evaluateThresholds(['p99<5ms', 'p99<4ms', 'errors<0.1%', 'errors<1%', 'rate>=99%', 'rate>=99.9%'].map(parseThreshold), INPUT);
    expect(results.map((result) => [result.threshold, result.isPassed, result.measured])).toEqual([
      ['p99<5ms', true, '4.20 ms'],
      ['p99<4ms', false, '4.20 ms'],
      ['errors<0.1%', false, '0.500%'],
      ['errors<1%', true, '0.500%'],
      ['rate>=99%', true, '99.50%'],
      ['rate>=99.9%', false, '99.50%'],
    ]);
  });

  it('fails rather than passes when no sample arrived', () => {
    const empty: ThresholdInput = { latency: undefined, expected: 1000, sent: 0, ok: 0, errors: 0, seconds: 1 };
    const results = evaluateThresholds(['p99<5ms', 'errors<0.1%', 'rate>=99%', 'errors<10'].map(parseThreshold), empty);
    expect(results.map((result) => [result.isPassed, result.measured])).toEqual([
      [false, 'no answer arrived to measure'],
      [false, 'no request was sent'],
      [false, '0%'],
      [true, '0'],
    ]);
  });
});

describe('bench-scenarios/', () => {
  it('holds the seven shipped scenarios, every one valid against the schema', async () => {
    const { readdir } = await import('node:fs/promises');
    const { loadScenarioFile } = await import('../../src/load/scenario.js');
    const { compileProfile } = await import('../../src/load/profile.js');
    const folder = new URL('../../bench-scenarios/', import.meta.url);
    const files = (await readdir(folder)).filter((file) => file.endsWith('.yaml')).sort();
    expect(files).toEqual(['daily-27m-ci.yaml', 'daily-27m.yaml', 'failover.yaml', 'max.yaml', 'partition.yaml', 'peak-62k.yaml', 'smoke.yaml']);
    const scenarios = Object.fromEntries(await Promise.all(files.map(async (file) => [file, await loadScenarioFile(new URL(file, folder).pathname)] as const)));
    expect(compileProfile(scenarios['daily-27m.yaml']!.profile).totalRequests).toBe(27_000_000);
    expect(compileProfile(scenarios['daily-27m-ci.yaml']!.profile).totalRequests).toBe(2_700_000);
    expect(scenarios['peak-62k.yaml']!.profile).toMatchObject({ rate: 62_000 });
    expect(scenarios['failover.yaml']!.topology.brokers).toBe(3);
    expect(scenarios['failover.yaml']!.faults.map((fault) => `${fault.action} ${fault.target}`)).toEqual(['kill broker-2', 'restart broker-2']);
    expect(scenarios['max.yaml']!.profile).toMatchObject({ kind: 'steps', isStoppedAtFailure: true });
    expect(scenarios['partition.yaml']!.topology.hosts).toBe(true);
    expect(scenarios['partition.yaml']!.keepaliveLifetimeMs).toBe(1_000);
    expect(scenarios['partition.yaml']!.faults).toEqual([{ atMs: 6_000, action: 'partition', kind: 'broker', index: 1, target: 'broker-2', durationMs: 5_000 }]);
  });

  it('refuses a network fault outside a lab of hosts, and a partition without its duration, in one sentence', async () => {
    const { parseScenario } = await import('../../src/load/scenario.js');
    const base = { name: 'n', profile: { type: 'constant', rate: 10, duration: '1s' } };
    expect(() => parseScenario(JSON.stringify({ ...base, topology: { brokers: 2 }, faults: [{ at: '1s', action: 'partition', target: 'broker-2', for: '1s' }] }), 'x.yaml')).toThrowError(
      'scenario x.yaml is invalid: faults.0: partition takes a broker of a lab of hosts',
    );
    expect(() => parseScenario(JSON.stringify({ ...base, topology: { brokers: 2, hosts: true }, faults: [{ at: '1s', action: 'partition', target: 'broker-2' }] }), 'x.yaml')).toThrowError(
      'scenario x.yaml is invalid: faults.0: a partition needs "for", how long the host is cut off',
    );
  });
});
