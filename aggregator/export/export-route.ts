// GET /api/v1/export: a site's raw events or rollups for a period, as CSV or Parquet, streamed.
// Same auth, `site_id`, `period` and `date` as the stats API. Two ways to follow a large export:
// - plain (default): the file itself, with `x-beaconry-export-rows` / `-days` up front;
// - `progress=ndjson`: one JSON object per line — `start` (rows, days), `progress` (daysDone, bytes),
//   `data` (a base64 chunk of the file), `end` — for clients that show a progress bar.
import type { ApiResponse, Route } from '../../core/http.js';
import { parseRange, rangeDays } from '../stats-api/periods.js';
import { StatsError } from '../stats-api/stats-error.js';
import { statsHandler, type StatsRouteDeps } from '../stats-api/stats-routes.js';
import { EXPORT_TABLES, type ExportFormat, type ExportPart, type ExportRequest, type ExportTable, type SiteExport } from './site-export.js';

const CONTENT_TYPES: Record<ExportFormat, string> = { csv: 'text/csv; charset=utf-8', parquet: 'application/vnd.apache.parquet' };

async function* dataOnly(parts: AsyncIterable<ExportPart>): AsyncGenerator<Uint8Array> {
  for await (const p of parts) if (p.kind === 'data') yield p.bytes;
}

const line = (v: unknown): Uint8Array => Buffer.from(`${JSON.stringify(v)}\n`);

async function* ndjson(parts: AsyncIterable<ExportPart>, head: Record<string, unknown>): AsyncGenerator<Uint8Array> {
  yield line({ type: 'start', ...head });
  let bytes = 0;
  for await (const p of parts) {
    if (p.kind === 'data') {
      bytes += p.bytes.byteLength;
      yield line({ type: 'data', base64: Buffer.from(p.bytes.buffer, p.bytes.byteOffset, p.bytes.byteLength).toString('base64') });
    } else yield line({ type: 'progress', phase: p.phase, daysDone: p.daysDone, days: p.days, bytes: p.bytes });
  }
  yield line({ type: 'end', bytes });
}

export function exportRoutes(exporter: SiteExport, deps: StatsRouteDeps, now: () => number = Date.now): Route[] {
  return [
    {
      method: 'GET',
      pattern: '/api/v1/export',
      name: 'export',
      handler: statsHandler('export', deps, async (site, req): Promise<ApiResponse> => {
        const q = req.query;
        const format = (q.get('format') ?? 'csv') as ExportFormat;
        if (format !== 'csv' && format !== 'parquet') throw new StatsError('`format` is csv or parquet.');
        const table = (q.get('table') ?? 'events') as ExportTable;
        if (!EXPORT_TABLES.includes(table)) throw new StatsError(`\`table\` is one of ${EXPORT_TABLES.join(', ')}.`);
        const progress = q.get('progress');
        if (progress !== null && progress !== 'ndjson') throw new StatsError('`progress` is ndjson (or absent for the plain file).');
        const { range } = parseRange(q.get('period'), q.get('date'), site.timezone, now());
        const er: ExportRequest = { siteId: site.id, range, table, format };
        const rows = await exporter.rowCount(er);
        const days = rangeDays(range);
        const filename = `${site.domain.replace(/[^A-Za-z0-9.-]/g, '_')}-${table}-${range.from}_${range.to}.${format}`;
        if (progress === 'ndjson') {
          return {
            status: 200,
            headers: { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' },
            stream: ndjson(exporter.parts(er), { format, table, from: range.from, to: range.to, rows, days, filename }),
          };
        }
        return {
          status: 200,
          headers: {
            'content-type': CONTENT_TYPES[format],
            'content-disposition': `attachment; filename="${filename}"`,
            'x-beaconry-export-rows': String(rows),
            'x-beaconry-export-days': String(days),
            'cache-control': 'no-store',
          },
          stream: dataOnly(exporter.parts(er)),
        };
      }),
    },
  ];
}
