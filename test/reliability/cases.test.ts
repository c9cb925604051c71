import { describe, expect, it } from 'vitest';
import { runScaleCase } from '../../src/reliability/index.js';

describe('reliability at scale', () => {
  it('serves 10,000 concurrent connections on one broker process, every one answered', async () => {
    const result = await runScaleCase({ connections: 10_000 });
    expect(result).toMatchObject({ answered: 10_000, errored: 0, unanswered: 0, isPassed: true });
    expect(result.notes[0]).toMatch(/memory per idle connection: [\d.]+ KiB/);
  }, 90_000);
});
