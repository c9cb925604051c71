import { describe, expect, it } from 'vitest';
import { abortOnShutdownSignal } from '../../src/cli/output.js';

describe('shutdown signals', () => {
  it('aborts on the first signal and stays listening until the other listeners of that signal have run', async () => {
    const shutdown = abortOnShutdownSignal(['SIGUSR2']);
    // What Ink's signal-exit does: re-raise the signal when it finds itself the only listener left.
    let listenersSeenByOthers = -1;
    const other = (): void => {
      listenersSeenByOthers = process.listenerCount('SIGUSR2');
    };
    process.on('SIGUSR2', other);
    try {
      process.emit('SIGUSR2', 'SIGUSR2');
      expect(shutdown.signal.aborted).toBe(true);
      expect(await shutdown.received).toBe('SIGUSR2');
      expect(listenersSeenByOthers).toBe(2);
      await new Promise((resolve) => setImmediate(resolve));
      expect(process.listenerCount('SIGUSR2')).toBe(1);
    } finally {
      process.off('SIGUSR2', other);
      shutdown.dispose();
    }
  });
});
