// The store: applies the durable log's Arrow records to DuckDB exactly once, serves read-only SQL
// over them, and owns the files (day partitions, meta) behind retention and erasure.
//
// Physical layout, and why:
// - One in-memory DuckDB instance per process with the files ATTACHed: <dataDir>/store/meta.duckdb
//   (sites, hashed secret keys, the applied log position, erased site ids; later accounts and CTAs)
//   and one file per day, <dataDir>/store/events/<YYYY-MM-DD>.duckdb, attached as ev_YYYYMMDD.
// - The day is the SITE-LOCAL date in column `day`, so one site-day lives in exactly one file: a
//   site's retention and erasure never split a file's rows by time, only by site.
// - Retention deletes whole files, and erasure rewrites a file without the site (ATTACH a new file,
//   INSERT … SELECT … WHERE site_id NOT IN (…), DETACH both, rename over, re-ATTACH). DuckDB's DELETE
//   only marks rows and keeps their bytes in the file; a rewrite gives the space back and leaves
//   nothing of the site on disk (tested by searching every file's bytes for a marker).
// - Each day file has the rows in `event_rows`, its low-cardinality text columns as integer codes,
//   with `dims` (code → string) and an `events` view giving the contract's columns (day-layout.ts:
//   DuckDB appends them for a quarter to 40 % less); files from before hold an `events` table of strings.
//   Each also has `applied(lsn)`. DuckDB refuses to write
//   two attached databases in one transaction, so the applied LSN lives in each day file, committed
//   with that day's rows; the global applied LSN in meta is written after all days and is only where
//   replay starts. A crash between the two leaves each day file knowing what it already holds.
// - Dedup (dedup.ts): a re-sent event id is looked for in its day's and the previous day's partition
//   (≥ 24 h window). An in-memory Bloom filter per recent day clears almost every row; only flagged
//   ids get an exact semi-join in DuckDB. Rows are then inserted straight into the day table, DuckDB
//   pulling them a chunk at a time (row-source.ts) so that its threads, not the edge's, do the work.
// - All writes go through one queue (DuckDB has one writer per database, and the multi-step
//   operations must not interleave); reads run on their own connections.
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance, StatementType, type DuckDBConnection } from '@duckdb/node-api';
import { eventsTableDDL } from '../../core/event-contract.js';
import { metrics } from '../../core/metrics.js';
import {
  ChunkAppender, SITE_COLUMN, dayRuns, decodePayload, distinctStrings, stringAt,
  type BatchColumns, type Run,
} from './append-chunk.js';
import { RowSource } from './row-source.js';
import type { StoreContext } from './context.js';
import { dayNumber, dayString } from './days.js';
import { rowsTable } from './day-layout.js';
import type { DimCodes } from './dim-codes.js';
import { Deduper } from './dedup.js';
import { daysHolding, rewriteDay, rewriteMeta } from './erase.js';
import { Keys } from './keys.js';
import { META, META_MIGRATIONS, SCHEMA_VERSION_DDL } from './meta-schema.js';
import { Partitions, REWRITE_SUFFIX, fileBytes, sqlString, type PartitionInfo } from './partitions.js';
import { dropBefore, purgeExpired, type PurgeResult } from './retention.js';
import { Sites } from './sites.js';
import { exec, plainRows, toDuckParams, type Params } from './values.js';
import { WriteQueue } from './write-queue.js';
import { Yielder } from '../../core/yielder.js';

export type { Site, SiteInput, SitePatch } from './sites.js';
export type { SecretKey } from './keys.js';
export type { PartitionInfo } from './partitions.js';
export type { PurgeResult } from './retention.js';

export interface LogRecord {
  lsn: number;
  payload: Uint8Array;
}

export interface ApplyResult {
  /** Rows appended. */
  rows: number;
  /** Rows not appended because their event id was already stored (or repeated in this call). */
  duplicates: number;
  /** Days ('YYYY-MM-DD') that received rows or had their applied LSN moved. */
  days: string[];
}

const READERS = 2;

/** The store is open elsewhere: another process (DuckDB allows one writer per file) or another Store here. */
export class StoreLockedError extends Error {
  override name = 'StoreLockedError';
  constructor(
    readonly storeDir: string,
    cause: unknown,
  ) {
    super(`the store at ${storeDir} is already open (${(cause as Error).message})`, { cause });
  }
}

/**
 * Reader connections, each running one query at a time; a query goes to the least busy one.
 * `exclusive` holds new reads back and waits out running ones, for file swaps (see Partitions).
 */
class ReadPool {
  private readonly busy: number[];
  private readonly tails: Promise<unknown>[];
  private gate: Promise<void> | undefined;
  /** The export lane's queue: long COPYs run there, so stats queries keep their connections. */
  private exportTail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly conns: DuckDBConnection[],
    private readonly exportConn: DuckDBConnection,
  ) {
    this.busy = conns.map(() => 0);
    this.tails = conns.map(() => Promise.resolve());
  }

  /** Runs `fn` on the export connection, one export at a time, fenced like every other read. */
  runExport<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    if (this.gate) return this.gate.then(() => this.runExport(fn));
    const next = this.exportTail.then(
      () => fn(this.exportConn),
      () => fn(this.exportConn),
    );
    this.exportTail = next.catch(() => undefined);
    return next;
  }

  run<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    if (this.gate) return this.gate.then(() => this.run(fn));
    let i = 0;
    for (let k = 1; k < this.conns.length; k++) if (this.busy[k]! < this.busy[i]!) i = k;
    this.busy[i]!++;
    const conn = this.conns[i]!;
    const next = this.tails[i]!.then(
      () => fn(conn),
      () => fn(conn),
    );
    this.tails[i] = next.then(
      () => this.busy[i]!--,
      () => this.busy[i]!--,
    );
    return next;
  }

  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    while (this.gate) await this.gate;
    let open!: () => void;
    this.gate = new Promise<void>((resolve) => (open = resolve));
    try {
      await Promise.allSettled([...this.tails, this.exportTail]);
      return await fn();
    } finally {
      this.gate = undefined;
      open();
    }
  }

  close(): void {
    for (const c of this.conns) c.closeSync();
    this.exportConn.closeSync();
  }
}

/** The runs with their batches' coded columns as codes of the day's dictionary (each batch coded once, between event-loop turns). */
async function codeRuns(runs: readonly Run[], dims: DimCodes, yielder: Yielder): Promise<Run[]> {
  const coded = new Map<BatchColumns, BatchColumns>();
  const out: Run[] = [];
  for (const r of runs) {
    let batch = coded.get(r.batch);
    if (!batch) {
      // Coding a whole apply (131k rows) in one go held the edge's thread for 25-38 ms.
      if (yielder.due) await yielder.yield();
      coded.set(r.batch, (batch = dims.code(r.batch)));
    }
    out.push({ ...r, batch });
  }
  return out;
}

export class Store {
  readonly sites: Sites;
  readonly keys: Keys;
  private readonly queue = new WriteQueue();
  /** By table column order (see Partitions.columnOrder); normally just the contract's order. */
  private readonly appenders = new Map<string, ChunkAppender>();
  private readonly deduper: Deduper;
  private readonly rowSource: RowSource;
  /** Attached databases written since the last checkpoint. */
  private readonly touched = new Set<string>();
  private closed = false;

  private constructor(
    readonly dataDir: string,
    private readonly storeDir: string,
    private readonly instance: DuckDBInstance,
    private readonly writer: DuckDBConnection,
    private readonly readers: ReadPool,
    private readonly parts: Partitions,
    private applied: number,
    private readonly erased: Set<string>,
  ) {
    const ctx: StoreContext = {
      write: (fn) => this.write(() => fn(this.writer)),
      read: (sql, params) => this.readers.run((conn) => exec(conn, sql, params)),
    };
    this.deduper = new Deduper(writer, parts);
    this.rowSource = new RowSource(writer);
    this.sites = new Sites(ctx, (id) => this.eraseSiteNow(id));
    this.keys = new Keys(ctx);
  }

  /** Store dirs open in this process: DuckDB's file lock only keeps other processes out. */
  private static readonly openDirs = new Set<string>();

  /** `threads`: DuckDB's threads (BEACONRY_DUCKDB_THREADS); 0 or absent: DuckDB's default, one per core. */
  static async open(dataDir: string, opts: { threads?: number } = {}): Promise<Store> {
    const storeDir = path.join(path.resolve(dataDir), 'store');
    if (Store.openDirs.has(storeDir)) throw new StoreLockedError(storeDir, new Error('already open in this process'));
    Store.openDirs.add(storeDir);
    try {
      return await Store.openUnguarded(dataDir, storeDir, opts.threads ?? 0);
    } catch (err) {
      Store.openDirs.delete(storeDir);
      throw err;
    }
  }

  private static async openUnguarded(dataDir: string, storeDir: string, threads: number): Promise<Store> {
    const tmpDir = path.join(storeDir, 'tmp');
    fs.mkdirSync(tmpDir, { recursive: true });
    // DuckDB spills to temp_directory: keep it under the data dir, where the on-disk privacy tests
    // look, rather than DuckDB's default next to the process's working directory.
    const instance = await DuckDBInstance.create(':memory:', { temp_directory: tmpDir, ...(threads > 0 ? { threads: String(threads) } : {}) });
    const writer = await instance.connect();
    const readers: DuckDBConnection[] = [];
    try {
      await writer.run(eventsTableDDL('memory.main.no_events'));
      await writer.run('CREATE TEMP TABLE stage_ids (event_id UBIGINT NOT NULL)');
      try {
        await writer.run(`ATTACH ${sqlString(path.join(storeDir, 'meta.duckdb'))} AS ${META}`);
      } catch (err) {
        if (/lock/i.test((err as Error).message)) throw new StoreLockedError(storeDir, err);
        throw err;
      }
      // meta's file lock is ours now, so no other process uses this store: leftovers of an
      // interrupted rewrite and spill files of a dead process can go.
      for (const name of fs.readdirSync(storeDir)) {
        if (name.includes(REWRITE_SUFFIX)) fs.rmSync(path.join(storeDir, name), { force: true });
      }
      for (const name of fs.readdirSync(tmpDir)) fs.rmSync(path.join(tmpDir, name), { recursive: true, force: true });
      await migrateMeta(writer);
      for (let i = 0; i <= READERS; i++) readers.push(await instance.connect());
      const pool = new ReadPool(readers.slice(0, READERS), readers[READERS]!);
      const parts = new Partitions(writer, path.join(storeDir, 'events'), (fn) => pool.exclusive(fn));
      await parts.openAll();
      const applied = Number((await exec(writer, `SELECT applied_lsn FROM ${META}.main.log_state`))[0]?.applied_lsn ?? 0);
      const erased = new Set((await exec(writer, `SELECT site_id FROM ${META}.main.erased_sites`)).map((r) => String(r.site_id)));
      const store = new Store(dataDir, storeDir, instance, writer, pool, parts, applied, erased);
      store.updateGauges();
      return store;
    } catch (err) {
      for (const r of readers) r.closeSync();
      writer.closeSync();
      instance.closeSync();
      throw err;
    }
  }

  /** DuckDB's threads now (its default at open: one per core, unless `threads` was given). */
  async threads(): Promise<number> {
    return Number((await this.query("SELECT current_setting('threads') AS n"))[0]!.n);
  }

  /**
   * Sets DuckDB's threads for the whole instance, at once: on a reader connection, not behind the
   * writer's queue, since the moment to give DuckDB every core is when a long apply is holding it.
   * Running statements keep going on the threads that remain.
   */
  setThreads(n: number): Promise<void> {
    if (!Number.isInteger(n) || n < 1) return Promise.reject(new RangeError(`threads must be a positive integer, got ${n}`));
    return this.readers.run(async (conn) => {
      await conn.run(`SET threads = ${n}`);
    });
  }

  /** Highest LSN such that every record ≤ it is applied. Replay starts after it. */
  get appliedLsn(): number {
    return this.applied;
  }

  /** Writes queued or running (the store's queue depth for backpressure and /metrics). */
  get pendingWrites(): number {
    return this.queue.depth;
  }

  /**
   * Applies log records exactly once. Records must come in LSN order; those ≤ appliedLsn are skipped.
   * Per day: one transaction appends the rows of records newer than that day's applied LSN, minus
   * event ids already stored in that day or the one before (or repeated in this call), and moves the
   * day's applied LSN. Then the global applied LSN is written to meta.
   */
  apply(records: readonly LogRecord[]): Promise<ApplyResult> {
    return this.write(() => this.applyNow(records, undefined));
  }

  /**
   * @internal Tests only: applies just `days` and leaves the global applied LSN alone, as a crash
   * between two day transactions would.
   */
  _applyDaysOnly(records: readonly LogRecord[], days: readonly string[]): Promise<ApplyResult> {
    return this.write(() => this.applyNow(records, new Set(days)));
  }

  /**
   * CHECKPOINTs meta and every day file written since the last checkpoint: their WALs are folded in
   * and deleted. After it resolves the log may release records ≤ appliedLsn.
   */
  checkpoint(): Promise<void> {
    return this.write(async () => {
      // meta always: sites, keys and hosted tables are written through paths that do not track it.
      this.touched.add(META);
      for (const alias of [...this.touched]) {
        // A day dropped or rewritten since it was touched is already checkpointed (DETACH does it).
        const attached = alias === META || this.parts.days().some((d) => this.parts.aliasOf(d) === alias);
        if (attached) await this.writer.run(`CHECKPOINT ${alias}`);
        this.touched.delete(alias);
      }
      this.updateGauges();
    });
  }

  /**
   * Read-only SQL (SELECT / EXPLAIN) on a reader connection. `events` is a view over every day
   * partition; `meta.main.*` holds sites and keys. Values: integers as numbers (strings past 2^53),
   * TIMESTAMP as Date, DATE as 'YYYY-MM-DD'. Params: `$1`-style array or `$name` record.
   */
  async query(sql: string, params?: Params): Promise<Record<string, unknown>[]> {
    return this.readers.run(async (conn) => {
      const stmt = await conn.prepare(sql);
      try {
        if (stmt.statementType !== StatementType.SELECT && stmt.statementType !== StatementType.EXPLAIN) {
          throw new Error('Store.query runs SELECT and EXPLAIN statements only');
        }
        const values = toDuckParams(params);
        if (values !== undefined) stmt.bind(values);
        return plainRows(await stmt.runAndReadAll());
      } finally {
        stmt.destroySync();
      }
    });
  }

  /**
   * A parenthesized subquery over the `events` of the attached days in [fromDay, toDay] (site-local
   * 'YYYY-MM-DD'), to embed as `FROM ${store.eventsFrom(a, b)} AS e WHERE e.site_id = $1`. Days
   * without a partition are simply absent; with none at all it is an empty relation of the same shape.
   */
  eventsFrom(fromDay: string, toDay: string): string {
    const from = dayNumber(fromDay);
    const to = dayNumber(toDay);
    const days = this.parts.days().filter((d) => {
      const n = dayNumber(d);
      return n >= from && n <= to;
    });
    return `(${this.parts.unionOf(days)})`;
  }

  /**
   * The events of `day` with `_pos`, each row's position in its day file (see
   * Partitions.positionedEvents, also for `where`), as a parenthesized subquery; undefined when the
   * day has no partition.
   */
  positionedEventsOf(day: string, where?: string): string | undefined {
    const sql = this.parts.positionedEvents(day, where);
    return sql && `(${sql})`;
  }

  /** See Partitions.codedEvents: each SELECT as a parenthesized subquery; undefined for a missing or plain day. */
  async codedEventsOf(day: string, decode: readonly string[], asNull: Readonly<Record<string, readonly string[]>>): Promise<((where: string) => string) | undefined> {
    const select = await this.parts.codedEvents(day, decode, asNull);
    return select && ((where) => `(${select(where)})`);
  }

  /** A coded day's dictionary table (code, value), qualified; undefined for a missing or plain day. */
  dimsTableOf(day: string): string | undefined {
    return this.parts.dimsTableOf(day);
  }

  /** See Partitions.epochOf: unchanged while the day's rows have only been appended to. */
  partitionEpoch(day: string): number | undefined {
    return this.parts.epochOf(day);
  }

  partitions(): PartitionInfo[] {
    return this.parts.list();
  }

  /** Bytes of every DuckDB file the store owns (day files, meta, their WALs). */
  totalBytes(): number {
    return this.parts.list().reduce((a, p) => a + p.bytes, 0) + fileBytes(path.join(this.storeDir, 'meta.duckdb'));
  }

  /** Deletes the day files before `day` (whole files); returns the days dropped. */
  dropPartitionsBefore(day: string): Promise<string[]> {
    dayNumber(day);
    return this.write(async () => {
      const dropped = await dropBefore(this.parts, day);
      for (const d of dropped) this.deduper.forget(d);
      this.updateGauges();
      return dropped;
    });
  }

  /** Rewrites the partitions holding `siteId` (all, or only `days`) without its rows. */
  rewriteWithout(siteId: string, days?: readonly string[]): Promise<void> {
    return this.write(async () => {
      await this.rewriteSitesNow([siteId], days);
      this.updateGauges();
    });
  }

  /** Applies every site's retention window at `now` by dropping or rewriting whole day files. */
  purgeExpired(now: number = Date.now()): Promise<PurgeResult> {
    return this.write(async () => {
      const sites = await this.sites.list();
      const result = await purgeExpired(this.writer, this.parts, sites, now);
      for (const d of [...result.dropped, ...result.rewritten]) this.deduper.forget(d);
      this.updateGauges();
      return result;
    });
  }

  /**
   * Runs `fn` on the writer connection in turn with every other write: the way for code the store
   * hosts (rollups, accounts) to write its own tables without a second DuckDB writer. `fn` must not
   * call back into the store's writing methods (it would wait for itself).
   */
  withWriter<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    return this.write(() => fn(this.writer));
  }

  /** <dataDir>/store: where hosted databases (rollups) keep their files next to the store's. */
  get directory(): string {
    return this.storeDir;
  }

  /**
   * Runs `fn` while no read query is in flight and none starts: for hosted code that swaps a file it
   * attached (DETACH, rename, ATTACH), for the reason Partitions.exclusive gives. Call it from
   * inside withWriter, so no write interleaves either.
   */
  fenceReads<T>(fn: () => Promise<T>): Promise<T> {
    return this.readers.exclusive(fn);
  }

  /**
   * `COPY (select) TO file (options)` on the export connection (one export at a time, so long
   * exports never hold the connections stats queries use). `select` must be one SELECT statement.
   */
  async copyTo(select: string, file: string, options: string, params?: Params): Promise<void> {
    await this.readers.runExport(async (conn) => {
      const stmt = await conn.prepare(select);
      try {
        if (stmt.statementType !== StatementType.SELECT) throw new Error('Store.copyTo exports SELECT statements only');
      } finally {
        stmt.destroySync();
      }
      await conn.run(`COPY (${select}) TO ${sqlString(file)} (${options})`, toDuckParams(params));
    });
  }

  /** Waits for queued writes, then closes (DuckDB checkpoints every attached file on the way). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue.idle();
    this.readers.close();
    this.writer.closeSync();
    this.instance.closeSync();
    Store.openDirs.delete(this.storeDir);
  }

  // ---- inside the write queue ----

  private write<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('store is closed'));
    return this.queue.run(fn);
  }

  private async applyNow(records: readonly LogRecord[], onlyDays: ReadonlySet<string> | undefined): Promise<ApplyResult> {
    const byDay = new Map<number, Run[]>();
    const yielder = new Yielder();
    let last = this.applied;
    for (const rec of records) {
      if (rec.lsn <= this.applied) continue;
      if (rec.lsn <= last) throw new RangeError(`log records out of order: ${rec.lsn} after ${last}`);
      last = rec.lsn;
      if (yielder.due) await yielder.yield();
      for (const batch of decodePayload(rec.payload)) {
        for (const r of this.keptRuns(batch)) {
          let runs = byDay.get(r.day);
          if (!runs) byDay.set(r.day, (runs = []));
          runs.push({ batch, start: r.start, end: r.end, lsn: rec.lsn });
        }
      }
    }
    const result: ApplyResult = { rows: 0, duplicates: 0, days: [] };
    for (const dayNum of [...byDay.keys()].sort((a, b) => a - b)) {
      const day = dayString(dayNum);
      if (onlyDays && !onlyDays.has(day)) continue;
      const alias = await this.parts.ensure(day);
      const dayApplied = this.parts.applied(day);
      const runs = byDay.get(dayNum)!.filter((r) => r.lsn > dayApplied);
      if (runs.length === 0) continue;
      const maxLsn = runs[runs.length - 1]!.lsn;
      const started = performance.now();
      const layout = this.parts.layoutOf(day)!;
      const dims = layout === 'coded' ? await this.parts.dimsOf(day) : undefined;
      await this.writer.run('BEGIN');
      try {
        const { kept, duplicates } = await this.deduper.dedup(dayNum, runs, yielder);
        let rows = 0;
        if (kept.length > 0) {
          const chunks = this.appenderFor(day);
          const coded = dims ? await codeRuns(kept, dims, yielder) : kept;
          rows = await this.rowSource.insert(this.writer, `${alias}.main.${rowsTable(layout)}`, chunks.columnTypes, chunks.source(coded));
        }
        await dims?.flush(this.writer, alias);
        await this.writer.run(`UPDATE ${alias}.main.applied SET lsn = ${maxLsn}`);
        await this.writer.run('COMMIT');
        dims?.commit();
        this.parts.setApplied(day, maxLsn);
        this.touched.add(alias);
        result.rows += rows;
        result.duplicates += duplicates;
        result.days.push(day);
        metrics.storeRows.inc(rows);
        if (duplicates > 0) metrics.storeDuplicates.inc(duplicates);
        metrics.storeAppend.observe((performance.now() - started) / 1000);
      } catch (err) {
        await this.writer.run('ROLLBACK').catch(() => undefined);
        dims?.rollback();
        throw err;
      }
    }
    if (!onlyDays && last > this.applied) {
      await this.writer.run(`UPDATE ${META}.main.log_state SET applied_lsn = ${last}`);
      this.applied = last;
      this.touched.add(META);
    }
    return result;
  }

  private appenderFor(day: string): ChunkAppender {
    const order = this.parts.columnOrder(day) ?? [];
    // Contract changes only add columns; a file holding one the contract dropped cannot be appended to.
    if (order.includes(-1)) throw new Error(`partition ${day} has a column the event contract no longer has`);
    const layout = this.parts.layoutOf(day)!;
    const key = `${layout}:${order.join(',')}`;
    let a = this.appenders.get(key);
    if (!a) this.appenders.set(key, (a = new ChunkAppender(order, undefined, layout)));
    return a;
  }

  /** The batch's day runs, minus rows of erased sites (whose in-flight records must not revive them). */
  private keptRuns(batch: BatchColumns): { day: number; start: number; end: number }[] {
    const runs = dayRuns(batch);
    if (this.erased.size === 0) return runs;
    const sites = distinctStrings(batch, SITE_COLUMN);
    if (![...sites].some((s) => this.erased.has(s))) return runs;
    const out: { day: number; start: number; end: number }[] = [];
    for (const r of runs) {
      let start = -1;
      for (let i = r.start; i <= r.end; i++) {
        const keep = i < r.end && !this.erased.has(stringAt(batch, SITE_COLUMN, i) ?? '');
        if (keep && start < 0) start = i;
        if (!keep && start >= 0) {
          out.push({ day: r.day, start, end: i });
          start = -1;
        }
      }
    }
    return out;
  }

  private async rewriteSitesNow(siteIds: readonly string[], days?: readonly string[]): Promise<string[]> {
    const holding = await daysHolding(this.writer, this.parts, siteIds, days ? days.filter((d) => this.parts.has(d)) : undefined);
    for (const day of holding) {
      await rewriteDay(this.writer, this.parts, day, siteIds);
      this.deduper.forget(day);
    }
    return holding;
  }

  /** sites.delete: the site's events, keys and row, then a fresh meta file. Runs inside the queue. */
  private async eraseSiteNow(siteId: string): Promise<void> {
    // From now on, records still in the log for this site are dropped at apply.
    this.erased.add(siteId);
    await this.rewriteSitesNow([siteId]);
    await this.writer.run('BEGIN');
    try {
      // Every meta table that names the site, including those other modules add (the dashboard's
      // CTAs, goals and ownership): one erasure, whichever door it came in by.
      const owned = await exec(this.writer, `SELECT table_name FROM duckdb_columns() WHERE database_name = '${META}' AND schema_name = 'main' AND column_name = 'site_id' AND table_name <> 'erased_sites'`);
      for (const { table_name: table } of owned) await exec(this.writer, `DELETE FROM ${META}.main."${String(table)}" WHERE site_id = $1`, [siteId]);
      await exec(this.writer, `DELETE FROM ${META}.main.sites WHERE id = $1`, [siteId]);
      await exec(this.writer, `INSERT OR IGNORE INTO ${META}.main.erased_sites VALUES ($1, epoch_ms($2::BIGINT))`, [siteId, Date.now()]);
      await this.writer.run('COMMIT');
    } catch (err) {
      await this.writer.run('ROLLBACK').catch(() => undefined);
      throw err;
    }
    await rewriteMeta(this.writer, this.storeDir, (fn) => this.readers.exclusive(fn));
    this.touched.delete(META);
    this.updateGauges();
  }

  private updateGauges(): void {
    metrics.storePartitions.set(this.parts.days().length);
    metrics.storeBytes.set(this.totalBytes());
  }
}

async function migrateMeta(conn: DuckDBConnection): Promise<void> {
  await conn.run(SCHEMA_VERSION_DDL);
  const rows = await exec(conn, `SELECT max(version) AS v FROM ${META}.main.schema_version`);
  let version = Number(rows[0]?.v ?? 0);
  while (version < META_MIGRATIONS.length) {
    await conn.run('BEGIN');
    try {
      for (const sql of META_MIGRATIONS[version]!) await conn.run(sql);
      version++;
      await conn.run(`DELETE FROM ${META}.main.schema_version`);
      await conn.run(`INSERT INTO ${META}.main.schema_version VALUES (${version})`);
      await conn.run('COMMIT');
    } catch (err) {
      await conn.run('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }
}
