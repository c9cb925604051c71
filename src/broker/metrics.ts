import { Counter, Gauge, Registry, type Metric } from 'prom-client';
import { CIRCUIT_STATE_NAME } from './circuit-breaker.js';
import type { MetricsSource } from './readout.js';
import { BROKER_OUTCOMES, LatencyHistogram, REJECTION_NAMES } from './traffic-stats.js';

/**
 * The broker's Prometheus metrics. Nothing here runs per request: every metric is filled
 * from the broker's plain counters when scraped (prom-client `collect`), so the data path
 * pays for a scrape only when one happens.
 */
export function createBrokerMetrics(broker: MetricsSource): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ broker: broker.id });
  const registers = [registry];

  addTotal('rsb_connections_refused_total', 'Connections turned away at the connection limit (--max-connections).', () => broker.stats.connectionsRefused);
  addGauge('rsb_connections', 'Connections past SETUP.', [], function () {
    this.set(broker.snapshot().connections);
  });
  addGauge('rsb_services', 'Services with at least one instance.', [], function () {
    this.set(broker.registry.serviceCount);
  });
  addGauge('rsb_instances', 'Registered instances (a connection publishing a service).', [], function () {
    this.set(broker.registry.instanceCount);
  });
  addTotal('rsb_connections_accepted_total', 'TCP connections accepted.', () => broker.stats.connectionsAccepted);
  addTotal('rsb_setups_rejected_total', 'Connections refused at SETUP, bad credentials included.', () => broker.stats.setupsRejected);
  addCounter('rsb_requests_total', 'Requests to services, by service, method and outcome.', ['service', 'method', 'outcome'], function () {
    this.reset();
    for (const entry of broker.registry.entries) {
      for (const stats of entry.methods.values()) {
        for (const [outcome, index] of Object.entries(BROKER_OUTCOMES)) {
          const count = stats.outcomes[index]!;
          if (count > 0) this.inc({ service: entry.key, method: stats.method, outcome }, count);
        }
      }
    }
  });
  addTotal('rsb_broker_requests_total', 'Requests the broker answered itself (its rsb.broker.* routes).', () => broker.stats.requestsAnswered);
  addCounter('rsb_rejections_total', 'Requests answered REJECTED by the broker, by reason.', ['reason'], function () {
    this.reset();
    REJECTION_NAMES.forEach((reason, index) => this.inc({ reason }, broker.rejections[index]!));
  });
  addTotal('rsb_frames_forwarded_total', 'Stream frames forwarded after the request (PAYLOAD, REQUEST_N, CANCEL, ERROR, EXT).', () => broker.stats.framesForwarded);
  addTotal('rsb_bytes_forwarded_total', 'Bytes of frames forwarded, requests included.', () => broker.stats.bytesForwarded);
  addGauge('rsb_instance_requests_in_flight', 'Requests in flight per instance.', ['service', 'app', 'uuid'], function () {
    this.reset();
    for (const entry of broker.registry.entries) {
      for (const instance of entry.instances) this.set({ service: entry.key, app: instance.session.app.name, uuid: instance.session.app.uuid }, instance.inFlight);
    }
  });
  addGauge('rsb_circuit_breaker_state', 'Circuit breaker state per instance: 1 for the state it is in.', ['service', 'app', 'uuid', 'state'], function () {
    this.reset();
    for (const entry of broker.registry.entries) {
      for (const instance of entry.instances) {
        if (instance.breaker === null) continue;
        const labels = { service: entry.key, app: instance.session.app.name, uuid: instance.session.app.uuid };
        for (const [state, name] of Object.entries(CIRCUIT_STATE_NAME)) this.set({ ...labels, state: name }, Number(state) === instance.breaker.state ? 1 : 0);
      }
    }
  });
  registry.registerMetric(new ServiceLatencyMetric(broker) as unknown as Metric);
  // The process, read when scraped. prom-client's default metrics are left out: they watch
  // every GC and the event loop continuously, a cost paid between scrapes too.
  addTotal('rsb_process_cpu_seconds_total', 'CPU time of the broker process, user and system.', () => {
    const usage = process.cpuUsage();
    return (usage.user + usage.system) / 1e6;
  });
  addGauge('rsb_process_resident_memory_bytes', 'Resident memory of the broker process.', [], function () {
    this.set(process.memoryUsage.rss());
  });
  addGauge('rsb_process_heap_used_bytes', 'V8 heap in use.', [], function () {
    this.set(process.memoryUsage().heapUsed);
  });
  addGauge('rsb_process_start_time_seconds', 'When the broker started, in seconds since the Unix epoch.', [], function () {
    this.set(broker.startedAt / 1000);
  });
  return registry;

  function addGauge(name: string, help: string, labelNames: string[], collect: (this: Gauge) => void): void {
    new Gauge({ name, help, labelNames, registers, collect });
  }

  function addCounter(name: string, help: string, labelNames: string[], collect: (this: Counter) => void): void {
    new Counter({ name, help, labelNames, registers, collect });
  }

  /** A counter without labels that shows one of the broker's running totals. */
  function addTotal(name: string, help: string, read: () => number): void {
    addCounter(name, help, [], function () {
      this.reset();
      this.inc(read());
    });
  }
}

/**
 * `rsb_request_duration_seconds`, a histogram per service, read from the broker's own
 * LatencyHistogram counts. prom-client's Histogram can only be fed one observation at a
 * time, which would put a call per request on the data path; a metric is anything with
 * `get()`, so this one hands over the counts the broker already keeps.
 */
class ServiceLatencyMetric {
  readonly name = 'rsb_request_duration_seconds';
  readonly help = 'Broker-side latency of request-response calls, from the request arriving to the answer arriving, by service.';
  readonly type = 'histogram';
  readonly aggregator = 'sum';

  constructor(private readonly broker: MetricsSource) {}

  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: { metricName: string; labels: Record<string, string | number>; value: number }[] }> {
    const values: { metricName: string; labels: Record<string, string | number>; value: number }[] = [];
    for (const entry of this.broker.registry.entries) {
      const histogram: LatencyHistogram = entry.latency;
      if (histogram.count === 0) continue;
      for (const { le, count } of histogram.cumulative()) values.push({ metricName: `${this.name}_bucket`, labels: { service: entry.key, le }, value: count });
      values.push({ metricName: `${this.name}_bucket`, labels: { service: entry.key, le: '+Inf' }, value: histogram.count });
      values.push({ metricName: `${this.name}_sum`, labels: { service: entry.key }, value: histogram.sumMicros / 1e6 });
      values.push({ metricName: `${this.name}_count`, labels: { service: entry.key }, value: histogram.count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {}
}
