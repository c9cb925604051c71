/**
 * Columns padded to their widest cell, two spaces apart: every plain table rsb prints
 * (`rsb services`, `rsb status`, `rsb cluster status`, the load summary...).
 * `rightAligned` holds the indexes of numeric columns.
 */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[], rightAligned: readonly number[] = []): string[] {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => (rightAligned.includes(column) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

export const COLUMN_ALIGN = { LEFT: 'left', RIGHT: 'right', CENTER: 'center' } as const;
export type ColumnAlign = (typeof COLUMN_ALIGN)[keyof typeof COLUMN_ALIGN];

const MARKDOWN_RULE: Record<ColumnAlign, string> = { left: '---', right: '---:', center: ':---:' };

/**
 * A Markdown table (`rsb bench`, `rsb reliability`): pasted as it is into docs, so cells
 * are not padded. `align` gives each column's alignment, left when absent.
 */
export function formatMarkdownTable(header: readonly string[], rows: readonly (readonly string[])[], align: readonly ColumnAlign[] = []): string[] {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map((_, column) => MARKDOWN_RULE[align[column] ?? COLUMN_ALIGN.LEFT])), ...rows.map(line)];
}
