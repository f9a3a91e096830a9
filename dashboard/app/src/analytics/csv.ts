// CSV of the current view: one block per table (key figures, chart, each panel's open tab), each with
// its own header row and the table's name in the first column, blocks separated by a blank line.
import type { ExportTable } from './export-table.js';

function cell(v: string | number | null): string {
  if (v === null) return '';
  const s = String(v);
  // Quote when needed; a leading = + - @ would be run as a formula by spreadsheets (CSV injection).
  const safe = /^[=+\-@\t\r]/.test(s) && typeof v === 'string' ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** Panels in the order the page shows them. */
export const EXPORT_ORDER = ['view', 'figures', 'chart', 'sources', 'pages', 'locations', 'devices', 'goals', 'engagement', 'ctas'];

export function toCsv(tables: ReadonlyMap<string, ExportTable>): string {
  const blocks: string[] = [];
  const rank = (id: string): number => (EXPORT_ORDER.indexOf(id) + 1 || 99);
  for (const [, t] of [...tables].sort((a, b) => rank(a[0]) - rank(b[0]))) {
    const lines = [['table', ...t.columns].map(cell).join(',')];
    for (const row of t.rows) lines.push([t.title, ...row].map(cell).join(','));
    blocks.push(lines.join('\r\n'));
  }
  return `${blocks.join('\r\n\r\n')}\r\n`;
}

export function downloadCsv(filename: string, text: string): void {
  const url = URL.createObjectURL(new Blob(['\ufeff', text], { type: 'text/csv;charset=utf-8' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
