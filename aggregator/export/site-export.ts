// Data portability: a site's raw events or rollups for a range of days as CSV or Parquet, written by
// DuckDB's own COPY (Parquet is built in) into a spool file under the store's temp dir and streamed
// to the client in chunks; the spool file is deleted as soon as it is sent (or the client leaves).
//
// CSV events are copied one day at a time (one partition per COPY), so the first bytes leave at
// once, memory and spool stay bounded by a day, and progress is reported per day. Parquet needs one
// COPY for one file; while it runs, progress reports the bytes written so far.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { COLUMNS } from '../../core/event-contract.js';
import type { Store } from '../store/store.js';
import { ROLLUPS } from '../rollups/schema.js';
import { daysOf, type DayRange } from '../stats-api/periods.js';

export const EXPORT_TABLES = ['events', 'daily', 'hourly', 'dims', 'ctas'] as const;
export type ExportTable = (typeof EXPORT_TABLES)[number];
export type ExportFormat = 'csv' | 'parquet';

export interface ExportRequest {
  siteId: string;
  range: DayRange;
  table: ExportTable;
  format: ExportFormat;
}

/** One step of an export: bytes to send, or a progress note between them. */
export type ExportPart =
  | { kind: 'data'; bytes: Uint8Array }
  | { kind: 'progress'; daysDone: number; days: number; bytes: number; phase: 'copy' | 'send' };

const CHUNK = 256 * 1024;
const PROGRESS_MS = 500;

const ORDER: Record<ExportTable, string> = {
  events: 'ts, event_id',
  daily: 'day',
  hourly: 'day, hour',
  dims: 'day, property, value, parent',
  ctas: 'day, cta',
};

const eventColumns = COLUMNS.map((c) => `"${c.name}"`).join(', ');

function copyOptions(format: ExportFormat, header: boolean): string {
  return format === 'csv' ? `FORMAT csv, HEADER ${header}` : 'FORMAT parquet, COMPRESSION zstd';
}

export class SiteExport {
  constructor(private readonly store: Store) {}

  /** Rows the export will hold (sent up front, so a client can show progress). */
  async rowCount(req: ExportRequest): Promise<number> {
    const params = [req.siteId, req.range.from, req.range.to];
    const from = req.table === 'events' ? `${this.store.eventsFrom(req.range.from, req.range.to)} e` : `${ROLLUPS}.main.${req.table}`;
    const rows = await this.store.query(`SELECT count(*) AS n FROM ${from} WHERE site_id = $1 AND day BETWEEN $2::DATE AND $3::DATE`, params);
    return Number(rows[0]?.n ?? 0);
  }

  /** The SELECT one COPY runs ($1 site, $2/$3 first and last day). */
  private select(req: ExportRequest, range: DayRange): string {
    if (req.table === 'events') {
      return `SELECT ${eventColumns} FROM ${this.store.eventsFrom(range.from, range.to)} e
        WHERE site_id = $1 AND day BETWEEN $2::DATE AND $3::DATE ORDER BY ${ORDER.events}`;
    }
    return `SELECT * FROM ${ROLLUPS}.main.${req.table} WHERE site_id = $1 AND day BETWEEN $2::DATE AND $3::DATE ORDER BY ${ORDER[req.table]}`;
  }

  /** The export as data and progress parts. Stop iterating at any time: the spool file is removed. */
  async *parts(req: ExportRequest): AsyncGenerator<ExportPart> {
    const spoolDir = path.join(this.store.directory, 'tmp');
    fs.mkdirSync(spoolDir, { recursive: true });
    // CSV events: one COPY per day. Everything else: one COPY of the whole range.
    const steps: DayRange[] = req.format === 'csv' && req.table === 'events' ? daysOf(req.range).map((d) => ({ from: d, to: d })) : [req.range];
    const days = daysOf(req.range).length;
    let daysDone = 0;
    let sent = 0;
    for (const [i, step] of steps.entries()) {
      const file = path.join(spoolDir, `export-${randomUUID()}.${req.format}`);
      let done = false;
      let failure: unknown;
      const finished = this.store.copyTo(this.select(req, step), file, copyOptions(req.format, i === 0), [req.siteId, step.from, step.to]).then(
        () => {
          done = true;
        },
        (err: unknown) => {
          done = true;
          failure = err;
        },
      );
      try {
        // While a long COPY runs, say how far it got.
        while (!done) {
          await Promise.race([finished, new Promise((r) => setTimeout(r, PROGRESS_MS))]);
          if (!done) yield { kind: 'progress', daysDone, days, bytes: sent + fileSize(file), phase: 'copy' };
        }
        if (failure !== undefined) throw failure;
        for await (const chunk of fs.createReadStream(file, { highWaterMark: CHUNK })) {
          const bytes = chunk as Buffer;
          sent += bytes.byteLength;
          yield { kind: 'data', bytes };
        }
      } finally {
        // A client that left mid-COPY: let DuckDB finish with the file before it goes.
        await finished;
        fs.rmSync(file, { force: true });
      }
      daysDone += daysOf(step).length;
      yield { kind: 'progress', daysDone, days, bytes: sent, phase: 'send' };
    }
  }
}

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}
