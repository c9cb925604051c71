import { PlainReporter } from './plain-reporter.js';

/** Placeholder until the dashboard lands: plain lines. */
export class InkReporter {
  static create(print: (line: string) => void): PlainReporter {
    return new PlainReporter(print);
  }
}
