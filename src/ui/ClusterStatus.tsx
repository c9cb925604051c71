import { Box, Static, Text } from 'ink';
import React from 'react';
import { formatCount } from '../cli/format.js';

export interface ClusterNodeProps {
  id: string;
  address: string;
  pid: number;
  state: 'up' | 'down' | 'unresponsive';
  /** Connections other than the monitor's own. */
  clients: number;
  services: number;
  instances: number;
  requestsPerSecond: number;
  requestsRouted: number;
}

export interface ClusterStatusProps {
  name: string;
  nodes: readonly ClusterNodeProps[];
  /** Finished log lines (a broker went down...), kept above the table. */
  events: readonly { key: number; text: string }[];
}

const STATE_COLOR = { up: 'green', down: 'red', unresponsive: 'yellow' } as const;
const COLUMNS = [
  { title: 'broker', width: 14 },
  { title: 'address', width: 17 },
  { title: 'pid', width: 8 },
  { title: 'state', width: 14 },
  { title: 'clients', width: 9 },
  { title: 'services', width: 14 },
  { title: 'requests/s', width: 12 },
  { title: 'routed', width: 12 },
] as const;

/** The live view of `rsb cluster up --foreground`: one row per broker. */
export function ClusterStatus(props: ClusterStatusProps): React.JSX.Element {
  const up = props.nodes.filter((node) => node.state === 'up').length;
  const total = props.nodes.reduce((sum, node) => sum + node.requestsPerSecond, 0);
  return (
    <>
      <Static items={[...props.events]}>{(event) => <Text key={event.key}>{event.text}</Text>}</Static>
      <Box flexDirection="column">
        <Text>
          cluster <Text bold>{props.name}</Text>: {up}/{props.nodes.length} brokers up, <Text bold>{formatCount(total)}</Text> requests/s{' '}
          <Text dimColor>(Ctrl-C stops them all)</Text>
        </Text>
        <Box>
          {COLUMNS.map((column) => (
            <Box key={column.title} width={column.width}>
              <Text dimColor>{column.title}</Text>
            </Box>
          ))}
        </Box>
        {props.nodes.map((node) => (
          <Box key={node.id}>
            <Box width={COLUMNS[0].width}>
              <Text>{node.id}</Text>
            </Box>
            <Box width={COLUMNS[1].width}>
              <Text>{node.address}</Text>
            </Box>
            <Box width={COLUMNS[2].width}>
              <Text>{node.pid}</Text>
            </Box>
            <Box width={COLUMNS[3].width}>
              <Text color={STATE_COLOR[node.state]}>
                {node.state === 'up' ? '●' : '○'} {node.state}
              </Text>
            </Box>
            <Box width={COLUMNS[4].width}>
              <Text>{formatCount(node.clients)}</Text>
            </Box>
            <Box width={COLUMNS[5].width}>
              <Text>
                {formatCount(node.services)} ({formatCount(node.instances)})
              </Text>
            </Box>
            <Box width={COLUMNS[6].width}>
              <Text bold>{formatCount(node.requestsPerSecond)}</Text>
            </Box>
            <Box width={COLUMNS[7].width}>
              <Text>{formatCount(node.requestsRouted)}</Text>
            </Box>
          </Box>
        ))}
      </Box>
    </>
  );
}
