import { Box, Text } from 'ink';
import React from 'react';

/** One broker as `rsb status` writes it: its headline and figures, then each service's lines. */
export interface StatusTableBroker {
  /** The admin address it was read at. */
  key: string;
  isUp: boolean;
  /** The headline, then the figures. */
  lines: readonly string[];
  /** Per service: its policy and traffic lines, then its instance table. */
  services: readonly { key: string; lines: readonly string[] }[];
  hasNoServices: boolean;
}

export interface StatusTableProps {
  /** `10:20:30`: when the brokers were read. */
  time: string;
  brokers: readonly StatusTableBroker[];
  /** Each cluster's total line, under the brokers. */
  totals?: readonly string[];
}

/** `rsb status --watch` on a terminal: each broker's headline and its services, redrawn as readings come. */
export function StatusTable({ time, brokers, totals = [] }: StatusTableProps): React.JSX.Element {
  return (
    <Box flexDirection="column">
      <Text dimColor>rsb status at {time} (Ctrl-C to stop)</Text>
      {brokers.map((broker) => {
        const [headline, ...figures] = broker.lines;
        return (
          <Box key={broker.key} flexDirection="column" marginTop={1}>
            <Text color={broker.isUp ? 'green' : 'red'}>{headline}</Text>
            {figures.map((line) => (
              <Text key={line}>{line}</Text>
            ))}
            {broker.hasNoServices ? <Text dimColor>{'  no services registered'}</Text> : null}
            {broker.services.map((service) => (
              <Box key={service.key} flexDirection="column">
                {service.lines.map((line, index) => (
                  <Text key={index} bold={index === 0} color={line.includes(' open') ? 'red' : undefined}>
                    {'  '}
                    {line}
                  </Text>
                ))}
              </Box>
            ))}
          </Box>
        );
      })}
      {totals.length ? (
        <Box flexDirection="column" marginTop={1}>
          {totals.map((line) => (
            <Text key={line} bold>
              {line}
            </Text>
          ))}
        </Box>
      ) : null}
    </Box>
  );
}
