import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { ClusterStatus } from '../../src/ui/components.js';
import type { ClusterNodeProps } from '../../src/ui/index.js';

const node = (overrides: Partial<ClusterNodeProps>): ClusterNodeProps => ({
  id: 'default-1',
  address: '127.0.0.1:9999',
  pid: 4242,
  state: 'up',
  clients: 2,
  services: 1,
  instances: 3,
  requestsPerSecond: 20_000,
  requestsRouted: 1_234_567,
  ...overrides,
});

describe('cluster live view', () => {
  it('shows one row per broker with its state and figures, and the cluster\'s total rate', () => {
    const { lastFrame, unmount } = render(
      <ClusterStatus
        name="default"
        nodes={[node({}), node({ id: 'default-2', address: '127.0.0.1:10000', state: 'down', requestsPerSecond: 0, clients: 0 }), node({ id: 'default-3', requestsPerSecond: 42_000 })]}
        events={[{ key: 0, text: '! default-2 up → down: pid 4243 no longer runs' }]}
      />,
    );
    const frame = lastFrame()!;
    expect(frame).toContain('cluster default: 2/3 brokers up, 62,000 requests/s');
    expect(frame).toMatch(/default-1\s+127\.0\.0\.1:9999\s+4242\s+● up\s+2\s+1 \(3\)\s+20,000\s+1,234,567/);
    expect(frame).toMatch(/default-2\s+127\.0\.0\.1:10000\s+4242\s+○ down/);
    expect(frame).toContain('pid 4243 no longer runs');
    unmount();
  });
});
