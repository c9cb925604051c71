import { afterEach, describe, expect, it, vi } from 'vitest';
import { CreditWindow, ReceiveQueue } from '../../src/sdk/receive-queue.js';

describe('credit window', () => {
  it('asks for the window up front, then tops it up each time half of it has been taken', () => {
    const window = new CreditWindow(4);
    expect(window.initial).toBe(4);
    expect([window.take(), window.take(), window.take(), window.take(), window.take()]).toEqual([0, 2, 0, 2, 0]);
  });

  it('never asks for more than the limit in all', () => {
    const window = new CreditWindow(4, 5);
    expect(window.initial).toBe(4);
    const asked = [window.take(), window.take(), window.take(), window.take(), window.take()];
    expect(asked.reduce((sum, n) => sum + n, window.initial)).toBe(5);
  });

  it('asks for one at a time with a window of one', () => {
    const window = new CreditWindow(1);
    expect([window.initial, window.take(), window.take()]).toEqual([1, 1, 1]);
  });
});

describe('receive queue', () => {
  afterEach(() => vi.useRealTimers());

  it('hands out items in order, then ends', async () => {
    const queue = new ReceiveQueue<string>();
    queue.push('a');
    const taking = queue.take(0, () => new Error('timeout'));
    queue.push('b');
    queue.end();
    expect(await taking).toEqual({ item: 'a' });
    expect(await queue.take(0, () => new Error('timeout'))).toEqual({ item: 'b' });
    expect(await queue.take(0, () => new Error('timeout'))).toBeUndefined();
    expect(queue.isFinished).toBe(true);
  });

  it('rejects a waiting taker with the stream error', async () => {
    const queue = new ReceiveQueue<string>();
    const taking = queue.take(0, () => new Error('timeout'));
    queue.fail(new Error('REJECTED'));
    await expect(taking).rejects.toThrow('REJECTED');
  });

  it('rejects with the timeout error when nothing arrives in time', async () => {
    vi.useFakeTimers();
    const queue = new ReceiveQueue<string>();
    const taking = queue.take(100, () => new Error('no item within 100 ms'));
    vi.advanceTimersByTime(100);
    await expect(taking).rejects.toThrow('no item within 100 ms');
  });
});
