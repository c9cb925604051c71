/** Ink only where a person watches: stdout is a terminal and CI is not set (DESIGN.md, "Output conventions"). */
export function isInteractiveTerminal(stream: NodeJS.WriteStream = process.stdout): boolean {
  return Boolean(stream.isTTY) && !process.env.CI;
}

/** Resolves on the first SIGINT or SIGTERM, with the signal's name. */
export function waitForShutdownSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

/** `1234567` → `1,234,567`; rates and counts read better grouped. */
export function formatCount(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** `1 error`, `3 errors`: a count with its noun. */
export function formatCountOf(count: number, noun: string): string {
  return `${formatCount(count)} ${noun}${count === 1 ? '' : 's'}`;
}
