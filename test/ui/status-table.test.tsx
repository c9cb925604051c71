import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { toStatusTableProps, type StatusReport } from '../../src/status/index.js';
import { StatusTable } from '../../src/ui/components.js';

const outcomes = { ok: 1_200, error: 3, rejected: 7, cancelled: 0, timeout: 1, disconnected: 0 };

const REPORT: StatusReport = {
  takenAt: '2026-11-24T10:20:30.000Z',
  brokers: [
    {
      admin: '127.0.0.1:9998',
      isUp: true,
      requestsPerSecond: 62_000,
      broker: {
        id: 'edge-1',
        host: '127.0.0.1',
        port: 9999,
        adminPort: 9998,
        uptimeMs: 3_723_000,
        connections: 3,
        services: 1,
        instances: 2,
        openCircuits: 1,
        halfOpenCircuits: 0,
        rejections: { no_route: 0, invalid_route: 0, no_instance: 0, service_rate_limit: 7, app_rate_limit: 0, in_flight_cap: 0, circuit_open: 0, not_allowed: 0, unsupported: 0 },
        connectionsAccepted: 3,
        connectionsRefused: 0,
        requestsRouted: 1_211,
        requestsRejected: 7,
        requestsAnswered: 0,
        framesForwarded: 1_204,
        bytesForwarded: 90_000,
        setupsRejected: 0,
      },
      services: [
        {
          key: 'calc',
          service: 'calc',
          group: '',
          version: '',
          loadBalancing: 'round-robin',
          rateLimit: { requestsPerSecond: 1_000, burst: 100, refused: 7 },
          requests: outcomes,
          methods: { add: outcomes },
          latency: { count: 1_200, p50Us: 256, p99Us: 2_048 },
          instances: [
            { app: 'calc-a', uuid: 'a', address: '127.0.0.1:5001', weight: 1, inFlight: 4, forwarded: 800, connectedAt: '', circuit: { state: 'closed', consecutiveFailures: 0, windowRequests: 10, windowFailures: 0, opened: 0 } },
            { app: 'calc-b', uuid: 'b', address: '127.0.0.1:5002', weight: 1, inFlight: 0, forwarded: 404, connectedAt: '', circuit: { state: 'open', consecutiveFailures: 5, windowRequests: 9, windowFailures: 5, opened: 1 } },
          ],
        },
      ],
    },
    { admin: '127.0.0.1:9988', isUp: false, error: 'ECONNREFUSED' },
  ],
};

describe('rsb status live table', () => {
  it('shows each broker with its rate, and each service with its instances and their circuits', () => {
    const { lastFrame, unmount } = render(<StatusTable {...toStatusTableProps(REPORT)} />);
    const frame = lastFrame()!;
    expect(frame).toContain('rsb status at 10:20:30');
    expect(frame).toContain('● edge-1 on 127.0.0.1:9999 (admin 127.0.0.1:9998), up 1h 2m 3s');
    expect(frame).toContain('3 connections, 1 service (2 instances), 62,000 req/s, 1,211 routed, 7 rejected, 1 open circuit');
    expect(frame).toContain('calc: round-robin, rate limit 1,000/s burst 100');
    expect(frame).toContain('ok 1,200, failed 4, rejected 7; p50 ≤ 256 µs, p99 ≤ 2.0 ms');
    expect(frame).toMatch(/calc-a +127\.0\.0\.1:5001 +1 +4 +800 +closed/);
    expect(frame).toMatch(/calc-b +127\.0\.0\.1:5002 +1 +0 +404 +open \(5 failures in a row\)/);
    expect(frame).toContain('✗ admin 127.0.0.1:9988: down (ECONNREFUSED)');
    unmount();
  });
});
