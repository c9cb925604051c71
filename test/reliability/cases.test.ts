import { describe, expect, it } from 'vitest';
import { runBackpressureCase, runScaleCase } from '../../src/reliability/index.js';

describe('reliability cases on a real broker process', () => {
  it('serves 10,000 concurrent connections on one broker, every one answered', async () => {
    const result = await runScaleCase({ connections: 10_000 });
    expect(result).toMatchObject({ answered: 10_000, errored: 0, unanswered: 0, isPassed: true });
    expect(result.notes[0]).toMatch(/memory per idle connection: [\d.]+ KiB/);
  }, 90_000);

  it('keeps broker memory bounded while a service stops reading, and delivers everything after', async () => {
    const result = await runBackpressureCase({ totalBytes: 256 * 2 ** 20, stallMs: 1_500, rssBoundBytes: 256 * 2 ** 20 });
    expect(result).toMatchObject({ requestsSent: 4096, answered: 4096, unanswered: 0, isPassed: true });
    expect(result.peakBrokerRssBytes).toBeLessThan(256 * 2 ** 20);
  }, 90_000);
});
