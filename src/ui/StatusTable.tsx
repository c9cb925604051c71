import { Box, Text } from 'ink';
import React from 'react';
import type { StatusReport } from '../status/collect-status.js';
import { formatBrokerLines, formatServiceLines } from '../status/format-status.js';

export interface StatusTableProps {
  report: StatusReport;
}

/** `rsb status --watch` on a terminal: each broker's headline and its services, redrawn as readings come. */
export function StatusTable({ report }: StatusTableProps): React.JSX.Element {
  return (
    <Box flexDirection="column">
      <Text dimColor>rsb status at {report.takenAt.slice(11, 19)} (Ctrl-C to stop)</Text>
      {report.brokers.map((status) => {
        const [headline, ...figures] = formatBrokerLines(status);
        return (
          <Box key={status.admin} flexDirection="column" marginTop={1}>
            <Text color={status.isUp ? 'green' : 'red'}>{headline}</Text>
            {figures.map((line) => (
              <Text key={line}>{line}</Text>
            ))}
            {status.isUp && status.services?.length === 0 ? <Text dimColor>{'  no services registered'}</Text> : null}
            {status.services?.map((service) => (
              <Box key={service.key} flexDirection="column">
                {formatServiceLines(service).map((line, index) => (
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
    </Box>
  );
}
