import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { BrokerStatus } from '../../src/ui/components.js';

describe('broker status line', () => {
  it('shows connections, services and the request rate it is given', () => {
    const { lastFrame, unmount } = render(
      <BrokerStatus
        id="edge-1"
        address="127.0.0.1:9999"
        connections={3}
        services={2}
        instances={4}
        requestsPerSecond={62_000}
        requestsRouted={1_234_567}
        events={[{ key: 0, text: '+ calc (127.0.0.1:5000) connected, publishes calc' }]}
      />,
    );
    const frame = lastFrame()!;
    expect(frame).toContain('edge-1');
    expect(frame).toContain('connections 3');
    expect(frame).toContain('services 2 (4 instances)');
    expect(frame).toContain('requests/s 62,000');
    expect(frame).toContain('routed 1,234,567');
    expect(frame).toContain('publishes calc');
    unmount();
  });
});
