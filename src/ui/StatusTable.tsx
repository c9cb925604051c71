import { Box, Text } from 'ink';
import React from 'react';
import type { StatusReport } from '../status/collect-status.js';
import { formatBrokerLine, formatTable, SERVICE_COLUMNS, serviceRows } from '../status/format-status.js';

export interface StatusTableProps {
  report: StatusReport;
}

/** `rsb status --watch` on a terminal: each broker's headline and its services table, redrawn as readings come. */
export function StatusTable({ report }: StatusTableProps): React.JSX.Element {
  return (
    <Box flexDirection="column">
      <Text dimColor>rsb status at {report.takenAt.slice(11, 19)} (Ctrl-C to stop)</Text>
      {report.brokers.map((status) => (
        <Box key={status.admin} flexDirection="column" marginTop={1}>
          <Text color={status.isUp ? 'green' : 'red'}>{formatBrokerLine(status)}</Text>
          {status.services && status.services.length > 0 ? (
            formatTable(SERVICE_COLUMNS, serviceRows(status.services)).map((line, index) => (
              <Text key={index} bold={index === 0}>
                {'  '}
                {line}
              </Text>
            ))
          ) : status.isUp ? (
            <Text dimColor>  no services registered</Text>
          ) : null}
        </Box>
      ))}
    </Box>
  );
}
