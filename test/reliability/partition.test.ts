import { describe, expect, it } from 'vitest';
import { PARTITION_DETECTION_BOUND_MS, PARTITION_RETURN_BOUND_MS, runPartitionCase } from '../../src/reliability/index.js';
import { labLeftovers } from '../support/lab.js';

describe('reliability under a network partition', () => {
  it('answers or fails every request while a broker host of three is cut off for 5 s, leaves it within 2 s, takes it back within 3 s of the heal, and leaves nothing of its lab', async () => {
    const result = await runPartitionCase({ rate: 3_000, durationMs: 10_000, isInThread: true });
    expect(result.isSkipped, result.notes.join('; ')).toBeUndefined();
    expect(result, result.notes.join('; ')).toMatchObject({ name: 'network partition', unanswered: 0, isPassed: true });
    expect(result.answered + result.errored).toBe(result.requestsSent);
    const left = Number(/requests left broker-2 after (\d+) ms/.exec(result.notes[0]!)![1]);
    expect(left).toBeLessThanOrEqual(PARTITION_DETECTION_BOUND_MS);
    const back = Number(/back in rotation after (\d+) ms/.exec(result.notes[1]!)![1]);
    expect(back).toBeLessThanOrEqual(PARTITION_RETURN_BOUND_MS);
    // Its lab is gone with the run: no namespace or link of it is left.
    const tag = /^on lab rsb-([0-9a-f]{6}) /.exec(result.notes[2]!)![1]!;
    expect(await labLeftovers([tag])).toEqual([]);
  }, 90_000);
});
