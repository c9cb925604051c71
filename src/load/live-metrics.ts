import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Registry, type Metric } from 'prom-client';
import { ListenError } from '../errors.js';
import { readCumulativeCounts, type Histogram } from './histograms.js';
import type { TimelineRow } from './run-recorder.js';

/** Latency buckets of the run's histograms, µs: 50 µs to 10 s. */
const BUCKETS_US = [50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000, 5_000_000, 10_000_000];
const HOST = '127.0.0.1';

/** The legs of a run, as the metrics label them. */
export type MetricsLeg = 'baseline' | 'run';

/**
 * `--metrics-port N`: the run's own Prometheus metrics while it runs, so that a long run
 * can be watched in Grafana. Figures move once per timeline row (about a second); the
 * latency histograms are read from the run's HdrHistograms when scraped.
 */
export class LoadMetricsServer {
  private readonly registry = new Registry();
  private readonly histograms = new Map<MetricsLeg, { corrected: Histogram; lag: Histogram }>();
  private readonly target: Gauge;
  private readonly achieved: Gauge;
  private readonly inFlight: Gauge;
  private readonly sent: Counter;
  private readonly ended: Counter;

  private constructor(private readonly server: Server) {
    const registers = [this.registry];
    this.target = new Gauge({ name: 'rsb_load_target_requests_per_second', help: 'Rate the schedule called for in the latest interval.', labelNames: ['leg'], registers });
    this.achieved = new Gauge({ name: 'rsb_load_achieved_requests_per_second', help: 'Answers without error per second in the latest interval.', labelNames: ['leg'], registers });
    this.inFlight = new Gauge({ name: 'rsb_load_requests_in_flight', help: 'Requests sent and not yet ended.', labelNames: ['leg'], registers });
    this.sent = new Counter({ name: 'rsb_load_requests_sent_total', help: 'Requests sent by the measured run (the warm-up left out).', labelNames: ['leg'], registers });
    this.ended = new Counter({ name: 'rsb_load_requests_total', help: 'Requests that ended, by outcome (OK, REJECTED, APPLICATION_ERROR, TIMEOUT, CONNECTION_LOST...).', labelNames: ['leg', 'outcome'], registers });
    const legs = (): [MetricsLeg, { corrected: Histogram; lag: Histogram }][] => [...this.histograms];
    this.registry.registerMetric(new HdrHistogramMetric('rsb_load_latency_seconds', 'Corrected latency, from the intended send time to the answer.', () => legs().map(([leg, h]) => [leg, h.corrected])) as unknown as Metric);
    this.registry.registerMetric(new HdrHistogramMetric('rsb_load_schedule_lag_seconds', 'Schedule lag: actual minus intended send time.', () => legs().map(([leg, h]) => [leg, h.lag])) as unknown as Metric);
  }

  /** Listens on 127.0.0.1:`port` (0: any free port). */
  static async start(port: number): Promise<LoadMetricsServer> {
    let metrics: LoadMetricsServer | undefined;
    const server = createServer((request, response) => {
      if (request.url?.split('?')[0] !== '/metrics') {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('only /metrics here\n');
        return;
      }
      void metrics!.registry.metrics().then((text) => response.writeHead(200, { 'content-type': metrics!.registry.contentType }).end(text));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => reject(new ListenError(`--metrics-port ${port}: cannot listen on ${HOST}:${port} (${error.code ?? error.message})`, 'Choose a free port, or 0 for any.')));
      server.listen(port, HOST, () => resolve());
    });
    metrics = new LoadMetricsServer(server);
    return metrics;
  }

  get url(): string {
    return `http://${HOST}:${(this.server.address() as AddressInfo).port}/metrics`;
  }

  /** A leg begins: its histograms (the run's so far) are read at each scrape. */
  follow(leg: MetricsLeg, histograms: { corrected: Histogram; lag: Histogram }): void {
    this.histograms.set(leg, histograms);
  }

  row(leg: MetricsLeg, row: TimelineRow): void {
    this.target.set({ leg }, row.isDrain ? 0 : row.targetRate);
    this.achieved.set({ leg }, row.isDrain ? 0 : row.okRate);
    this.inFlight.set({ leg }, row.inFlight);
    this.sent.inc({ leg }, row.sent);
    if (row.ok > 0) this.ended.inc({ leg, outcome: 'OK' }, row.ok);
    for (const [outcome, count] of Object.entries(row.errors)) if (count) this.ended.inc({ leg, outcome }, count);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A Prometheus histogram read from HdrHistograms in µs when scraped (prom-client's Histogram takes one observation at a time). */
class HdrHistogramMetric {
  readonly type = 'histogram';
  readonly aggregator = 'sum';

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly read: () => [MetricsLeg, Histogram][],
  ) {}

  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: { metricName: string; labels: Record<string, string | number>; value: number }[] }> {
    const values: { metricName: string; labels: Record<string, string | number>; value: number }[] = [];
    for (const [leg, histogram] of this.read()) {
      const { counts, sumUs } = readCumulativeCounts(histogram, BUCKETS_US);
      BUCKETS_US.forEach((bound, i) => values.push({ metricName: `${this.name}_bucket`, labels: { leg, le: bound / 1e6 }, value: counts[i]! }));
      values.push({ metricName: `${this.name}_bucket`, labels: { leg, le: '+Inf' }, value: histogram.totalCount });
      values.push({ metricName: `${this.name}_sum`, labels: { leg }, value: sumUs / 1e6 });
      values.push({ metricName: `${this.name}_count`, labels: { leg }, value: histogram.totalCount });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {}
}
