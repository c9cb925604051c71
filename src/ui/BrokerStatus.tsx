import { Box, Static, Text } from 'ink';
import React from 'react';
import { formatCount, formatCountOf } from '../cli/format.js';

export interface BrokerStatusProps {
  id: string;
  address: string;
  connections: number;
  services: number;
  instances: number;
  requestsPerSecond: number;
  requestsRouted: number;
  /** Finished log lines (connections opened and closed...), kept above the status line. */
  events: readonly { key: number; text: string }[];
}

/** The live status line of `rsb start` on a terminal. */
export function BrokerStatus(props: BrokerStatusProps): React.JSX.Element {
  return (
    <>
      <Static items={[...props.events]}>{(event) => <Text key={event.key}>{event.text}</Text>}</Static>
      <Box gap={2}>
        <Text color="green">● {props.id}</Text>
        <Text>{props.address}</Text>
        <Text>
          connections <Text bold>{formatCount(props.connections)}</Text>
        </Text>
        <Text>
          services <Text bold>{formatCount(props.services)}</Text> ({formatCountOf(props.instances, 'instance')})
        </Text>
        <Text>
          requests/s <Text bold>{formatCount(props.requestsPerSecond)}</Text>
        </Text>
        <Text dimColor>routed {formatCount(props.requestsRouted)}</Text>
      </Box>
    </>
  );
}
