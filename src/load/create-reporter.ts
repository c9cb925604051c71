import { PlainReporter } from './plain-reporter.js';
import type { LoadReporter } from './reporter.js';

/**
 * The Ink dashboard where a person watches (a terminal, CI unset), plain lines otherwise.
 * Ink and React are imported only for the dashboard: they cost ~45 MB and a slower start.
 */
export async function createLoadReporter(isInteractive: boolean, print: (line: string) => void): Promise<LoadReporter> {
  if (!isInteractive) return new PlainReporter(print);
  const { InkReporter } = await import('./ink-reporter.js');
  return InkReporter.create(print);
}
