import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { MockStatus } from '../../src/ui/components.js';

describe('mock status view', () => {
  it('shows each method with its requests, rate, errors and items', () => {
    const { lastFrame, unmount } = render(
      <MockStatus
        service="svc"
        where="2 instances on 127.0.0.1:9999"
        connected={2}
        connections={2}
        rows={[
          { method: 'echo', requests: 1_234_567, requestsPerSecond: 62_000, errors: 0, items: 1_234_567 },
          { method: 'fail', requests: 10, requestsPerSecond: 1, errors: 10, items: 0 },
        ]}
        events={[{ key: 0, text: '+ instance 1 reconnected to 127.0.0.1:9999 and registered again' }]}
      />,
    );
    const frame = lastFrame()!;
    expect(frame).toContain('mock svc');
    expect(frame).toContain('connected 2/2');
    expect(frame).toMatch(/echo +requests 1,234,567 +\/s 62,000 +errors 0 +items sent 1,234,567/);
    expect(frame).toMatch(/fail +requests 10 +\/s 1 +errors 10/);
    expect(frame).toContain('reconnected to 127.0.0.1:9999');
    unmount();
  });
});
