// Log export. CSV goes out a bounded page at a time (the cursor names the next page), so an
// export of 90 days of a large fleet never sits in one function's memory.
import type { LogItem } from '../domain/types';
import { pages } from '../paging';
import type { LogQuery } from '../ports';
import type { App } from './container';

export const CSV_PAGE_ROWS = 5000;
const COLUMNS = ['at', 'type', 'severity', 'event', 'deviceId', 'message', 'data', 'id'] as const;

/** RFC 4180 quoting; a leading = + - @ is prefixed so spreadsheets never run a cell as a formula. */
export function csvCell(value: unknown): string {
  let text = value === undefined || value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvRow(item: LogItem): string {
  return COLUMNS.map((c) => csvCell(item[c])).join(',');
}

/** One page of the CSV export (header row included) and the cursor of the next page, if any. */
export async function exportLogsCsv(
  app: App,
  tenantId: string,
  filter: LogQuery,
  cursor?: string,
  limit?: number,
): Promise<{ csv: string; cursor?: string }> {
  const rows = [COLUMNS.join(',')];
  let next: string | undefined;
  const wanted = Math.min(limit ?? CSV_PAGE_ROWS, CSV_PAGE_ROWS);
  for await (const page of pages(
    (at) => app.stores.logs.query(tenantId, filter, at, Math.min(1000, wanted - (rows.length - 1))),
    cursor,
  )) {
    rows.push(...page.items.map(csvRow));
    next = page.cursor;
    if (rows.length - 1 >= wanted) break;
  }
  return { csv: `${rows.join('\r\n')}\r\n`, cursor: next };
}
