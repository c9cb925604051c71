/**
 * Columns padded to their widest cell, two spaces apart: the plain tables of commands
 * such as `rsb cluster status`. Cells that hold numbers are right-aligned.
 */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  // A column is numeric when its cells are numbers, or '-' where there is none.
  const isNumeric = header.map(
    (_, column) => rows.some((row) => /^[\d,.]+$/.test(row[column] ?? '')) && rows.every((row) => /^([\d,.]+|-)$/.test(row[column] ?? '')),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => (isNumeric[column] ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}
