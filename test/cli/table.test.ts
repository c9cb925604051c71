import { describe, expect, it } from 'vitest';
import { formatTable } from '../../src/cli/table.js';

describe('plain tables', () => {
  it('pads text to the right of its column and the numeric columns to the left', () => {
    expect(formatTable(['name', 'routed', 'state'], [['a', '1,234', 'up'], ['bb', '-', 'down'], ['c', '5', 'up']], [1])).toEqual([
      'name  routed  state',
      'a      1,234  up',
      'bb         -  down',
      'c          5  up',
    ]);
  });
});
