import { readTlsClientFiles, type TlsClientFiles } from '../client/index.js';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { ERROR_CODE, OUTCOME, OUTCOME_COUNT } from '../protocol/index.js';
import type { RequestObserver, RequestTemplate } from '../transport/index.js';
import { ConnectionPool, type LoadTarget, type PoolEvent } from './connection-pool.js';
import { createRecordingHistogram, encodeHistogram, recordMillis, type Histogram } from './histograms.js';
import { classifyErrorCode, IntervalErrors } from './outcomes.js';
import { compileProfile, PROFILE_KIND, type ProfileSpec, type Schedule, type ScheduleCursor } from './profile.js';
import { buildRequestPattern, INTERACTION, PATTERN_LENGTH, type MixEntry, type RequestPattern } from './request-mix.js';

/** Everything one generator needs; plain data, so it can be posted to a worker thread. */
export interface GeneratorPlan {
  profile: ProfileSpec;
  mix: MixEntry[];
  targets: LoadTarget[];
  connectionsPerTarget: number;
  timeoutMs: number;
  /** This generator sends requests worker, worker + workers, worker + 2·workers... of the schedule. */
  worker: number;
  workers: number;
  intervalMs: number;
  appName: string;
  /** Bearer token sent in SETUP (brokers started with --auth jwt). */
  token?: string;
  /** tcps and wss targets: TLS files, read by each generator. */
  tls?: TlsClientFiles;
  /** A broker silent this long is taken for gone (`--keepalive-lifetime`); the connections' default otherwise. */
  keepaliveLifetimeMs?: number;
  seed: number;
  /** Unmeasured ramp before the schedule (its own connections, results dropped): JIT and connections warm in generator, broker and mock. */
  warmupMs: number;
  /**
   * Requests leave in batches, one per window of this length (ms): the generator wakes once
   * per window rather than once per request, and sends everything due. 0: each request
   * leaves at its own time (fine pacing, naps between). Latency still runs from each
   * request's intended time, so the wait for the window's end is measured, as lag.
   */
  pacingMs: number;
}

export interface GeneratorHealth {
  /** Scheduler ticks in the interval. */
  ticks: number;
  /** How late the latest tick ran against its plan: how long the generator could not look at its schedule. */
  maxTickLateMs: number;
  eventLoopDelayP99Ms: number;
  eventLoopDelayMaxMs: number;
  inFlight: number;
}

/** What a generator reports about each interval (about a second, cut at phase boundaries). */
export interface IntervalSnapshot {
  worker: number;
  /** Phase of the interval: where the schedule was when it ended. */
  phase: number;
  startMs: number;
  endMs: number;
  sent: number;
  /** Outcome counts of requests that ended in the interval, `[entry * OUTCOME_COUNT + outcome]`. */
  byEntry: number[];
  /** The same by target, `[target * OUTCOME_COUNT + outcome]`. */
  byTarget: number[];
  /** Histograms of the interval, HdrHistogram compressed base64, microseconds. */
  corrected: string;
  uncorrected: string;
  lag: string;
  /** Since the start: requests sent per phase of their intended time, and their outcomes `[phase * OUTCOME_COUNT + outcome]`. */
  phaseSent: number[];
  phaseOutcomes: number[];
  health: GeneratorHealth;
  /** The first message seen of each outcome, once per run. */
  errorSamples: { outcome: number; message: string }[];
  /** Run-relative times of the first and last error in the interval, ms; -1 when there was none. */
  firstErrorAtMs: number;
  lastErrorAtMs: number;
  /**
   * This generator's share of the requests the schedule called for up to its end or its stop
   * (sent or not): what a shortened run is judged against. Final snapshot only; 0 before.
   */
  expected: number;
  /** Schedule time at which `stop()` cut the schedule short, ms; -1 when it ran to its end (or stopped after it). Final snapshot only. */
  stoppedAtMs: number;
  isFinal: boolean;
}

export interface GeneratorSink {
  onInterval(snapshot: IntervalSnapshot): void;
  onPoolEvent?(event: PoolEvent): void;
  /** Tests only: each request's index, intended and actual send time (ms from the start). */
  onSend?(index: number, intendedAt: number, sentAt: number): void;
}

/** What a warm-up sent and how it ended, `outcomes[outcome]`: reported apart from the measured run. */
export interface WarmupCounts {
  sent: number;
  outcomes: number[];
}

export function createWarmupCounts(): WarmupCounts {
  return { sent: 0, outcomes: new Array<number>(OUTCOME_COUNT).fill(0) };
}

/** Adds `more` into `into` (the warm-ups of several workers). */
export function addWarmupCounts(into: WarmupCounts, more: WarmupCounts): void {
  into.sent += more.sent;
  for (let outcome = 0; outcome < OUTCOME_COUNT; outcome++) into.outcomes[outcome]! += more.outcomes[outcome] ?? 0;
}

/**
 * What a generator sends through: connections numbered from 0, each to target
 * `targetOf[c]`. RSocket's ConnectionPool; `rsb bench --rate` puts NATS connections
 * behind the same face, to drive nats-server with this very generator.
 */
export interface LoadConnections {
  readonly targetOf: Int32Array;
  open(): Promise<void>;
  /** The next connection that is up, or -1. */
  pick(): number;
  isConnected(c: number): boolean;
  /** Sends one request on `c`; returns its stream id (what `cancel` takes). */
  send(c: number, template: RequestTemplate, context: number): number;
  cancel(c: number, streamId: number): void;
  /** Writes what was queued since the last flush. */
  flush(): void;
  close(): Promise<void>;
}

/** Opens a generator's connections to its plan's targets, reporting each request's end to `observer`. */
export type ConnectLoad = (plan: GeneratorPlan, observer: RequestObserver<number>, onEvent: (event: PoolEvent) => void) => LoadConnections;

/** rsb load's own connections: lean RSocket requesters (src/client's pool) to every target. */
export const connectRsocketLoad: ConnectLoad = (plan, observer, onEvent) =>
  new ConnectionPool(plan.targets, plan.connectionsPerTarget, observer, plan.appName, onEvent, {
    token: plan.token,
    keepaliveLifetimeMs: plan.keepaliveLifetimeMs,
    tls: readTlsClientFiles(plan.tls),
  });

/**
 * Warms the path up before the measured run: a ramp from 0 to the schedule's first rate
 * over `warmupMs`, sent by a throw-away generator on this same thread (so the code the
 * measured run executes is already compiled), through the same targets. Its latency is
 * dropped, but what it sent and how each request ended is counted: the brokers count
 * those requests too. `stop()` ends it early (what is in flight still ends).
 */
export class WarmUp {
  readonly counts = createWarmupCounts();
  private generator: OpenLoopGenerator | undefined;
  private isStopped = false;

  constructor(
    private readonly plan: GeneratorPlan,
    private readonly connect: ConnectLoad = connectRsocketLoad,
  ) {}

  async run(): Promise<WarmupCounts> {
    if (this.plan.warmupMs <= 0 || this.isStopped) return this.counts;
    const first = compileProfile(this.plan.profile).phases[0];
    const rate = Math.max(100, (first ? Math.max(first.fromRate, first.toRate) : 0) / this.plan.workers);
    const sink: GeneratorSink = {
      onInterval: (snapshot) => {
        this.counts.sent += snapshot.sent;
        for (let i = 0; i < snapshot.byEntry.length; i++) this.counts.outcomes[i % OUTCOME_COUNT]! += snapshot.byEntry[i]!;
      },
    };
    const generator = new OpenLoopGenerator(
      { ...this.plan, profile: { kind: PROFILE_KIND.RAMP, from: 0, to: rate, durationMs: this.plan.warmupMs }, worker: 0, workers: 1, timeoutMs: Math.min(this.plan.timeoutMs, 2_000), warmupMs: 0 },
      sink,
      this.connect,
    );
    this.generator = generator;
    await generator.connect();
    try {
      const done = generator.run(performance.timeOrigin + performance.now());
      if (this.isStopped) generator.stop();
      await done;
    } finally {
      await generator.close();
    }
    return this.counts;
  }

  stop(): void {
    this.isStopped = true;
    this.generator?.stop();
  }
}

/**
 * Fine pacing (pacingMs 0): requests due within this window of the last send wait for the
 * next send, so that a burst of due requests leaves in one write. It bounds the writes to
 * ~20,000/s whatever the rate, at a cost of at most 50 µs of schedule lag, which is measured.
 */
const BATCH_WINDOW_MS = 0.05;

/** Fine pacing: longest nap between two event-loop turns while something is due soon. */
const NAP_MS = 0.05;

/** Fine pacing: below this wait the scheduler naps and turns the event loop (sub-millisecond); above, it sleeps on a timer and wakes this early. */
const TIMER_WINDOW_MS = 2;

/**
 * Pacing windows at least this long are kept with Node's timers alone (1 ms granularity):
 * the thread sleeps in the event loop between windows — reading answers as they come, at
 * no CPU cost — and a window may close up to a timer tick late, which the lag shows.
 * Shorter windows are kept with naps, as fine pacing is.
 */
const TIMER_PACING_MIN_MS = 1;

/** How early a Node timer may fire: it counts whole milliseconds. */
const TIMER_EARLY_MS = 1;

/** The histograms of one interval; two sets alternate so one can be encoded while the other fills. */
interface IntervalHistograms {
  corrected: Histogram;
  uncorrected: Histogram;
  lag: Histogram;
}

/** A finished interval waiting to be encoded, one histogram per tick so that no tick stalls for long. */
interface PendingSnapshot {
  snapshot: IntervalSnapshot;
  histograms: IntervalHistograms;
  step: number;
}

/**
 * The open-loop generator: requests leave at their intended times whatever the answers
 * do, every request due at a tick leaves in that tick, and latency runs from the
 * intended time (corrected for coordinated omission). Requests in flight live in typed
 * arrays indexed by slot; the slot number is the requester's context, so nothing is
 * allocated per request, and nothing is kept per request once it has ended.
 */
export class OpenLoopGenerator implements RequestObserver<number> {
  readonly schedule: Schedule;
  private readonly cursor: ScheduleCursor;
  private readonly pattern: RequestPattern;
  private readonly pool: LoadConnections;
  private readonly stride: number;
  private readonly isFireAndForget: Uint8Array;
  /** Per mix entry: items a request-stream waits for (0: not a request-stream). */
  private readonly itemsWanted: Int32Array;

  // Slots of requests in flight.
  private capacity = 1024;
  private intendedAt = new Float64Array(this.capacity);
  private sentAt = new Float64Array(this.capacity);
  private generation = new Uint32Array(this.capacity);
  private connectionOf = new Int32Array(this.capacity);
  private entryOf = new Int32Array(this.capacity);
  private phaseOf = new Int32Array(this.capacity);
  private streamIdOf = new Int32Array(this.capacity);
  private itemsSeen = new Int32Array(this.capacity);
  private isLive = new Uint8Array(this.capacity);
  private free = new Int32Array(this.capacity);
  private freeCount = 0;
  private inFlight = 0;

  // Requests in send order, for timeouts: slot and generation; a slot whose generation moved on has ended.
  private ringSlot = new Int32Array(1024);
  private ringGeneration = new Uint32Array(1024);
  private ringHead = 0;
  private ringTail = 0;

  // The schedule.
  private origin = 0;
  private nextIndex: number;
  private nextAt: number;
  private isStopping = false;
  private isFinished = false;
  private hasStarted = false;
  private isClosed = false;
  /** Schedule time at which stop() cut the schedule short; -1 while it has not. */
  private stoppedAt = -1;
  private resolveDone!: () => void;

  // The current interval.
  private current: IntervalHistograms = newIntervalHistograms();
  private spare: IntervalHistograms = newIntervalHistograms();
  private pending: PendingSnapshot | undefined;
  private intervalStart = 0;
  private intervalEnd = 0;
  private intervalPhase = 0;
  private phaseEnd = 0;
  private sent = 0;
  private byEntry: Float64Array;
  private byTarget: Float64Array;
  private readonly phaseSent: Float64Array;
  private readonly phaseOutcomes: Float64Array;
  private ticks = 0;
  /** When the pending tick is due: the next thing due, or the end of a nap; how late it runs is the scheduler's own lag. */
  private plannedTickAt = 0;
  private lastSendAt = -Infinity;
  /** Never written: Atomics.wait on it is a sleep with sub-millisecond resolution. */
  private readonly napCell = new Int32Array(new SharedArrayBuffer(4));
  private maxTickLate = 0;
  private readonly eventLoopDelay: IntervalHistogram = monitorEventLoopDelay({ resolution: 1 });
  private readonly errors = new IntervalErrors();

  constructor(
    readonly plan: GeneratorPlan,
    private readonly sink: GeneratorSink,
    connect: ConnectLoad = connectRsocketLoad,
  ) {
    this.schedule = compileProfile(plan.profile);
    this.cursor = this.schedule.cursor();
    this.pattern = buildRequestPattern(plan.mix, plan.seed);
    this.isFireAndForget = Uint8Array.from(plan.mix, (entry) => (entry.mode === INTERACTION.FIRE_AND_FORGET ? 1 : 0));
    this.itemsWanted = Int32Array.from(plan.mix, (entry) => (entry.mode === INTERACTION.REQUEST_STREAM ? entry.items : 0));
    this.pool = connect(plan, this, (event) => this.sink.onPoolEvent?.(event));
    this.stride = plan.workers;
    this.nextIndex = plan.worker;
    this.nextAt = this.cursor.timeOf(this.nextIndex);
    this.byEntry = new Float64Array(plan.mix.length * OUTCOME_COUNT);
    this.byTarget = new Float64Array(plan.targets.length * OUTCOME_COUNT);
    this.phaseSent = new Float64Array(this.schedule.phases.length);
    this.phaseOutcomes = new Float64Array(this.schedule.phases.length * OUTCOME_COUNT);
    for (let slot = this.capacity - 1; slot >= 0; slot--) this.free[this.freeCount++] = slot;
  }

  /** Opens the connections; throws when a target cannot be reached. */
  async connect(): Promise<void> {
    await this.pool.open();
  }

  /**
   * Runs the schedule with request 0 intended at `startAtEpochMs` (performance.timeOrigin
   * + performance.now(), so threads agree), then waits for what is in flight, and
   * resolves once the last interval has been reported.
   */
  run(startAtEpochMs: number): Promise<void> {
    this.origin = startAtEpochMs - performance.timeOrigin;
    this.intervalEnd = Math.min(this.plan.intervalMs, this.schedule.phases[0]?.endMs ?? Infinity);
    this.phaseEnd = this.schedule.phases[0]?.endMs ?? Infinity;
    this.eventLoopDelay.enable();
    this.hasStarted = true;
    const done = new Promise<void>((resolve) => (this.resolveDone = resolve));
    this.scheduleTick(0, performance.now() - this.origin);
    return done;
  }

  /**
   * Sends nothing more; what is in flight still ends (answer or timeout) before `run`
   * resolves. The requests that were due by now but not sent (the generator was behind)
   * still count as expected: the schedule called for them.
   */
  stop(): void {
    if (this.isStopping) return;
    this.isStopping = true;
    if (!this.hasStarted || this.nextAt === Infinity) return;
    const now = performance.now() - this.origin;
    // Stopped before its start: nothing was due yet.
    this.stoppedAt = Math.max(0, now);
    while (this.nextAt <= now) {
      this.nextIndex += this.stride;
      this.nextAt = this.cursor.timeOf(this.nextIndex);
    }
  }

  /** Closes the connections and frees the histograms; a second call does nothing. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    this.eventLoopDelay.disable();
    await this.pool.close();
    // The WebAssembly histograms' memory is not the garbage collector's: give it back.
    const sets = new Set([this.current, this.spare, ...(this.pending ? [this.pending.histograms] : [])]);
    for (const histograms of sets) destroyIntervalHistograms(histograms);
    this.pending = undefined;
  }

  private readonly tick = (): void => {
    if (this.isFinished) return;
    const now = performance.now() - this.origin;
    this.ticks++;
    if (now - this.plannedTickAt > this.maxTickLate) this.maxTickLate = now - this.plannedTickAt;
    const windowEnd = this.lastSendAt + this.sendGapMs;
    // The tick of a window's end sends what is due: one batch, one write per window, and the
    // next window is counted from that window's end, so that windows keep their length. A
    // timer may fire up to a ms early (timers count whole ms), which the gate allows for; at
    // windows of 1 ms (the default) that allowance spans the whole window, so a tick that
    // encodes histograms or expires timeouts also sends what is due by then.
    if (!this.isStopping && this.nextAt <= now && now >= windowEnd - (this.isTimerPaced ? TIMER_EARLY_MS : 0)) {
      this.lastSendAt = Math.max(now, windowEnd);
      while (this.nextAt <= now) {
        this.sendOne(this.nextAt, now);
        this.nextIndex += this.stride;
        this.nextAt = this.cursor.timeOf(this.nextIndex);
      }
      this.pool.flush();
    }
    this.expireTimeouts(now);
    if (this.pending !== undefined) this.encodeStep();
    else if (now >= this.intervalEnd) this.closeInterval(now, false);
    if ((this.nextAt === Infinity || this.isStopping) && this.inFlight === 0 && this.pending === undefined) {
      this.closeInterval(now, true);
      this.encodeAll();
      this.isFinished = true;
      this.resolveDone();
      return;
    }
    const wakeAt = Math.min(this.isStopping ? Infinity : this.nextSendAt(), this.intervalEnd, this.pending ? now : Infinity, this.timeoutHeadAt());
    this.scheduleTick(wakeAt, performance.now() - this.origin);
  };

  /** When the next request leaves: when it is due, but not before a pacing window (or, fine pacing, the batch window) has passed since the last send. */
  private nextSendAt(): number {
    return Math.max(this.nextAt, this.lastSendAt + this.sendGapMs);
  }

  /** Least time between two sends: the pacing window, or the batch window of fine pacing. */
  private get sendGapMs(): number {
    return this.plan.pacingMs > 0 ? this.plan.pacingMs : BATCH_WINDOW_MS;
  }

  private get isTimerPaced(): boolean {
    return this.plan.pacingMs >= TIMER_PACING_MIN_MS;
  }

  /**
   * Waits for the next thing due. Beyond the timer window, a timer (1 ms granularity)
   * wakes the loop a little early. Within it, the thread naps in steps of at most
   * NAP_MS (a futex wait: microsecond resolution, and the core goes to the broker and the
   * mock meanwhile) and runs an event-loop turn between naps, so that answers are read
   * at most one nap late. A pure busy loop keeps the schedule as well on an idle machine
   * but is the first thread the kernel preempts, for tens of ms, on a busy one.
   */
  private scheduleTick(wakeAt: number, now: number): void {
    const wait = wakeAt - now;
    if (this.isTimerPaced) {
      this.plannedTickAt = wakeAt;
      if (wait > 0) setTimeout(this.tick, Math.min(wait, 50));
      else setImmediate(this.tick);
      return;
    }
    if (wait > TIMER_WINDOW_MS) {
      // Woken early on purpose: late only if it wakes after what was due.
      this.plannedTickAt = wakeAt;
      setTimeout(this.tick, Math.min(wait - TIMER_WINDOW_MS, 50));
      return;
    }
    if (wait > 0) Atomics.wait(this.napCell, 0, 0, Math.min(wait, NAP_MS));
    this.plannedTickAt = Math.min(wakeAt, now + NAP_MS);
    setImmediate(this.tick);
  }

  private sendOne(intendedAt: number, now: number): void {
    this.sink.onSend?.(this.nextIndex, intendedAt, now);
    const j = this.nextIndex % PATTERN_LENGTH;
    const entry = this.pattern.entryOf[j]!;
    const phase = this.cursor.phase;
    this.phaseSent[phase]!++;
    this.sent++;
    recordMillis(this.current.lag, now - intendedAt);
    const c = this.pool.pick();
    if (c < 0) {
      this.count(entry, -1, phase, OUTCOME.CONNECTION_LOST, 'no connection to any target is up');
      return;
    }
    const slot = this.allocate();
    this.intendedAt[slot] = intendedAt;
    this.sentAt[slot] = now;
    this.connectionOf[slot] = c;
    this.entryOf[slot] = entry;
    this.phaseOf[slot] = phase;
    const generation = this.generation[slot]!;
    const streamId = this.pool.send(c, this.pattern.templates[j]!, slot);
    // Fire-and-forget (and a send on a connection just lost) ends inside `send`.
    if (this.generation[slot] !== generation) return;
    this.streamIdOf[slot] = streamId;
    this.pushRing(slot, generation);
  }

  /**
   * A request-stream ends when it has brought the items asked for, COMPLETE or not: a
   * responder with more to give would otherwise wait for credit that never comes (the
   * rest is cancelled, as `rsb call --take N` does).
   */
  onNext(slot: number): void {
    const wanted = this.itemsWanted[this.entryOf[slot]!]!;
    if (wanted === 0 || ++this.itemsSeen[slot]! < wanted) return;
    this.pool.cancel(this.connectionOf[slot]!, this.streamIdOf[slot]!);
    this.onComplete(slot);
  }

  onComplete(slot: number): void {
    // Already ended: a stream that brought its items in a frame that also completed it.
    if (this.isLive[slot] === 0) return;
    const now = performance.now() - this.origin;
    const entry = this.entryOf[slot]!;
    if (this.isFireAndForget[entry] === 0) {
      recordMillis(this.current.corrected, now - this.intendedAt[slot]!);
      recordMillis(this.current.uncorrected, now - this.sentAt[slot]!);
    }
    this.count(entry, this.pool.targetOf[this.connectionOf[slot]!]!, this.phaseOf[slot]!, OUTCOME.OK, '');
    this.release(slot);
  }

  onError(slot: number, code: number, message: string): void {
    if (this.isLive[slot] === 0) return;
    const c = this.connectionOf[slot]!;
    const outcome = code === ERROR_CODE.CONNECTION_ERROR && !this.pool.isConnected(c) ? OUTCOME.CONNECTION_LOST : classifyErrorCode(code);
    this.count(this.entryOf[slot]!, this.pool.targetOf[c]!, this.phaseOf[slot]!, outcome, message);
    this.release(slot);
  }

  private count(entry: number, target: number, phase: number, outcome: number, message: string): void {
    this.byEntry[entry * OUTCOME_COUNT + outcome]!++;
    if (target >= 0) this.byTarget[target * OUTCOME_COUNT + outcome]!++;
    this.phaseOutcomes[phase * OUTCOME_COUNT + outcome]!++;
    if (outcome !== OUTCOME.OK) this.errors.note(outcome, message, performance.now() - this.origin);
  }

  private expireTimeouts(now: number): void {
    const mask = this.ringSlot.length - 1;
    while (this.ringHead !== this.ringTail) {
      const slot = this.ringSlot[this.ringHead & mask]!;
      if (this.generation[slot] === this.ringGeneration[this.ringHead & mask]) {
        if (this.sentAt[slot]! + this.plan.timeoutMs > now) return;
        const c = this.connectionOf[slot]!;
        this.pool.cancel(c, this.streamIdOf[slot]!);
        this.count(this.entryOf[slot]!, this.pool.targetOf[c]!, this.phaseOf[slot]!, OUTCOME.TIMEOUT, `no answer within ${this.plan.timeoutMs} ms`);
        this.release(slot);
      }
      this.ringHead++;
    }
  }

  private timeoutHeadAt(): number {
    const mask = this.ringSlot.length - 1;
    while (this.ringHead !== this.ringTail) {
      const slot = this.ringSlot[this.ringHead & mask]!;
      if (this.generation[slot] === this.ringGeneration[this.ringHead & mask]) return this.sentAt[slot]! + this.plan.timeoutMs;
      this.ringHead++;
    }
    return Infinity;
  }

  private pushRing(slot: number, generation: number): void {
    if (this.ringTail - this.ringHead === this.ringSlot.length) this.growRing();
    const mask = this.ringSlot.length - 1;
    this.ringSlot[this.ringTail & mask] = slot;
    this.ringGeneration[this.ringTail & mask] = generation;
    this.ringTail++;
  }

  private growRing(): void {
    const length = this.ringSlot.length;
    const slots = new Int32Array(length * 2);
    const generations = new Uint32Array(length * 2);
    for (let i = 0; i < length; i++) {
      slots[i] = this.ringSlot[(this.ringHead + i) & (length - 1)]!;
      generations[i] = this.ringGeneration[(this.ringHead + i) & (length - 1)]!;
    }
    this.ringSlot = slots;
    this.ringGeneration = generations;
    this.ringTail -= this.ringHead;
    this.ringHead = 0;
  }

  private allocate(): number {
    if (this.freeCount === 0) this.grow();
    this.inFlight++;
    const slot = this.free[--this.freeCount]!;
    this.isLive[slot] = 1;
    this.itemsSeen[slot] = 0;
    return slot;
  }

  private release(slot: number): void {
    this.isLive[slot] = 0;
    this.generation[slot]!++;
    this.free[this.freeCount++] = slot;
    this.inFlight--;
  }

  private grow(): void {
    const old = this.capacity;
    this.capacity = old * 2;
    const widen = <A extends Float64Array | Uint32Array | Int32Array | Uint8Array>(array: A, make: new (n: number) => A): A => {
      const wider = new make(this.capacity);
      wider.set(array);
      return wider;
    };
    this.intendedAt = widen(this.intendedAt, Float64Array);
    this.sentAt = widen(this.sentAt, Float64Array);
    this.generation = widen(this.generation, Uint32Array);
    this.connectionOf = widen(this.connectionOf, Int32Array);
    this.entryOf = widen(this.entryOf, Int32Array);
    this.phaseOf = widen(this.phaseOf, Int32Array);
    this.streamIdOf = widen(this.streamIdOf, Int32Array);
    this.itemsSeen = widen(this.itemsSeen, Int32Array);
    this.isLive = widen(this.isLive, Uint8Array);
    this.free = widen(this.free, Int32Array);
    for (let slot = this.capacity - 1; slot >= old; slot--) this.free[this.freeCount++] = slot;
  }

  /** Ends the current interval: its counts and histograms go out, a fresh set starts. */
  private closeInterval(now: number, isFinal: boolean): void {
    const lastPhase = this.schedule.phases.length - 1;
    const snapshot: IntervalSnapshot = {
      worker: this.plan.worker,
      phase: Math.min(this.intervalPhase, lastPhase),
      startMs: this.intervalStart,
      endMs: now,
      sent: this.sent,
      byEntry: Array.from(this.byEntry),
      byTarget: Array.from(this.byTarget),
      corrected: '',
      uncorrected: '',
      lag: '',
      phaseSent: Array.from(this.phaseSent),
      phaseOutcomes: Array.from(this.phaseOutcomes),
      health: {
        ticks: this.ticks,
        maxTickLateMs: this.maxTickLate,
        eventLoopDelayP99Ms: this.eventLoopDelay.count > 0 ? this.eventLoopDelay.percentile(99) / 1e6 : 0,
        eventLoopDelayMaxMs: this.eventLoopDelay.count > 0 ? this.eventLoopDelay.max / 1e6 : 0,
        inFlight: this.inFlight,
      },
      ...this.errors.take(),
      // Its requests are worker, worker + stride...: those before nextIndex were due (sent, or given up by stop()).
      expected: isFinal ? this.ownShareOf(this.nextIndex) : 0,
      stoppedAtMs: isFinal ? this.stoppedAt : -1,
      isFinal,
    };
    this.pending = { snapshot, histograms: this.current, step: 0 };
    // The spare set came back from the previous interval's encoding, which ends before this one can close.
    this.current = this.spare;
    this.sent = 0;
    this.byEntry.fill(0);
    this.byTarget.fill(0);
    this.ticks = 0;
    this.maxTickLate = 0;
    this.eventLoopDelay.reset();
    this.intervalStart = now;
    while (now >= this.phaseEnd && this.intervalPhase < lastPhase) {
      this.intervalPhase++;
      this.phaseEnd = this.schedule.phases[this.intervalPhase]!.endMs;
    }
    if (now >= this.phaseEnd) this.phaseEnd = Infinity;
    // On a grid from the start, so that every worker cuts its intervals at the same planned times.
    const grid = (Math.floor(now / this.plan.intervalMs) + 1) * this.plan.intervalMs;
    this.intervalEnd = Math.min(grid, this.phaseEnd);
  }

  /** How many of the requests 0 .. end − 1 are this generator's (every `stride`-th from `worker`). */
  private ownShareOf(end: number): number {
    return end > this.plan.worker ? Math.ceil((end - this.plan.worker) / this.stride) : 0;
  }

  private encodeStep(): void {
    const pending = this.pending!;
    const { snapshot, histograms } = pending;
    switch (pending.step++) {
      case 0:
        snapshot.corrected = encodeHistogram(histograms.corrected);
        return;
      case 1:
        snapshot.uncorrected = encodeHistogram(histograms.uncorrected);
        return;
      default:
        snapshot.lag = encodeHistogram(histograms.lag);
        histograms.corrected.reset();
        histograms.uncorrected.reset();
        histograms.lag.reset();
        this.spare = histograms;
        this.pending = undefined;
        this.sink.onInterval(snapshot);
    }
  }

  private encodeAll(): void {
    while (this.pending !== undefined) this.encodeStep();
  }
}

function newIntervalHistograms(): IntervalHistograms {
  return { corrected: createRecordingHistogram(), uncorrected: createRecordingHistogram(), lag: createRecordingHistogram() };
}

function destroyIntervalHistograms(histograms: IntervalHistograms): void {
  histograms.corrected.destroy();
  histograms.uncorrected.destroy();
  histograms.lag.destroy();
}
