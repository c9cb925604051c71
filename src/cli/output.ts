/** Ink only where a person watches: stdout is a terminal and CI is not set (docs/architecture.md, "Output"). */
export function isInteractiveTerminal(stream: NodeJS.WriteStream = process.stdout): boolean {
  return Boolean(stream.isTTY) && !process.env.CI;
}

/** Resolves on the first SIGINT or SIGTERM, with the signal's name. */
export function waitForShutdownSignal(): Promise<NodeJS.Signals> {
  return abortOnShutdownSignal().received;
}

/**
 * An AbortSignal that fires on the first of `signals` (SIGINT or SIGTERM by default), for
 * work that must clean up when interrupted (processes it started...). `dispose` stops
 * listening; `received` resolves with the signal's name once one arrives.
 */
export function abortOnShutdownSignal(
  signals: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'],
): { signal: AbortSignal; received: Promise<NodeJS.Signals>; dispose: () => void } {
  const controller = new AbortController();
  let resolveReceived!: (signal: NodeJS.Signals) => void;
  const received = new Promise<NodeJS.Signals>((resolve) => (resolveReceived = resolve));
  const onSignal = (signal: NodeJS.Signals): void => {
    // Stop listening only after this signal's listeners have all run: Ink's signal-exit
    // re-raises a signal it finds no other listener for, which would kill the process
    // before its cleanup. A second signal then ends the process as usual.
    setImmediate(dispose);
    controller.abort(signal);
    resolveReceived(signal);
  };
  const dispose = (): void => {
    for (const name of signals) process.off(name, onSignal);
  };
  for (const name of signals) process.on(name, onSignal);
  return { signal: controller.signal, received, dispose };
}
