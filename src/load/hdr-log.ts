import { encodeHistogram, type Histogram } from './histograms.js';

/**
 * `--hdr-log FILE`: the run's corrected latency as interval histograms, in the HdrHistogram
 * log format that HdrHistogram's HistogramLogProcessor, HistogramLogAnalyzer and the
 * plotting tools read (and hdr-histogram-js's HistogramLogReader):
 *
 *     #[Histogram log format version 1.3]
 *     #[StartTime: 1700000000.000 (seconds since epoch), 2023-11-14T22:13:20.000Z]
 *     #[BaseTime: 1700000000.000 (seconds since epoch)]
 *     "StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"
 *     0.000,1.000,2.310,HISTFAAAA...        one line per interval: start and length in
 *     Tag=baseline,0.000,1.000,1.020,HISTF...  seconds from BaseTime, max in ms, histogram
 *
 * Values are microseconds (the max column is in milliseconds, HdrHistogram's
 * maxValueUnitRatio of 1000). The measured run's intervals carry no tag, so the tools
 * read them by default; a `--baseline` leg's are tagged `baseline`.
 */
export class HdrIntervalLog {
  private readonly lines: string[] = [];
  private baseEpochMs: number | undefined;

  /** One interval: `startMs`/`endMs` on the leg's clock, whose 0 is `legStartEpochMs`. */
  add(histogram: Histogram, legStartEpochMs: number, startMs: number, endMs: number, tag?: string): void {
    this.baseEpochMs ??= legStartEpochMs;
    const startSeconds = (legStartEpochMs - this.baseEpochMs + startMs) / 1000;
    const tagField = tag === undefined ? '' : `Tag=${tag},`;
    this.lines.push(`${tagField}${startSeconds.toFixed(3)},${((endMs - startMs) / 1000).toFixed(3)},${(histogram.maxValue / 1000).toFixed(3)},${encodeHistogram(histogram)}`);
  }

  text(): string {
    const base = this.baseEpochMs ?? Date.now();
    const seconds = (base / 1000).toFixed(3);
    return [
      '#[Histogram log format version 1.3]',
      `#[StartTime: ${seconds} (seconds since epoch), ${new Date(base).toISOString()}]`,
      `#[BaseTime: ${seconds} (seconds since epoch)]`,
      '#[rsb load: corrected latency (from the intended send time) in microseconds; Interval_Max in milliseconds]',
      '"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"',
      ...this.lines,
      '',
    ].join('\n');
  }
}
