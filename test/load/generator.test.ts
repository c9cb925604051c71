import { afterEach, describe, expect, it } from 'vitest';
import { Broker } from '../../src/broker/index.js';
import { OpenLoopGenerator, WarmUp, type GeneratorPlan, type IntervalSnapshot } from '../../src/load/generator.js';
import { decodeHistogram } from '../../src/load/histograms.js';
import { OUTCOME, OUTCOME_COUNT } from '../../src/protocol/index.js';
import { PROFILE_KIND } from '../../src/load/profile.js';
import { ECHO_HANDLER, INTERACTION, ResponderConnection, ResponderServer } from '../../src/transport/index.js';

function plan(port: number, overrides: Partial<GeneratorPlan> = {}): GeneratorPlan {
  return {
    profile: { kind: PROFILE_KIND.CONSTANT, rate: 2_000, durationMs: 300 },
    mix: [{ route: 'svc.echo', mode: INTERACTION.REQUEST_RESPONSE, weight: 1, payload: { kind: 'fixed', bytes: 16 }, items: 1 }],
    targets: [{ name: 'direct', host: '127.0.0.1', port }],
    connectionsPerTarget: 1,
    timeoutMs: 2_000,
    worker: 0,
    workers: 1,
    intervalMs: 100,
    appName: 'rsb-load-test',
    seed: 1,
    warmupMs: 0,
    ...overrides,
  };
}

async function runGenerator(generatorPlan: GeneratorPlan): Promise<IntervalSnapshot[]> {
  const snapshots: IntervalSnapshot[] = [];
  const generator = new OpenLoopGenerator(generatorPlan, { onInterval: (snapshot) => snapshots.push(snapshot) });
  await generator.connect();
  try {
    await generator.run(performance.timeOrigin + performance.now() + 20);
  } finally {
    await generator.close();
  }
  return snapshots;
}

function total(snapshots: IntervalSnapshot[], outcome: number): number {
  return snapshots.reduce((sum, snapshot) => sum + (snapshot.byEntry[outcome] ?? 0), 0);
}

describe('open-loop generator', () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('sends every request of the schedule and hears every answer, with latency in the histograms', async () => {
    const server = await ResponderServer.listen({ host: '127.0.0.1', port: 0 }, ECHO_HANDLER);
    cleanups.push(() => server.close());
    const snapshots = await runGenerator(plan(server.port));
    expect(snapshots.at(-1)!.isFinal).toBe(true);
    expect(snapshots.reduce((sum, snapshot) => sum + snapshot.sent, 0)).toBe(600);
    expect(total(snapshots, OUTCOME.OK)).toBe(600);
    const recorded = snapshots.reduce((sum, snapshot) => sum + decodeHistogram(snapshot.corrected).totalCount, 0);
    expect(recorded).toBe(600);
    expect(snapshots.at(-1)!.phaseSent).toEqual([600]);
  });

  it('counts REJECTED answers from a broker with no instance, per route and per target', async () => {
    const broker = new Broker({ port: 0 });
    await broker.start();
    cleanups.push(() => broker.stop());
    const snapshots = await runGenerator(plan(broker.port, { targets: [{ name: 'broker-1', host: '127.0.0.1', port: broker.port }] }));
    expect(total(snapshots, OUTCOME.REJECTED)).toBe(600);
    expect(snapshots.reduce((sum, snapshot) => sum + snapshot.byTarget[OUTCOME.REJECTED]!, 0)).toBe(600);
    const samples = snapshots.flatMap((snapshot) => snapshot.errorSamples);
    expect(samples).toEqual([{ outcome: OUTCOME.REJECTED, message: expect.stringContaining('svc') }]);
  });

  it('follows the mix: each route its share, counted on its own, request-streams to their COMPLETE', async () => {
    const broker = new Broker({ port: 0 });
    await broker.start();
    cleanups.push(() => broker.stop());
    const service = await ResponderConnection.connect({ host: '127.0.0.1', port: broker.port, services: [{ service: 'svc', group: '', version: '' }] }, ECHO_HANDLER);
    cleanups.push(() => service.peer.close());
    const snapshots = await runGenerator(
      plan(broker.port, {
        targets: [{ name: 'broker-1', host: '127.0.0.1', port: broker.port }],
        mix: [
          { route: 'svc.echo', mode: INTERACTION.REQUEST_RESPONSE, weight: 3, payload: { kind: 'uniform', min: 8, max: 64 }, items: 1 },
          { route: 'svc.items', mode: INTERACTION.REQUEST_STREAM, weight: 1, payload: { kind: 'fixed', bytes: 8 }, items: 4 },
          { route: 'other.echo', mode: INTERACTION.REQUEST_RESPONSE, weight: 1, payload: { kind: 'fixed', bytes: 8 }, items: 1 },
        ],
      }),
    );
    const byEntry = (entry: number, outcome: number) => snapshots.reduce((sum, snapshot) => sum + snapshot.byEntry[entry * OUTCOME_COUNT + outcome]!, 0);
    expect(byEntry(0, OUTCOME.OK)).toBe(360);
    expect(byEntry(1, OUTCOME.OK)).toBe(120);
    expect(byEntry(2, OUTCOME.REJECTED)).toBe(120);
  });

  it('ends a request-stream once it has the items it asked for, and cancels the rest', async () => {
    const cancelled: number[] = [];
    // A responder with ten items that sends only what it has credit for, like rsb mock.
    const server = await ResponderServer.listen(
      { host: '127.0.0.1', port: 0 },
      {
        handle: (stream, request) => {
          let left = 10;
          const pump = (): void => {
            while (stream.credits > 0 && left > 0) stream.next(request.data, null, --left === 0);
          };
          stream.onRequestN = pump;
          stream.onCancel = () => cancelled.push(stream.streamId);
          pump();
        },
      },
    );
    cleanups.push(() => server.close());
    const snapshots = await runGenerator(
      plan(server.port, {
        profile: { kind: PROFILE_KIND.CONSTANT, rate: 100, durationMs: 100 },
        mix: [{ route: 'svc.items', mode: INTERACTION.REQUEST_STREAM, weight: 1, payload: { kind: 'fixed', bytes: 8 }, items: 3 }],
      }),
    );
    expect(total(snapshots, OUTCOME.OK)).toBe(10);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(cancelled).toHaveLength(10);
  });

  it('times out requests that get no answer, and cancels them', async () => {
    const cancelled: number[] = [];
    const server = await ResponderServer.listen({ host: '127.0.0.1', port: 0 }, { handle: (stream) => (stream.onCancel = () => cancelled.push(stream.streamId)) });
    cleanups.push(() => server.close());
    const snapshots = await runGenerator(plan(server.port, { profile: { kind: PROFILE_KIND.CONSTANT, rate: 100, durationMs: 100 }, timeoutMs: 100 }));
    expect(total(snapshots, OUTCOME.TIMEOUT)).toBe(10);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(cancelled).toHaveLength(10);
  });

  it('spreads requests over two brokers and moves them to the live one when one stops', async () => {
    const brokers = [new Broker({ port: 0, id: 'a' }), new Broker({ port: 0, id: 'b' })];
    for (const broker of brokers) {
      await broker.start();
      cleanups.push(() => broker.stop());
      const service = await ResponderConnection.connect({ host: '127.0.0.1', port: broker.port, services: [{ service: 'svc', group: '', version: '' }] }, ECHO_HANDLER);
      cleanups.push(() => service.peer.close());
    }
    const snapshots: IntervalSnapshot[] = [];
    const generator = new OpenLoopGenerator(
      plan(0, {
        profile: { kind: PROFILE_KIND.CONSTANT, rate: 1_000, durationMs: 600 },
        targets: brokers.map((broker) => ({ name: broker.id, host: '127.0.0.1', port: broker.port })),
      }),
      { onInterval: (snapshot) => snapshots.push(snapshot) },
    );
    await generator.connect();
    cleanups.push(() => generator.close());
    const done = generator.run(performance.timeOrigin + performance.now() + 10);
    await new Promise((resolve) => setTimeout(resolve, 250));
    await brokers[1]!.stop();
    await done;
    const byTarget = (target: number, outcome: number) => snapshots.reduce((sum, snapshot) => sum + snapshot.byTarget[target * OUTCOME_COUNT + outcome]!, 0);
    expect(total(snapshots, OUTCOME.OK) + total(snapshots, OUTCOME.CONNECTION_LOST)).toBe(600);
    expect(byTarget(0, OUTCOME.OK)).toBeGreaterThan(350);
    expect(byTarget(1, OUTCOME.OK)).toBeGreaterThan(50);
    expect(byTarget(1, OUTCOME.OK)).toBeLessThan(250);
  });
});

describe('stopping and warming up', () => {
  it('stopped mid-schedule, reports where it stopped and as expected exactly the requests that were due by then, sent or not', async () => {
    const server = await ResponderServer.listen({ host: '127.0.0.1', port: 0 }, ECHO_HANDLER);
    try {
      const snapshots: IntervalSnapshot[] = [];
      const sends: number[] = [];
      const generatorPlan = plan(server.port, { profile: { kind: PROFILE_KIND.CONSTANT, rate: 2_000, durationMs: 5_000 }, worker: 1, workers: 2 });
      const generator = new OpenLoopGenerator(generatorPlan, { onInterval: (snapshot) => snapshots.push(snapshot), onSend: (index) => sends.push(index) });
      await generator.connect();
      const done = generator.run(performance.timeOrigin + performance.now() + 20);
      await new Promise((resolve) => setTimeout(resolve, 200));
      generator.stop();
      await done;
      await generator.close();
      const final = snapshots.at(-1)!;
      expect(final.isFinal).toBe(true);
      expect(final.stoppedAtMs).toBeGreaterThan(0);
      expect(final.stoppedAtMs).toBeLessThan(5_000);
      // This worker's requests are 1, 3, 5...: those intended at or before the stop (request k at k / 2 ms).
      const cursor = generator.schedule.cursor();
      let due = 0;
      for (let k = 1; cursor.timeOf(k) <= final.stoppedAtMs; k += 2) due++;
      expect(final.expected).toBe(due);
      expect(sends.length).toBeLessThanOrEqual(due);
      expect(sends.length).toBe(snapshots.reduce((sum, snapshot) => sum + snapshot.sent, 0));
    } finally {
      await server.close();
    }
  });

  it('run to its end, reports its whole share as expected and no stop', async () => {
    const server = await ResponderServer.listen({ host: '127.0.0.1', port: 0 }, ECHO_HANDLER);
    try {
      const snapshots = await runGenerator(plan(server.port, { worker: 1, workers: 2 }));
      expect(snapshots.at(-1)).toMatchObject({ isFinal: true, expected: 300, stoppedAtMs: -1 });
    } finally {
      await server.close();
    }
  });

  it('counts what the warm-up sent and how each request ended, apart from the run', async () => {
    const broker = new Broker({ port: 0 });
    await broker.start();
    try {
      const warmUp = new WarmUp(plan(broker.port, { targets: [{ name: 'broker-1', host: '127.0.0.1', port: broker.port }], warmupMs: 300 }));
      const counts = await warmUp.run();
      // A ramp from 0 to 2,000/s over 300 ms: 300 requests, all REJECTED (no service behind the broker).
      expect(counts.sent).toBe(300);
      expect(counts.outcomes[OUTCOME.REJECTED]).toBe(300);
      expect(counts.outcomes.reduce((sum, count) => sum + count, 0)).toBe(300);
    } finally {
      await broker.stop();
    }
  });

  it('ends the warm-up early when stopped, still counting everything it sent', async () => {
    const server = await ResponderServer.listen({ host: '127.0.0.1', port: 0 }, ECHO_HANDLER);
    try {
      const warmUp = new WarmUp(plan(server.port, { warmupMs: 10_000 }));
      const running = warmUp.run();
      await new Promise((resolve) => setTimeout(resolve, 300));
      warmUp.stop();
      const counts = await running;
      expect(counts.sent).toBeGreaterThan(0);
      expect(counts.sent).toBeLessThan(10_000);
      expect(counts.outcomes[OUTCOME.OK]).toBe(counts.sent);
    } finally {
      await server.close();
    }
  });
});

describe('the scheduler', () => {
  it('sends request k at or after its intended time, all due requests of a tick together, none early', async () => {
    const server = await ResponderServer.listen({ host: '127.0.0.1', port: 0 }, ECHO_HANDLER);
    try {
      const sends: { index: number; intendedAt: number; sentAt: number }[] = [];
      const generatorPlan = plan(server.port, { profile: { kind: PROFILE_KIND.RAMP, from: 1_000, to: 5_000, durationMs: 400 } });
      const generator = new OpenLoopGenerator(generatorPlan, { onInterval() {}, onSend: (index, intendedAt, sentAt) => sends.push({ index, intendedAt, sentAt }) });
      await generator.connect();
      await generator.run(performance.timeOrigin + performance.now() + 20);
      await generator.close();
      const cursor = generator.schedule.cursor();
      expect(sends).toHaveLength(1_200);
      sends.forEach((send, k) => {
        expect(send.index).toBe(k);
        expect(send.intendedAt).toBe(cursor.timeOf(k));
        expect(send.sentAt).toBeGreaterThanOrEqual(send.intendedAt);
      });
      // A tick sends everything due at it: a request already due when the previous one left, left in the same tick.
      for (let k = 1; k < sends.length; k++) {
        if (sends[k]!.intendedAt <= sends[k - 1]!.sentAt) expect(sends[k]!.sentAt).toBe(sends[k - 1]!.sentAt);
        else expect(sends[k]!.sentAt).toBeGreaterThan(sends[k - 1]!.sentAt);
      }
    } finally {
      await server.close();
    }
  });

  it('shares one schedule between two generators: every request sent exactly once', async () => {
    const server = await ResponderServer.listen({ host: '127.0.0.1', port: 0 }, ECHO_HANDLER);
    try {
      const indexes: number[] = [];
      const generators = [0, 1].map((worker) => new OpenLoopGenerator(plan(server.port, { worker, workers: 2 }), { onInterval() {}, onSend: (index) => indexes.push(index) }));
      await Promise.all(generators.map((generator) => generator.connect()));
      const startAt = performance.timeOrigin + performance.now() + 20;
      await Promise.all(generators.map((generator) => generator.run(startAt)));
      await Promise.all(generators.map((generator) => generator.close()));
      expect(indexes.sort((a, b) => a - b)).toEqual(Array.from({ length: 600 }, (_, k) => k));
    } finally {
      await server.close();
    }
  });
});
