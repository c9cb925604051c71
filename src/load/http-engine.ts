import type { EventEmitter } from 'node:events';
import { request as httpRequest, STATUS_CODES } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type autocannon from 'autocannon';
import { ConnectError } from '../errors.js';
import { createWarmupCounts, type GeneratorSink, type IntervalSnapshot, type WarmupCounts } from './generator.js';
import type { LoadEngine } from './generator-host.js';
import { createRecordingHistogram, encodeHistogram, recordMillis, type Histogram } from './histograms.js';
import { OUTCOME, OUTCOME_COUNT, type Outcome } from '../protocol/index.js';
import { IntervalErrors } from './outcomes.js';
import { compileProfile, type ProfileSpec, type Schedule } from './profile.js';

/** What `rsb load --http` sends: one request, repeated. */
export interface HttpRequestSpec {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: Buffer;
}

export interface HttpLoadPlan {
  request: HttpRequestSpec;
  profile: ProfileSpec;
  connections: number;
  timeoutMs: number;
  intervalMs: number;
  warmupMs: number;
}

/** Said in every HTTP report, because the numbers mean something else than the RSocket engine's. */
export const HTTP_PACING_NOTE =
  'autocannon paces per second and per connection (closed loop: a connection sends its next request when the last one is answered, ' +
  "until the second's quota is spent); latency runs from the actual send, not from an intended time — the RSocket engine is open loop";

/** How an HTTP status counts: the statuses `rsb gateway` maps RSocket errors to come back as those errors. */
export function classifyHttpStatus(status: number): Outcome {
  if (status < 400) return OUTCOME.OK;
  if (status === 503 || status === 429) return OUTCOME.REJECTED;
  if (status === 502) return OUTCOME.APPLICATION_ERROR;
  if (status === 504 || status === 408) return OUTCOME.TIMEOUT;
  return OUTCOME.OTHER_ERROR;
}

/** What is done as autocannon's clients send a request and as it ends (answered, timed out, connection lost). */
interface RequestCounter {
  onSend(): void;
  onEnd(outcome: Outcome, message: string, responseTimeMs?: number): void;
}

/** Time a phase may overrun its end before its unsent requests are given up: a server that cannot keep the rate shows as a shortfall. */
const PHASE_GRACE_MS = 1_000;
/** How often autocannon checks whether it should stop (its default of a second would hold a finished phase that long). */
const AUTOCANNON_SAMPLE_MS = 50;

/**
 * HTTP load with autocannon's programmatic API behind the same face as the RSocket
 * generators: each phase of the profile is one autocannon run (`amount` requests at
 * `overallRate` per second over `connections` keep-alive connections), and every
 * response, error and timeout is counted into the same interval snapshots, so the run
 * recorder, reports and thresholds treat HTTP runs like any other.
 */
export class HttpLoadEngine implements LoadEngine {
  private readonly schedule: Schedule;
  private readonly latency: Histogram = createRecordingHistogram();
  private readonly eventLoopDelay = monitorEventLoopDelay({ resolution: 10 });
  private readonly byOutcome = new Float64Array(OUTCOME_COUNT);
  private readonly phaseSent: Float64Array;
  private readonly phaseOutcomes: Float64Array;
  private readonly errors = new IntervalErrors();
  private sent = 0;
  private inFlight = 0;
  private phase = 0;
  private origin = 0;
  private intervalStart = 0;
  private intervalTimer: NodeJS.Timeout | undefined;
  private current: autocannon.Instance | undefined;
  private isStopped = false;
  private isRunning = false;
  /** Schedule time at which stop() cut the run short; -1 while it has not. */
  private stoppedAt = -1;
  /** Ends the pause between phases early (stop). */
  private wake: (() => void) | undefined;

  private launch!: typeof autocannon;
  /** How the measured run counts a request: sent in its phase, ended with its latency. */
  private readonly runCounter: RequestCounter = {
    onSend: () => {
      this.sent++;
      this.inFlight++;
      this.phaseSent[this.phase]!++;
    },
    onEnd: (outcome, message, responseTimeMs) => {
      if (responseTimeMs !== undefined) recordMillis(this.latency, responseTimeMs);
      this.count(outcome, message);
    },
  };

  constructor(
    private readonly plan: HttpLoadPlan,
    private readonly sink: GeneratorSink,
  ) {
    this.schedule = compileProfile(plan.profile);
    this.phaseSent = new Float64Array(this.schedule.phases.length);
    this.phaseOutcomes = new Float64Array(this.schedule.phases.length * OUTCOME_COUNT);
  }

  /**
   * Checks that the URL answers at all (no connection: exit 7), then warms the connections
   * up, unmeasured; the probe and the warm-up's requests are counted as the warm-up's.
   */
  async prepare(): Promise<WarmupCounts> {
    const counts = createWarmupCounts();
    await probe(this.plan.request, this.plan.timeoutMs);
    counts.sent++;
    counts.outcomes[OUTCOME.OK]!++;
    // autocannon is loaded only for HTTP runs: it brings a terminal table and progress bar along.
    this.launch = (await import('autocannon')).default;
    if (!this.isStopped) await this.warmUp(counts);
    return counts;
  }

  async run(startAtEpochMs: number): Promise<void> {
    this.origin = startAtEpochMs - performance.timeOrigin;
    this.isRunning = true;
    await sleep(startAtEpochMs - (performance.timeOrigin + performance.now()));
    this.eventLoopDelay.enable();
    this.intervalTimer = setInterval(() => this.closeInterval(false), this.plan.intervalMs);
    try {
      for (const phase of this.schedule.phases) {
        if (this.isStopped) break;
        this.phase = phase.index;
        const endsAt = this.origin + phase.endMs;
        const seconds = (phase.endMs - phase.startMs) / 1000;
        if (phase.expected > 0) await this.runPhase(phase.expected, Math.max(1, Math.round(phase.expected / seconds)), endsAt + PHASE_GRACE_MS);
        await this.pauseUntil(endsAt);
      }
    } finally {
      clearInterval(this.intervalTimer);
      this.eventLoopDelay.disable();
      this.closeInterval(true);
    }
  }

  stop(): void {
    if (this.isRunning && !this.isStopped) {
      const now = performance.now() - this.origin;
      if (now < this.schedule.durationMs) this.stoppedAt = Math.max(0, now);
    }
    this.isStopped = true;
    this.current?.stop();
    this.wake?.();
  }

  /** Waits for the phase's end (a phase's requests may all be answered early), unless the run is stopped meanwhile. */
  private pauseUntil(at: number): Promise<void> {
    const ms = at - performance.now();
    if (ms <= 0 || this.isStopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.wake?.(), ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }

  async close(): Promise<void> {
    this.stop();
    clearInterval(this.intervalTimer);
    this.latency.destroy();
  }

  /** One autocannon run: `amount` requests at `rate` per second; stopped at `deadline` if it has not finished by then. */
  private runPhase(amount: number, rate: number, deadline: number): Promise<void> {
    const connections = Math.max(1, Math.min(this.plan.connections, amount, rate));
    return new Promise((resolve, reject) => {
      let overrun: NodeJS.Timeout | undefined;
      let isEnded = false;
      const instance = this.launch(this.options({ amount, overallRate: rate, connections, setupClient: (client) => this.watch(client, this.runCounter) }), (error) => {
        isEnded = true;
        clearTimeout(overrun);
        this.current = undefined;
        // Whatever autocannon dropped when it stopped (the phase overran, or Ctrl-C) is counted, never lost.
        while (this.inFlight > 0) this.count(OUTCOME.CANCELED, 'still in flight when the run stopped (autocannon drops it)');
        if (error) reject(error instanceof Error ? error : new Error(String(error)));
        else resolve();
      });
      // autocannon refuses bad options by calling back at once, before this line.
      if (isEnded) return;
      this.current = instance;
      overrun = setTimeout(() => instance.stop(), Math.max(0, deadline - performance.now()));
    });
  }

  /** The warm-up: the first phase's rate for `warmupMs`, its latency thrown away, its requests counted by outcome. */
  private async warmUp(counts: WarmupCounts): Promise<void> {
    const first = this.schedule.phases[0];
    if (this.plan.warmupMs <= 0 || !first) return;
    const rate = Math.max(1, Math.round((first.fromRate + first.toRate) / 2));
    const seconds = Math.max(1, Math.round(this.plan.warmupMs / 1000));
    let sent = 0;
    let ended = 0;
    const counter: RequestCounter = {
      onSend: () => sent++,
      onEnd: (outcome) => {
        ended++;
        counts.outcomes[outcome]!++;
      },
    };
    await new Promise<void>((resolve) => {
      this.current = this.launch(this.options({ duration: seconds, overallRate: rate, connections: Math.min(this.plan.connections, rate), setupClient: (client) => this.watch(client, counter) }), () => resolve());
    });
    this.current = undefined;
    counts.sent += sent;
    // What autocannon dropped when the warm-up's time was up.
    counts.outcomes[OUTCOME.CANCELED]! += sent - ended;
  }

  private options(extra: Partial<autocannon.Options>): autocannon.Options {
    const { request } = this.plan;
    return {
      url: request.url,
      method: request.method as autocannon.Request['method'],
      headers: request.headers,
      ...(request.body.length > 0 ? { body: request.body } : {}),
      timeout: Math.max(1, Math.ceil(this.plan.timeoutMs / 1000)),
      sampleInt: AUTOCANNON_SAMPLE_MS,
      ...extra,
    } as autocannon.Options;
  }

  /** Counts on each client's own events: autocannon's pipelining is 1, so a client has at most one request in flight. */
  private watch(client: autocannon.Client, counter: RequestCounter): void {
    // 'request', 'timeout' and 'connError' are events autocannon's client emits but its types leave out.
    const events = client as unknown as EventEmitter;
    let isBusy = false;
    events.on('request', () => {
      isBusy = true;
      counter.onSend();
    });
    events.on('response', (status: number, _bytes: number, responseTime: number) => {
      if (!isBusy) return;
      isBusy = false;
      counter.onEnd(classifyHttpStatus(status), `HTTP ${status} ${STATUS_CODES[status] ?? ''}`.trim(), responseTime);
    });
    events.on('timeout', () => {
      if (!isBusy) return;
      isBusy = false;
      counter.onEnd(OUTCOME.TIMEOUT, `no answer within ${this.plan.timeoutMs} ms (autocannon times out in whole seconds)`);
    });
    events.on('connError', (error: unknown) => {
      if (!isBusy) return;
      isBusy = false;
      counter.onEnd(OUTCOME.CONNECTION_LOST, error instanceof Error ? error.message : String(error));
    });
  }

  private count(outcome: Outcome, message: string): void {
    this.inFlight--;
    this.byOutcome[outcome]!++;
    this.phaseOutcomes[this.phase * OUTCOME_COUNT + outcome]!++;
    if (outcome !== OUTCOME.OK) this.errors.note(outcome, message, performance.now() - this.origin);
  }

  /**
   * Requests the schedule called for up to a stop at `stoppedAt`, or all of them. autocannon
   * spends each second's quota at the second's start, so by the stop it may have sent
   * requests of the schedule intended a little later: they count as expected too, being sent.
   */
  private expectedBy(stoppedAt: number): number {
    if (stoppedAt < 0) return this.schedule.totalRequests;
    const sent = this.phaseSent.reduce((sum, count) => sum + count, 0);
    return stoppedAt === 0 ? sent : Math.max(sent, this.schedule.dueBy(stoppedAt));
  }

  /** Sends the interval's figures in the RSocket generators' shape: one target, one mix entry. */
  private closeInterval(isFinal: boolean): void {
    const now = performance.now() - this.origin;
    const latency = encodeHistogram(this.latency);
    const phase = this.schedule.phases.findIndex((candidate) => now < candidate.endMs);
    const snapshot: IntervalSnapshot = {
      worker: 0,
      phase: phase === -1 ? this.schedule.phases.length - 1 : phase,
      startMs: this.intervalStart,
      endMs: now,
      sent: this.sent,
      byEntry: Array.from(this.byOutcome),
      byTarget: Array.from(this.byOutcome),
      // Closed loop: there is no intended send time, so "corrected" is the latency from the actual send, and there is no schedule lag.
      corrected: latency,
      uncorrected: latency,
      lag: '',
      phaseSent: Array.from(this.phaseSent),
      phaseOutcomes: Array.from(this.phaseOutcomes),
      health: {
        ticks: 0,
        maxTickLateMs: 0,
        eventLoopDelayP99Ms: this.eventLoopDelay.count > 0 ? this.eventLoopDelay.percentile(99) / 1e6 : 0,
        eventLoopDelayMaxMs: this.eventLoopDelay.count > 0 ? this.eventLoopDelay.max / 1e6 : 0,
        inFlight: this.inFlight,
      },
      ...this.errors.take(),
      expected: isFinal ? this.expectedBy(this.stoppedAt) : 0,
      stoppedAtMs: isFinal ? this.stoppedAt : -1,
      isFinal,
    };
    this.latency.reset();
    this.byOutcome.fill(0);
    this.sent = 0;
    this.eventLoopDelay.reset();
    this.intervalStart = now;
    this.sink.onInterval(snapshot);
  }
}

/**
 * One request before the run: a URL nothing listens on is "no connection" (exit 7), not
 * a run full of errors. node:http rather than fetch, which refuses some ports outright.
 */
async function probe(request: HttpRequestSpec, timeoutMs: number): Promise<void> {
  const send = request.url.startsWith('https:') ? httpsRequest : httpRequest;
  try {
    await new Promise<void>((resolve, reject) => {
      const outgoing = send(request.url, { method: request.method, headers: request.headers, timeout: timeoutMs, rejectUnauthorized: false }, (response) => {
        response.resume().on('end', resolve).on('error', reject);
      });
      outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      outgoing.on('error', reject);
      outgoing.end(request.body.length > 0 ? request.body : undefined);
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConnectError(`cannot reach ${request.url}: ${code ?? (error as Error).message}`, 'Start the HTTP server (e.g. rsb gateway) first, or check the URL.');
  }
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}
