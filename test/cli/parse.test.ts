import { describe, expect, it } from 'vitest';
import { parseDuration, parseIntegerList } from '../../src/cli/parse.js';

describe('flag parsing', () => {
  it('reads durations with units, a bare number being seconds', () => {
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('3s')).toBe(3000);
    expect(parseDuration('1.5m')).toBe(90_000);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(parseDuration('20')).toBe(20_000);
  });

  it('rejects a duration it cannot read with a usage error naming the flag', () => {
    expect(() => parseDuration('soon', '--duration')).toThrowError(expect.objectContaining({ code: 'ERR_USAGE', message: expect.stringContaining('--duration') }));
  });

  it('reads integer lists and rejects items below the minimum', () => {
    expect(parseIntegerList('1, 64,256', '--in-flight')).toEqual([1, 64, 256]);
    expect(() => parseIntegerList('1,0', '--in-flight')).toThrowError(expect.objectContaining({ code: 'ERR_USAGE' }));
    expect(() => parseIntegerList('1,,2', '--in-flight')).toThrowError(expect.objectContaining({ code: 'ERR_USAGE' }));
  });
});
