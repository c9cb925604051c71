import { describe, expect, it } from 'vitest';
import { runScaleCase, runTransportInputCase, TRANSPORT_INPUT_CASES } from '../../src/reliability/index.js';

describe('reliability at scale', () => {
  it('serves 10,000 concurrent connections on one broker process, every one answered', async () => {
    const result = await runScaleCase({ connections: 10_000 });
    expect(result).toMatchObject({ answered: 10_000, errored: 0, unanswered: 0, isPassed: true });
    expect(result.notes[0]).toMatch(/memory per idle connection: [\d.]+ KiB/);
  }, 90_000);
});

describe('transport bad input', () => {
  it('ends only the connection of each bad TLS or WebSocket input, while neighbours on WebSocket and TLS see no error', async () => {
    const result = await runTransportInputCase();
    expect(result.notes.join('; ')).toBe('every case closed its own connection as expected; broker alive');
    expect(result).toMatchObject({ connections: 3 + TRANSPORT_INPUT_CASES.length, errored: 0, unanswered: 0, isPassed: true });
    expect(result.answered).toBeGreaterThan(0);
  }, 90_000);
});
