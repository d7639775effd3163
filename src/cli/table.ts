// Plain-text tables for the terminal: columns padded to their widest cell, no escape codes, so the
// same text reads right in a pipe. On a narrow terminal the column marked `shrink` is cut first.

export interface TableOptions {
  /** Index of the column to shorten (with "…") when the table is wider than `width`. */
  shrink?: number;
  /** Usually process.stdout.columns; undefined (a pipe): never shortened. */
  width?: number | undefined;
}

export function table(rows: string[][], options: TableOptions = {}): string[] {
  const count = Math.max(...rows.map((r) => r.length));
  const widths = Array.from({ length: count }, (_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  const { shrink, width } = options;
  if (shrink !== undefined && width !== undefined) {
    const total = widths.reduce((a, b) => a + b, 0) + 2 * (count - 1);
    const over = total - width;
    if (over > 0) widths[shrink] = Math.max(8, widths[shrink]! - over);
  }
  return rows.map((row) =>
    row
      .map((cell, c) => {
        const w = widths[c]!;
        const fitted = cell.length > w ? `${cell.slice(0, w - 1)}…` : cell;
        return c === row.length - 1 ? fitted : fitted.padEnd(w);
      })
      .join('  ')
      .trimEnd(),
  );
}

/** "2026-12-01T12:37:36.807Z" → "2026-12-01 12:37:36Z"; null → "-". */
export function shortTime(iso: string | null | undefined): string {
  return iso ? `${iso.slice(0, 10)} ${iso.slice(11, 19)}Z` : '-';
}
