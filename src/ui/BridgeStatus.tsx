import { Box, Static, Text } from 'ink';
import React from 'react';
import { formatCount } from '../cli/format.js';

export interface BridgeStatusProps {
  /** `gateway` or `proxy svc`. */
  title: string;
  /** Where it listens or what it forwards to. */
  where: string;
  brokersConnected: number;
  brokers: number;
  requests: number;
  requestsPerSecond: number;
  /** Outcome counts, e.g. `200 1,234`, `503 2`. */
  outcomes: readonly { label: string; count: number; isError: boolean }[];
  events: readonly { key: number; text: string }[];
}

/** The live view of `rsb gateway` and `rsb proxy` on a terminal. */
export function BridgeStatus(props: BridgeStatusProps): React.JSX.Element {
  return (
    <>
      <Static items={[...props.events]}>{(event) => <Text key={event.key}>{event.text}</Text>}</Static>
      <Box gap={2}>
        <Text color={props.brokersConnected > 0 ? 'green' : 'red'}>● {props.title}</Text>
        <Text>{props.where}</Text>
        <Text>
          brokers <Text bold>{props.brokersConnected}</Text>/{props.brokers}
        </Text>
        <Text>
          requests <Text bold>{formatCount(props.requests)}</Text>
        </Text>
        <Text>
          /s <Text bold>{formatCount(props.requestsPerSecond)}</Text>
        </Text>
        {props.outcomes.map((outcome) => (
          <Text key={outcome.label} color={outcome.isError && outcome.count > 0 ? 'red' : undefined}>
            {outcome.label} {formatCount(outcome.count)}
          </Text>
        ))}
      </Box>
    </>
  );
}
