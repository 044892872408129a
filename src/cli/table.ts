/** A plain text table: columns padded to their widest cell, two spaces apart. */

// cutover's own colours (output.ts paint): not part of a cell's width on screen.
// eslint-disable-next-line no-control-regex
const STYLE = /\u001b\[[0-9;]*m/g;

/** Width on screen: colour codes take no columns. */
export function visibleLength(text: string): number {
  return text.replace(STYLE, '').length;
}

export interface TableOptions {
  /** The terminal's width: columns are dropped (see `drop`) until the table fits. */
  maxWidth?: number;
  /** Column indexes, least useful first, that may be dropped to fit `maxWidth`. */
  drop?: number[];
}

export function renderTable(headers: string[], rows: string[][], options: TableOptions = {}): string {
  let keep = headers.map((_, i) => i);
  const widthsOf = (columns: number[]) => columns.map((i) => Math.max(visibleLength(headers[i] ?? ''), ...rows.map((row) => visibleLength(row[i] ?? ''))));
  const total = (columns: number[]) => widthsOf(columns).reduce((sum, width) => sum + width, 0) + 2 * (columns.length - 1);
  for (const column of options.drop ?? []) {
    if (options.maxWidth === undefined || total(keep) <= options.maxWidth) break;
    keep = keep.filter((i) => i !== column);
  }
  const widths = widthsOf(keep);
  const line = (cells: string[]) =>
    keep
      .map((column, i) => {
        const cell = cells[column] ?? '';
        return i === keep.length - 1 ? cell : cell + ' '.repeat(Math.max(0, (widths[i] ?? 0) - visibleLength(cell)));
      })
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}
