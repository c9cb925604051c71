import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { drawProgressBar, drawSparkline, LoadDashboard } from '../../src/ui/components.js';
import type { LoadDashboardProps } from '../../src/ui/index.js';

const PROPS: LoadDashboardProps = {
  scenario: 'peak-62k',
  leg: 'through the broker',
  phase: 'constant',
  stage: 'run',
  warmupMs: 1_000,
  progress: 0.5,
  elapsedMs: 10_000,
  durationMs: 20_000,
  requests: { sent: 620_000, answered: 619_880, expected: 1_240_000 },
  targetRate: 62_000,
  achievedRate: 61_940,
  rateHistory: [0, 31_000, 62_000, 61_940],
  latencyNow: { p50: 410, p90: 800, p99: 2_100, p999: 4_000, max: 6_200 },
  latencyRun: { p50: 420, p90: 850, p99: 2_300, p999: 5_000, max: 9_800 },
  errors: [{ kind: 'REJECTED', count: 3 }],
  brokers: [
    { name: 'broker-1', address: '127.0.0.1:9999', rate: 30_970, errors: 0, isUp: true },
    { name: 'broker-2', address: '127.0.0.1:10000', rate: 30_970, errors: 3, isUp: false },
  ],
  health: { lagP99Us: 45, maxTickLateMs: 1.2, eventLoopDelayMaxMs: 3.4, rssBytes: 90 * 1048576, workers: 2, isKeepingSchedule: true },
  events: [{ key: 0, text: 'started broker-1 on 127.0.0.1:9999' }],
};

describe('load dashboard', () => {
  it('shows the scenario, phase, progress, target against achieved rate, latency, errors, brokers and generator health', () => {
    const { lastFrame, unmount } = render(<LoadDashboard {...PROPS} />);
    const frame = lastFrame()!;
    expect(frame).toContain('peak-62k');
    expect(frame).toContain('through the broker · constant');
    expect(frame).toContain(`${drawProgressBar(0.5)} 50% 10.0 s / 20.0 s`);
    expect(frame).toContain('rate target 62,000/s achieved 61,940/s');
    expect(frame).toContain(drawSparkline(PROPS.rateHistory, 62_000));
    expect(frame).toMatch(/last 1 s\s+410 µs\s+800 µs\s+2\.10 ms\s+4\.00 ms\s+6\.20 ms/);
    expect(frame).toMatch(/run\s+420 µs\s+850 µs\s+2\.30 ms\s+5\.00 ms\s+9\.80 ms/);
    expect(frame).toContain('errors REJECTED 3');
    expect(frame).toMatch(/● broker-1\s+127\.0\.0\.1:9999\s+30,970\/s/);
    expect(frame).toMatch(/○ broker-2\s+127\.0\.0\.1:10000\s+30,970\/s\s+errors 3/);
    expect(frame).toContain('schedule lag p99 45 µs');
    expect(frame).toContain('event-loop delay max 3.4 ms');
    expect(frame).toContain('started broker-1 on 127.0.0.1:9999');
    expect(frame).not.toContain('BEHIND SCHEDULE');
    unmount();
  });

  it('shows the requests sent and answered against the schedule, and what is in flight', () => {
    const { lastFrame, unmount } = render(<LoadDashboard {...PROPS} />);
    expect(lastFrame()).toContain('requests sent 620,000 of 1,240,000 · answered 619,880 · in flight 120');
    expect(lastFrame()).toContain(`${drawProgressBar(0.5)} 50% 10.0 s / 20.0 s measured`);
    unmount();
  });

  it('labels the warm-up as not measured, with its own clock instead of the progress bar', () => {
    const { lastFrame, unmount } = render(<LoadDashboard {...PROPS} stage="warm-up" progress={0} elapsedMs={400} requests={{ ...PROPS.requests, sent: 0, answered: 0 }} />);
    const frame = lastFrame()!;
    expect(frame).toContain('WARM-UP (not measured)');
    expect(frame).toContain('warm-up 0.4 s / 1.0 s · connecting and warming up; the measured run of 20.0 s follows');
    expect(frame).not.toContain(drawProgressBar(0));
    unmount();
  });

  it('says plainly when the schedule lag makes the run invalid', () => {
    const { lastFrame, unmount } = render(<LoadDashboard {...PROPS} invalid="schedule lag p99 12.30 ms is above --max-lag 10.00 ms" />);
    expect(lastFrame()).toContain('INVALID RUN: schedule lag p99 12.30 ms is above --max-lag 10.00 ms');
    expect(lastFrame()).toContain('say nothing of the broker (exit 4)');
    unmount();
  });

  it('says so when the generator falls behind its schedule, and when no answer came yet', () => {
    const { lastFrame, unmount } = render(
      <LoadDashboard {...PROPS} latencyNow={undefined} latencyRun={undefined} errors={[]} health={{ ...PROPS.health, isKeepingSchedule: false }} />,
    );
    expect(lastFrame()).toContain('BEHIND SCHEDULE');
    expect(lastFrame()).toContain('no answers yet');
    expect(lastFrame()).toContain('errors none');
    unmount();
  });

  it('keeps finished lines above the live panel as new ones arrive', () => {
    const { lastFrame, rerender, frames, unmount } = render(<LoadDashboard {...PROPS} />);
    rerender(<LoadDashboard {...PROPS} events={[...PROPS.events, { key: 1, text: '✓ hour 00 done' }]} />);
    expect(frames.join('\n')).toContain('✓ hour 00 done');
    expect(lastFrame()).toContain('peak-62k');
    unmount();
  });

  it('draws a sparkline scaled to the target and a progress bar of fixed width', () => {
    expect(drawSparkline([0, 50, 100], 100)).toBe('▁▅█');
    expect(drawSparkline([200], 100)).toBe('█');
    expect(drawProgressBar(0.25, 8)).toBe('██░░░░░░');
    expect(drawProgressBar(2, 4)).toBe('████');
  });
});
