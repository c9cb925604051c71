import { describe, expect, it } from 'vitest';
import { formatTable } from '../../src/cli/table.js';

describe('plain tables', () => {
  it('pads text to the left and numbers to the right, a dash counting as a missing number', () => {
    expect(formatTable(['name', 'routed', 'state'], [['a', '1,234', 'up'], ['bb', '-', 'down'], ['c', '5', 'up']])).toEqual([
      'name  routed  state',
      'a      1,234  up',
      'bb         -  down',
      'c          5  up',
    ]);
  });
});
