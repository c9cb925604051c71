import { describe, expect, it } from 'vitest';
import { DEFAULT_CIRCUIT_BREAKER, type ConnectionSummary, type ServiceSummary } from '../../src/broker/index.js';
import { ERROR_CODE } from '../../src/protocol/index.js';
import { useInProcessBrokers } from '../support/in-process.js';
import { Caller, connectService } from '../support/lean-peers.js';
import { parsePrometheusText, sampleValue } from '../support/prometheus.js';

async function get(url: string): Promise<{ status: number; type: string; body: string }> {
  const response = await fetch(url);
  return { status: response.status, type: response.headers.get('content-type') ?? '', body: await response.text() };
}

/** The admin HTTP API and its Prometheus metrics, scraped over HTTP from a broker carrying traffic. */
describe('admin API', () => {
  const { startBroker, startAdmin, own } = useInProcessBrokers();

  it('exports requests by service, method and outcome, rejections, frames, circuits and latency as Prometheus text', async () => {
    const broker = await startBroker({
      circuitBreaker: { ...DEFAULT_CIRCUIT_BREAKER, consecutiveFailures: 2 },
      services: new Map([['calc', { rateLimit: { requestsPerSecond: 1, burst: 30 } }]]),
    });
    const admin = await startAdmin(broker);
    own(await connectService(broker.port, { name: 'calc', services: ['calc'] }), (s) => s.peer.close());
    own(
      await connectService(broker.port, { name: 'broken', services: ['broken'], handler: { handle: (stream) => stream.error(ERROR_CODE.APPLICATION_ERROR, 'no') } }),
      (s) => s.peer.close(),
    );
    const client = own(await Caller.connect(broker.port), (c) => c.close());
    await client.callMany('calc.add', 20);
    await client.callMany('calc.mul', 15);
    await client.callMany('missing.op', 4);
    await client.callMany('broken.op', 2);

    const { status, type, body } = await get(`${admin.url}/metrics`);
    expect(status).toBe(200);
    expect(type).toContain('text/plain');
    const samples = parsePrometheusText(body);
    const value = (name: string, labels: Record<string, string> = {}) => sampleValue(samples, name, { broker: 'test', ...labels });
    expect(value('rsb_requests_total', { service: 'calc', method: 'add', outcome: 'ok' })).toBe(20);
    expect(value('rsb_requests_total', { service: 'calc', method: 'mul', outcome: 'ok' })).toBe(10);
    expect(value('rsb_requests_total', { service: 'calc', method: 'mul', outcome: 'rejected' })).toBe(5);
    expect(value('rsb_requests_total', { service: 'missing', method: 'op', outcome: 'rejected' })).toBe(4);
    expect(value('rsb_requests_total', { service: 'broken', method: 'op', outcome: 'error' })).toBe(2);
    expect(value('rsb_rejections_total', { reason: 'service_rate_limit' })).toBe(5);
    expect(value('rsb_rejections_total', { reason: 'no_instance' })).toBe(4);
    expect(value('rsb_connections')).toBe(3);
    expect(value('rsb_services')).toBe(2);
    expect(value('rsb_instances')).toBe(2);
    // Each answer crosses the broker as one forwarded frame.
    expect(value('rsb_frames_forwarded_total')).toBe(32);
    expect(value('rsb_bytes_forwarded_total')).toBeGreaterThan(32 * 9);
    expect(value('rsb_circuit_breaker_state', { service: 'broken', state: 'open' })).toBe(1);
    expect(value('rsb_circuit_breaker_state', { service: 'calc', state: 'closed' })).toBe(1);
    expect(value('rsb_request_duration_seconds_count', { service: 'calc' })).toBe(30);
    expect(value('rsb_request_duration_seconds_bucket', { service: 'calc', le: '+Inf' })).toBe(30);
    expect(value('rsb_request_duration_seconds_sum', { service: 'calc' })).toBeGreaterThan(0);
    expect(value('rsb_instance_requests_in_flight', { service: 'calc' })).toBe(0);
    expect(value('rsb_process_resident_memory_bytes')).toBeGreaterThan(1_000_000);
    expect(value('rsb_process_cpu_seconds_total')).toBeGreaterThan(0);
  });

  it('answers /healthz and /readyz, and /readyz turns 503 when the broker stops', async () => {
    const broker = await startBroker();
    const admin = await startAdmin(broker);
    expect(await get(`${admin.url}/healthz`)).toMatchObject({ status: 200, body: expect.stringContaining('"status": "up"') });
    expect(await get(`${admin.url}/readyz`)).toMatchObject({ status: 200, body: expect.stringContaining('"status": "ready"') });
    await broker.stop();
    expect(await get(`${admin.url}/readyz`)).toMatchObject({ status: 503, body: expect.stringContaining('"status": "stopping"') });
    expect((await get(`${admin.url}/healthz`)).status).toBe(200);
  });

  it('lists services with their instances and circuits, and connections with their apps', async () => {
    const broker = await startBroker({ circuitBreaker: DEFAULT_CIRCUIT_BREAKER });
    const admin = await startAdmin(broker);
    own(await connectService(broker.port, { name: 'calc-a', services: ['calc'], weight: 2 }), (s) => s.peer.close());
    own(await Caller.connect(broker.port, { name: 'web' }), (c) => c.close());
    const services = JSON.parse((await get(`${admin.url}/api/services`)).body) as { broker: string; services: ServiceSummary[] };
    expect(services.broker).toBe('test');
    expect(services.services).toEqual([
      expect.objectContaining({
        key: 'calc',
        loadBalancing: 'round-robin',
        instances: [expect.objectContaining({ app: 'calc-a', weight: 2, inFlight: 0, circuit: expect.objectContaining({ state: 'closed' }) })],
      }),
    ]);
    const connections = JSON.parse((await get(`${admin.url}/api/connections`)).body) as { connections: ConnectionSummary[] };
    expect(connections.connections.map((connection) => [connection.app, connection.services])).toEqual([
      ['calc-a', ['calc']],
      ['web', []],
    ]);
  });

  it('lists the broker itself in /api/cluster when it runs alone', async () => {
    const broker = await startBroker();
    const admin = await startAdmin(broker);
    expect(JSON.parse((await get(`${admin.url}/api/cluster`)).body)).toEqual({
      brokers: [{ id: 'test', host: '127.0.0.1', port: broker.port, adminPort: admin.port, isSelf: true }],
    });
  });

  it('refuses writes and names the paths it serves', async () => {
    const broker = await startBroker();
    const admin = await startAdmin(broker);
    expect((await fetch(`${admin.url}/metrics`, { method: 'POST' })).status).toBe(405);
    const missing = await get(`${admin.url}/nope`);
    expect(missing.status).toBe(404);
    expect(missing.body).toContain('/api/services');
  });
});
