import { Box, Static, Text } from 'ink';
import React from 'react';
import { formatCount, formatMicros } from '../cli/format.js';

export interface DashboardLatency {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

export interface DashboardBroker {
  name: string;
  address: string;
  /** Answers per second in the last interval. */
  rate: number;
  errors: number;
  isUp: boolean;
}

/** Where the run is: starting, warming up (nothing measured), sending its schedule, or waiting for the answers in flight. */
export type DashboardStage = 'starting' | 'warm-up' | 'run' | 'draining';

export interface LoadDashboardProps {
  scenario: string;
  leg: string;
  phase: string;
  stage: DashboardStage;
  /** Length of the warm-up, ms. */
  warmupMs: number;
  /** 0 to 1 of the measured schedule (0 in the warm-up). */
  progress: number;
  /** Measured time so far (in the warm-up: the warm-up's time). */
  elapsedMs: number;
  durationMs: number;
  /** Measured requests so far: sent, ended (answered, errors, timeouts), and the schedule's total. */
  requests: { sent: number; answered: number; expected: number };
  /** Set once the schedule lag makes the run invalid: why, in a few words. */
  invalid?: string;
  targetRate: number;
  achievedRate: number;
  /** Achieved rates of the last intervals, oldest first: the sparkline. */
  rateHistory: readonly number[];
  /** Corrected latency in µs, over the last interval and over the run so far. */
  latencyNow: DashboardLatency | undefined;
  latencyRun: DashboardLatency | undefined;
  errors: readonly { kind: string; count: number }[];
  brokers: readonly DashboardBroker[];
  health: { lagP99Us: number; maxTickLateMs: number; eventLoopDelayMaxMs: number; rssBytes: number; workers: number; isKeepingSchedule: boolean };
  /** Set for closed-loop runs (HTTP, autocannon): shown instead of the schedule figures, which they do not have. */
  pacing?: string;
  /** Finished lines (phases done, faults, connection events), kept above the live panel. */
  events: readonly { key: number; text: string }[];
}

const SPARK = '▁▂▃▄▅▆▇█';
const BAR_WIDTH = 30;

/** `▂▄▆█▇` for the rates given, scaled to the highest of them and the target. */
export function drawSparkline(values: readonly number[], ceiling: number): string {
  const top = Math.max(ceiling, ...values, 1);
  return values.map((value) => SPARK[Math.min(SPARK.length - 1, Math.max(0, Math.round((value / top) * (SPARK.length - 1))))]).join('');
}

export function drawProgressBar(progress: number, width = BAR_WIDTH): string {
  const filled = Math.round(Math.min(1, Math.max(0, progress)) * width);
  return '█'.repeat(filled) + '░'.repeat(width - filled);
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms >= 100_000 ? 0 : 1)} s`;
}

function LatencyRow({ label, latency }: { label: string; latency: DashboardLatency | undefined }): React.JSX.Element {
  if (!latency) {
    return (
      <Text>
        {label.padEnd(10)} <Text dimColor>no answers yet</Text>
      </Text>
    );
  }
  const cells = [latency.p50, latency.p90, latency.p99, latency.p999, latency.max].map((us) => formatMicros(us).padStart(10));
  return (
    <Text>
      {label.padEnd(10)}
      {cells.join('')}
    </Text>
  );
}

/** The live view of `rsb load` on a terminal: redrawn at most a few times a second, never per request. */
export function LoadDashboard(props: LoadDashboardProps): React.JSX.Element {
  const ratio = props.targetRate > 0 ? props.achievedRate / props.targetRate : 1;
  const health = props.health;
  return (
    <>
      <Static items={[...props.events]}>{(line) => <Text key={line.key}>{line.text}</Text>}</Static>
      <Box flexDirection="column" borderStyle="round" paddingX={1}>
        <Text>
          <Text bold>{props.scenario}</Text> {props.leg} · <Text color="cyan">{props.phase}</Text>
          {props.stage === 'warm-up' ? <Text color="yellow"> · WARM-UP (not measured)</Text> : ''}
          {props.stage === 'draining' ? <Text color="yellow"> · schedule sent, waiting for the answers in flight</Text> : ''}
        </Text>
        {props.stage === 'warm-up' || props.stage === 'starting' ? (
          <Text>
            <Text color="yellow">warm-up</Text> {seconds(props.elapsedMs)} / {seconds(props.warmupMs)} · connecting and warming up; the measured run of {seconds(props.durationMs)} follows
          </Text>
        ) : (
          <Text>
            {drawProgressBar(props.progress)} {Math.round(props.progress * 100)}% {seconds(props.elapsedMs)} / {seconds(props.durationMs)} measured
          </Text>
        )}
        <Text>
          requests sent <Text bold>{formatCount(props.requests.sent)}</Text> of {formatCount(props.requests.expected)} · answered <Text bold>{formatCount(props.requests.answered)}</Text> · in flight{' '}
          {formatCount(Math.max(0, props.requests.sent - props.requests.answered))}
        </Text>
        {props.invalid ? (
          <Text color="red" bold>
            INVALID RUN: {props.invalid} — the generator cannot keep its schedule, so these figures say nothing of the broker (exit 4)
          </Text>
        ) : (
          ''
        )}
        <Text>
          rate target <Text bold>{formatCount(props.targetRate)}/s</Text> achieved{' '}
          <Text bold color={ratio >= 0.99 ? 'green' : 'yellow'}>
            {formatCount(props.achievedRate)}/s
          </Text>{' '}
          <Text color="cyan">{drawSparkline(props.rateHistory, props.targetRate)}</Text>
        </Text>
        <Box flexDirection="column" marginTop={1}>
          <Text dimColor>{'latency'.padEnd(10)}{['p50', 'p90', 'p99', 'p99.9', 'max'].map((name) => name.padStart(10)).join('')}</Text>
          <LatencyRow label="last 1 s" latency={props.latencyNow} />
          <LatencyRow label="run" latency={props.latencyRun} />
        </Box>
        <Box marginTop={1}>
          <Text>
            errors{' '}
            {props.errors.length === 0 ? (
              <Text color="green">none</Text>
            ) : (
              <Text color="red">{props.errors.map((error) => `${error.kind} ${formatCount(error.count)}`).join('  ')}</Text>
            )}
          </Text>
        </Box>
        <Box flexDirection="column" marginTop={1}>
          {props.brokers.map((broker) => (
            <Text key={broker.name}>
              <Text color={broker.isUp ? 'green' : 'red'}>{broker.isUp ? '●' : '○'}</Text> {broker.name.padEnd(12)} {broker.address.padEnd(22)} {formatCount(broker.rate).padStart(9)}/s
              {broker.errors > 0 ? <Text color="red">  errors {formatCount(broker.errors)}</Text> : ''}
            </Text>
          ))}
        </Box>
        <Box flexDirection="column" marginTop={1}>
          {props.pacing ? (
            <Text wrap="wrap">generator autocannon · {props.pacing}</Text>
          ) : (
            <Text>
              generator {health.workers} worker{health.workers === 1 ? '' : 's'} · schedule lag p99 {formatMicros(health.lagP99Us)} · tick late max {health.maxTickLateMs.toFixed(1)} ms
              {health.isKeepingSchedule ? '' : <Text color="yellow"> · BEHIND SCHEDULE</Text>}
            </Text>
          )}
          <Text dimColor>
            event-loop delay max {health.eventLoopDelayMaxMs.toFixed(1)} ms · rss {Math.round(health.rssBytes / 1048576)} MB
          </Text>
        </Box>
      </Box>
    </>
  );
}
