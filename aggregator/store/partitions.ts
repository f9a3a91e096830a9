// The store's day partitions: one DuckDB file per site-local day under <dataDir>/store/events/,
// attached to the process's in-memory instance as `ev_YYYYMMDD`. Creates, attaches, detaches,
// deletes and lists them, keeps each one's applied LSN, and keeps the `events` view over all of them.
import fs from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { COLUMNS } from '../../core/event-contract.js';
import { dayAlias, isDay } from './days.js';
import { CODED_NAMES, decodedColumns, decodedFrom, dimsDDL, eventRowsDDL, eventsViewDDL, rowsTable, storedType, type DayLayout } from './day-layout.js';
import { DimCodes } from './dim-codes.js';

export interface PartitionInfo {
  day: string;
  file: string;
  /** The database file plus its WAL, if one is open. */
  bytes: number;
}

interface Attached {
  readonly day: string;
  readonly alias: string;
  readonly file: string;
  /** Highest log LSN whose rows for this day are committed in this file. */
  applied: number;
  /** The row table's columns in table order, as indexes into COLUMNS (-1: not in the contract). */
  order: number[];
  /** The same columns by name. */
  names: string[];
  layout: DayLayout;
  /** A coded file's dictionary, loaded on first append. */
  dims: Promise<DimCodes> | undefined;
  /** Unique to this attach: rows are only ever appended to an attached file (a rewrite re-attaches). */
  readonly epoch: number;
}

/** Attaches so far, process-wide: the source of Attached.epoch. */
let attaches = 0;

const COLUMN_INDEX = new Map(COLUMNS.map((c, i) => [c.name, i]));
const FILE_RE = /^(\d{4}-\d{2}-\d{2})\.duckdb$/;
/** Leftovers of an interrupted erasure rewrite (never renamed over the original, so never live). */
export const REWRITE_SUFFIX = '.rewrite';

export const sqlString = (s: string): string => `'${s.replaceAll("'", "''")}'`;

export function fileBytes(file: string): number {
  let total = 0;
  for (const f of [file, `${file}.wal`]) {
    try {
      total += fs.statSync(f).size;
    } catch {
      // No WAL is the normal state after a checkpoint.
    }
  }
  return total;
}

/** fsync a directory so a rename or unlink in it survives a power loss. */
export function syncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Runs `fn` while no reader query is in flight (see Store: ReadPool.exclusive). */
export type Exclusive = <T>(fn: () => Promise<T>) => Promise<T>;

export class Partitions {
  private readonly byDay = new Map<string, Attached>();

  constructor(
    private readonly conn: DuckDBConnection,
    readonly dir: string,
    /**
     * Fences file swaps off from readers. A DETACHed database stays open while a query still uses
     * it, and when that query ends DuckDB closes it and deletes "<file>.wal" by name, which by then
     * may be the WAL of the file renamed into its place. So no reader may run across a detach.
     */
    readonly exclusive: Exclusive = (fn) => fn(),
  ) {}

  fileOf(day: string): string {
    return path.join(this.dir, `${day}.duckdb`);
  }

  /** Attaches every day file found on disk; removes leftovers of interrupted rewrites first. */
  async openAll(): Promise<void> {
    fs.mkdirSync(this.dir, { recursive: true });
    for (const name of fs.readdirSync(this.dir)) {
      if (name.includes(REWRITE_SUFFIX)) fs.rmSync(path.join(this.dir, name), { force: true });
    }
    const days = fs.readdirSync(this.dir).map((n) => FILE_RE.exec(n)?.[1]).filter((d): d is string => d !== undefined && isDay(d));
    for (const day of days.sort()) await this.attach(day);
    await this.refreshView();
  }

  has(day: string): boolean {
    return this.byDay.has(day);
  }

  aliasOf(day: string): string | undefined {
    return this.byDay.get(day)?.alias;
  }

  applied(day: string): number {
    return this.byDay.get(day)?.applied ?? 0;
  }

  layoutOf(day: string): DayLayout | undefined {
    return this.byDay.get(day)?.layout;
  }

  /** The day's table of rows, qualified (`events` is a view over it in a coded file). */
  rowsTableOf(day: string): string | undefined {
    const p = this.byDay.get(day);
    return p && `${p.alias}.main.${rowsTable(p.layout)}`;
  }

  /**
   * A SELECT of the day's events (the `events` view's columns) with `_pos`: each row's rowid in the
   * row table. Rows are only ever appended to a day file (erasure and retention write a new one), so
   * rows added later have higher positions than every row before them; a reader that relies on it
   * must still check, since a rewrite renumbers the rows (see Rollups). `where` keeps only some rows
   * before any is decoded: it may name `rowid` and the columns that are never coded (site_id, day,
   * visitor_id, ...), unqualified.
   */
  positionedEvents(day: string, where = 'true'): string | undefined {
    const p = this.byDay.get(day);
    if (!p) return undefined;
    if (p.layout === 'plain') return `SELECT rowid AS _pos, * FROM ${p.alias}.main.events WHERE ${where}`;
    return `SELECT r.rowid AS _pos, ${decodedColumns(p.names)} FROM ${decodedFrom(`${p.alias}.main.event_rows`, `${p.alias}.main.dims`)} WHERE ${where}`;
  }

  /**
   * positionedEvents (as a function of its `where`) for readers that group by the dictionary codes of
   * a coded file (the rollups): coded columns keep their UINTEGER codes, but for the columns in
   * `decode`, which are given as strings, and in each column of `asNull` the codes of the listed
   * strings read as NULL. Undefined when the day has no partition or a plain one (it has no codes).
   * Decode the codes with `dimsTableOf`. The codes are looked up once, here: use the function only
   * while no rewrite can replace the file (inside the writer).
   */
  async codedEvents(
    day: string,
    decode: readonly string[],
    asNull: Readonly<Record<string, readonly string[]>>,
  ): Promise<((where: string) => string) | undefined> {
    const p = this.byDay.get(day);
    if (!p || p.layout !== 'coded') return undefined;
    // Looked up in the file rather than through dimsOf: that would load, and keep for as long as the
    // day stays attached, the whole dictionary of a day that is only being read.
    const wanted = [...new Set(Object.values(asNull).flat())];
    const codeOf = new Map<string, number>();
    if (wanted.length > 0) {
      const found = await this.conn.runAndReadAll(`SELECT value, code FROM ${p.alias}.main.dims WHERE value IN (${wanted.map(sqlString).join(', ')})`);
      for (const [value, code] of found.getRowsJS()) codeOf.set(String(value), Number(code));
    }
    const cols = p.names.map((n) => {
      if (!CODED_NAMES.has(n) || decode.includes(n)) return decodedColumns([n]);
      const nulls = (asNull[n] ?? []).map((v) => codeOf.get(v)).filter((c) => c !== undefined);
      return nulls.length > 0 ? `CASE WHEN r."${n}" IN (${nulls.join(', ')}) THEN NULL ELSE r."${n}" END AS "${n}"` : `r."${n}"`;
    });
    const from = decode.length > 0 ? decodedFrom(`${p.alias}.main.event_rows`, `${p.alias}.main.dims`) : `${p.alias}.main.event_rows r`;
    return (where) => `SELECT r.rowid AS _pos, ${cols.join(', ')} FROM ${from} WHERE ${where}`;
  }

  /** A coded day's `dims` table (code → string), qualified; undefined for a plain or missing day. */
  dimsTableOf(day: string): string | undefined {
    const p = this.byDay.get(day);
    return p?.layout === 'coded' ? `${p.alias}.main.dims` : undefined;
  }

  /** A coded day's dictionary (loaded once per attach: a rewrite re-attaches and so reloads it). */
  dimsOf(day: string): Promise<DimCodes> {
    const p = this.byDay.get(day);
    if (!p || p.layout !== 'coded') return Promise.reject(new Error(`${day} is not an attached coded partition`));
    p.dims ??= DimCodes.load(this.conn, p.alias).catch((err: unknown) => {
      p.dims = undefined;
      throw err;
    });
    return p.dims;
  }

  /**
   * The day's row table columns in table order as COLUMNS indexes: the contract's order, except in a
   * file that got a newer column by ALTER TABLE (added last), where the appender must follow the file.
   */
  columnOrder(day: string): readonly number[] | undefined {
    return this.byDay.get(day)?.order;
  }

  /**
   * The day's attach (undefined when it is not attached). While it stays the same the file's rows
   * have only been appended to: each rewrite (erasure, retention) attaches a new file.
   */
  epochOf(day: string): number | undefined {
    return this.byDay.get(day)?.epoch;
  }

  setApplied(day: string, lsn: number): void {
    const p = this.byDay.get(day);
    if (p) p.applied = lsn;
  }

  /** Attached days, ascending. */
  days(): string[] {
    return [...this.byDay.keys()].sort();
  }

  list(): PartitionInfo[] {
    return this.days().map((day) => {
      const file = this.byDay.get(day)!.file;
      return { day, file, bytes: fileBytes(file) };
    });
  }

  /** The day's partition, created (file, tables, applied = 0) if it does not exist yet. */
  async ensure(day: string): Promise<string> {
    const have = this.byDay.get(day);
    if (have) return have.alias;
    const alias = await this.attach(day);
    await this.refreshView();
    return alias;
  }

  /**
   * Attaches one day file (creating it, coded, when missing) and makes sure its tables exist and carry
   * every contract column: a file written before a column was added gets it as NULLs, so appends and
   * the UNION ALL BY NAME view keep working across contract changes.
   */
  async attach(day: string): Promise<string> {
    const alias = dayAlias(day);
    const file = this.fileOf(day);
    await this.conn.run(`ATTACH ${sqlString(file)} AS ${alias}`);
    try {
      await this.conn.run('BEGIN');
      const tables = new Set(
        (await this.conn.runAndReadAll(`SELECT table_name FROM duckdb_tables() WHERE database_name = ${sqlString(alias)} AND schema_name = 'main'`))
          .getRowsJS()
          .map((r) => String(r[0])),
      );
      // A file with an `events` table and no `event_rows` predates coded columns and keeps its layout.
      const layout: DayLayout = tables.has('events') && !tables.has('event_rows') ? 'plain' : 'coded';
      const table = rowsTable(layout);
      if (layout === 'coded') {
        await this.conn.run(eventRowsDDL(`${alias}.main.event_rows`));
        await this.conn.run(dimsDDL(`${alias}.main.dims`));
      }
      await this.conn.run(`CREATE TABLE IF NOT EXISTS ${alias}.main.applied (lsn UBIGINT NOT NULL)`);
      const present = (
        await this.conn.runAndReadAll(
          `SELECT column_name FROM duckdb_columns() WHERE database_name = ${sqlString(alias)} AND table_name = '${table}' ORDER BY column_index`,
        )
      )
        .getRowsJS()
        .map((r) => String(r[0]));
      const missing = COLUMNS.filter((col) => !present.includes(col.name));
      for (const col of missing) await this.conn.run(`ALTER TABLE ${alias}.main.${table} ADD COLUMN "${col.name}" ${storedType(col, layout)}`);
      // ADD COLUMN appends: the table's columns in order are those it had, then the added ones.
      const names = [...present, ...missing.map((col) => col.name)];
      if (layout === 'coded') {
        // (Re)made only when missing or the columns changed: an attach of an up-to-date file writes nothing.
        const view = await this.conn.runAndReadAll(`SELECT 1 FROM duckdb_views() WHERE database_name = ${sqlString(alias)} AND view_name = 'events'`);
        if (view.currentRowCount === 0 || missing.length > 0) await this.conn.run(eventsViewDDL(alias, names));
      }
      const rows = (await this.conn.runAndReadAll(`SELECT lsn FROM ${alias}.main.applied`)).getRowsJS();
      if (rows.length === 0) await this.conn.run(`INSERT INTO ${alias}.main.applied VALUES (0)`);
      // -1: a column the contract no longer has; the file stays readable, appends to it are refused.
      const order = names.map((n) => COLUMN_INDEX.get(n) ?? -1);
      await this.conn.run('COMMIT');
      this.byDay.set(day, { day, alias, file, applied: rows.length === 0 ? 0 : Number(rows[0]![0]), order, names, layout, dims: undefined, epoch: ++attaches });
    } catch (err) {
      await this.conn.run('ROLLBACK').catch(() => undefined);
      await this.conn.run(`DETACH ${alias}`).catch(() => undefined);
      throw err;
    }
    return alias;
  }

  /**
   * Detaches a day (DuckDB checkpoints it on the way, so its WAL is folded in and removed). Call
   * inside `exclusive`.
   */
  async detach(day: string): Promise<void> {
    const p = this.byDay.get(day);
    if (!p) return;
    this.byDay.delete(day);
    await this.refreshView();
    await this.conn.run(`DETACH ${p.alias}`);
  }

  /** Detaches and deletes a day file: the whole-partition delete behind retention. */
  async drop(day: string): Promise<void> {
    const file = this.fileOf(day);
    await this.exclusive(async () => {
      await this.detach(day);
      fs.rmSync(file, { force: true });
      fs.rmSync(`${file}.wal`, { force: true });
    });
    syncDir(this.dir);
  }

  /**
   * `memory.main.events`: every partition in one view, for ad-hoc and admin queries. Stats code
   * should prefer Store.eventsFrom(), which names only the days it needs.
   */
  async refreshView(): Promise<void> {
    await this.conn.run(`CREATE OR REPLACE VIEW memory.main.events AS ${this.unionOf(this.days())}`);
  }

  /** A SELECT over the `events` tables of the given attached days (an empty relation when none). */
  unionOf(days: readonly string[]): string {
    const aliases = days.map((d) => this.byDay.get(d)?.alias).filter((a): a is string => a !== undefined);
    if (aliases.length === 0) return 'SELECT * FROM memory.main.no_events';
    return aliases.map((a) => `SELECT * FROM ${a}.main.events`).join(' UNION ALL BY NAME ');
  }
}
