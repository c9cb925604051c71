import { EXIT_CODE } from '../cli/exit-codes.js';
import { killStartedProcesses } from '../process/index.js';

/**
 * Ctrl-C during a load run: the first SIGINT/SIGTERM stops sending, lets what is in
 * flight end, tears the topology down and reports; a second one kills what rsb started
 * at once and exits, so that nothing outlives the run either way.
 */
export function watchInterruptions(): { first: Promise<string>; dispose(): void } {
  let count = 0;
  let resolveFirst!: (signal: string) => void;
  const first = new Promise<string>((resolve) => (resolveFirst = resolve));
  const onSignal = (signal: NodeJS.Signals): void => {
    count++;
    if (count === 1) {
      resolveFirst(signal);
      return;
    }
    process.stderr.write(`rsb load: ${signal} again: killing what it started and exiting\n`);
    killStartedProcesses();
    process.exit(EXIT_CODE.ERROR);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    first,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
