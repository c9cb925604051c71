import { Box, Static, Text } from 'ink';
import React from 'react';
import { formatCount } from '../cli/format.js';

export interface MockMethodRow {
  method: string;
  requests: number;
  requestsPerSecond: number;
  errors: number;
  items: number;
}

export interface MockStatusProps {
  service: string;
  /** `2 instances on 127.0.0.1:9999`, and the listening port if any. */
  where: string;
  connected: number;
  connections: number;
  rows: readonly MockMethodRow[];
  /** Finished log lines (connections lost and regained), kept above the table. */
  events: readonly { key: number; text: string }[];
}

/** The live view of `rsb mock` on a terminal: counts per method. */
export function MockStatus(props: MockStatusProps): React.JSX.Element {
  const width = Math.max(6, ...props.rows.map((row) => row.method.length));
  return (
    <>
      <Static items={[...props.events]}>{(event) => <Text key={event.key}>{event.text}</Text>}</Static>
      <Box flexDirection="column">
        <Box gap={2}>
          <Text color={props.connected === props.connections ? 'green' : 'yellow'}>● mock {props.service}</Text>
          <Text>{props.where}</Text>
          <Text>
            connected <Text bold>{props.connected}</Text>/{props.connections}
          </Text>
        </Box>
        {props.rows.map((row) => (
          <Box key={row.method} gap={2}>
            <Text>{`  ${row.method.padEnd(width)}`}</Text>
            <Text>
              requests <Text bold>{formatCount(row.requests)}</Text>
            </Text>
            <Text>
              /s <Text bold>{formatCount(row.requestsPerSecond)}</Text>
            </Text>
            <Text color={row.errors > 0 ? 'red' : undefined}>errors {formatCount(row.errors)}</Text>
            <Text dimColor>items sent {formatCount(row.items)}</Text>
          </Box>
        ))}
      </Box>
    </>
  );
}
