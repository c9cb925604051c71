import { EXIT_CODE } from '../cli/exit-codes.js';
import { killStartedProcesses } from '../process/index.js';

/**
 * Ctrl-C during a load run: the first SIGINT/SIGTERM stops sending, lets what is in
 * flight end, tears the topology down and reports the run as interrupted (exit 130 for
 * SIGINT, 143 for SIGTERM); a second one kills what rsb started at once and exits with the
 * same code, so that nothing outlives the run either way.
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
    process.exit(signal === 'SIGTERM' ? EXIT_CODE.TERMINATED : EXIT_CODE.INTERRUPTED);
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
