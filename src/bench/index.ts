/** `rsb bench`: the broker measured side by side with a reference broker and no broker. */
export { BENCH_SETUP, median, runBench, type BenchOptions, type BenchReport, type BenchRow, type BenchSetup } from './run-bench.js';
export { formatBenchReport } from './format-report.js';
