// Rollups: pre-computed sums per site × day (totals, hours, every property value, CTAs) in
// <dataDir>/store/rollups.duckdb, attached to the store's DuckDB instance as `rollups`, so the stats
// API reads them through Store.query and writes go through the store's single writer.
//
// A refresh touches only the (site, day) pairs whose rows changed, so a closed day is never
// recomputed unless backfilled rows arrive. When the rows a rollup was computed from are all still
// there and new ones were appended, it is brought up to date from the new rows' visitors alone (the
// whole day's events of just those visitors), so the cost of keeping today current follows the
// traffic since the last refresh, not the size of the day; otherwise the pair is recomputed whole.
// Erasure and retention rewrite the file without the rows that go (like the store does with meta),
// so nothing of them stays in freed blocks or the WAL.
import fs from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Site, Store } from '../store/store.js';
import { dayString, dayNumber } from '../store/days.js';
import { firstKeptDay } from '../store/retention.js';
import { exec } from '../store/values.js';
import { LABEL_CODE, MISSING_AS_NULL, PROPERTIES, ROLLUP_DECODED, groupExpr, sqlString, valueExpr, type Property, type RowForm } from './properties.js';
import { ROLLUPS, ROLLUP_TABLES, ROLLUP_VERSION, SUM_TABLES, rollupDDL, type SumTable } from './schema.js';
import {
  EVENT_COLUMNS, SUM_COLUMNS, ctaSumsPerDay, eventSumsPerDay, propsRows, sessionizedEvents, sumsPerHour, visitSumsPerDay, visitsOf,
} from './visit-sql.js';

export interface RefreshResult {
  day: string;
  /** Sites whose rollups for the day were brought up to date (incrementally or recomputed whole). */
  recomputed: string[];
  /** Of those, the sites updated from their new rows' visitors only. */
  incremental: string[];
  /** Sites whose rows left the day (erased, expired): their rollups for it were deleted. */
  removed: string[];
}

const REWRITE_SUFFIX = '.rewrite';
/** Days refreshed together by refreshAll (memory: their events sit in a temp table meanwhile). */
const REFRESH_BATCH_DAYS = 7;
const SUMS = SUM_COLUMNS.join(', ');
const SUM_NAMES = Object.keys(SUM_TABLES) as SumTable[];
const inList = (ids: readonly string[]): string => ids.map(sqlString).join(', ');

/** The rollup state of `day`'s sites: what each one's rollup was computed from (schema.ts). */
const stateOf = (day: string): string => `(SELECT site_id, rows, upto, id_sum FROM ${ROLLUPS}.main.state WHERE day = ${sqlString(day)}::DATE)`;

function syncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

export class Rollups {
  /**
   * Day → the partition's epoch (Store.partitionEpoch) when a refresh last brought the day's rollups
   * in line with it. While the epoch is the same, the rows below the state's `upto` are the ones the
   * state counted, so planning reads only the rows from `upto` on (see planDays).
   */
  private readonly verified = new Map<string, number>();

  private constructor(
    private readonly store: Store,
    readonly file: string,
  ) {}

  /** Attaches (creating if needed) the store's rollups file. A version change empties it for a rebuild. */
  static async open(store: Store): Promise<Rollups> {
    const file = path.join(store.directory, 'rollups.duckdb');
    const r = new Rollups(store, file);
    await store.withWriter(async (conn) => {
      const attached = await exec(conn, `SELECT 1 FROM duckdb_databases() WHERE database_name = '${ROLLUPS}'`);
      if (attached.length === 0) await conn.run(`ATTACH ${sqlString(file)} AS ${ROLLUPS}`);
      for (const sql of rollupDDL(ROLLUPS)) await conn.run(sql);
      const v = Number((await exec(conn, `SELECT max(version) AS v FROM ${ROLLUPS}.main.version`))[0]?.v ?? 0);
      if (v !== ROLLUP_VERSION) {
        // Derived data: drop it all (tables may have changed shape); the maintainer's first refresh
        // recomputes every day.
        for (const t of ROLLUP_TABLES) await conn.run(`DROP TABLE ${ROLLUPS}.main.${t}`);
        for (const sql of rollupDDL(ROLLUPS)) await conn.run(sql);
        await conn.run(`DELETE FROM ${ROLLUPS}.main.version`);
        await conn.run(`INSERT INTO ${ROLLUPS}.main.version VALUES (${ROLLUP_VERSION})`);
      }
    });
    return r;
  }

  /** Bytes of the rollups file and its WAL. */
  bytes(): number {
    let total = 0;
    for (const f of [this.file, `${this.file}.wal`]) {
      try {
        total += fs.statSync(f).size;
      } catch {
        // no WAL after a checkpoint
      }
    }
    return total;
  }

  /** Days that have rollup rows (ascending). */
  async days(): Promise<string[]> {
    const rows = await this.store.query(`SELECT DISTINCT day FROM ${ROLLUPS}.main.state ORDER BY day`);
    return rows.map((r) => String(r.day));
  }

  /**
   * Brings the rollups of `day` in line with its partition: recomputes the sites whose row count
   * changed, deletes the sites that have no rows left. A no-op for an unchanged day.
   */
  refreshDay(day: string): Promise<RefreshResult> {
    return this.refreshDays([day]).then((r) => r[0]!);
  }

  /**
   * refreshDay for several days in one pass (one sessionization, one transaction): the cost of a
   * refresh is mostly per statement, so a backlog (first start, backfill) goes days at a time.
   */
  refreshDays(days: readonly string[]): Promise<RefreshResult[]> {
    for (const d of days) dayNumber(d);
    const sorted = [...new Set(days)].sort();
    return this.store.withWriter(async (conn) => {
      // Day files written before coded columns existed have no codes: they are refreshed apart, from text.
      const plain = sorted.filter((d) => this.store.positionedEventsOf(d) !== undefined && this.store.dimsTableOf(d) === undefined);
      const coded = sorted.filter((d) => !plain.includes(d));
      const out: RefreshResult[] = [];
      if (coded.length > 0) out.push(...(await this.refreshDaysNow(conn, coded, 'codes')));
      if (plain.length > 0) out.push(...(await this.refreshDaysNow(conn, plain, 'text')));
      return out.sort((a, b) => (a.day < b.day ? -1 : 1));
    });
  }

  /** refreshDay for every day with a partition or a rollup, a week at a time. */
  async refreshAll(): Promise<RefreshResult[]> {
    const days = [...new Set([...this.store.partitions().map((p) => p.day), ...(await this.days())])].sort();
    const out: RefreshResult[] = [];
    for (let i = 0; i < days.length; i += REFRESH_BATCH_DAYS) {
      for (const r of await this.refreshDays(days.slice(i, i + REFRESH_BATCH_DAYS))) {
        if (r.recomputed.length + r.removed.length > 0) out.push(r);
      }
    }
    return out;
  }

  /** CHECKPOINT the rollups file (folds its WAL in). */
  checkpoint(): Promise<void> {
    return this.store.withWriter(async (conn) => {
      await conn.run(`CHECKPOINT ${ROLLUPS}`);
    });
  }

  /** Rewrites the rollups file without any row of `siteIds`. */
  eraseSites(siteIds: readonly string[]): Promise<void> {
    return this.store.withWriter((conn) => this.rewriteNow(conn, `site_id NOT IN (${inList(siteIds.length > 0 ? siteIds : [''])})`));
  }

  /**
   * Applies each site's retention window at `now` (the same first kept day as the store's purge) and
   * drops rows of sites that no longer exist; rewrites the file only when something goes.
   * Returns how many (site, day) rollups were removed.
   */
  purgeExpired(sites: readonly Site[], now: number = Date.now()): Promise<number> {
    return this.store.withWriter(async (conn) => {
      const keep = sites.map((s) => `(${sqlString(s.id)}, DATE ${sqlString(dayString(firstKeptDay(s, now)))})`);
      const keepRel = keep.length > 0 ? `(VALUES ${keep.join(', ')}) AS k(site_id, from_day)` : `(SELECT NULL::VARCHAR AS site_id, NULL::DATE AS from_day WHERE false) AS k`;
      const predicate = `EXISTS (SELECT 1 FROM ${keepRel} WHERE k.site_id = t.site_id AND t.day >= k.from_day)`;
      const gone = Number((await exec(conn, `SELECT count(*) AS n FROM ${ROLLUPS}.main.state t WHERE NOT ${predicate}`))[0]?.n ?? 0);
      if (gone > 0) await this.rewriteNow(conn, predicate);
      return gone;
    });
  }

  // ---- inside the store's write queue ----

  /**
   * `rollup_plan` for the days of `epochs` (day → its partition's epoch): one row per site with rows
   * in a day's partition: its row count `n`, the sum of its event ids, the partition's row count
   * `upto`, the `cut` its rollup was computed up to, and the `mode` of its refresh:
   * - 'same': the rows are those the rollup was computed from;
   * - 'incr': those rows are all still there below `cut` (same count, same id sum), and every row at
   *   `cut` or after is new: only the visitors of the new rows need counting again;
   * - 'full': no rollup yet, or the rows below `cut` changed (a rewrite renumbered them); computeSums
   *   also turns an 'incr' pair into 'full' when that reads less.
   */
  private async planDays(conn: DuckDBConnection, epochs: ReadonlyMap<string, number | undefined>): Promise<void> {
    const parts: string[] = [];
    for (const [day, epoch] of epochs) {
      const rel = this.store.positionedEventsOf(day);
      if (rel === undefined) continue;
      const upto = await this.verifiedUpto(conn, day, epoch);
      parts.push(upto === undefined ? this.fullPlan(day, rel) : this.appendedPlan(day, upto));
    }
    const empty = `SELECT NULL::VARCHAR AS site_id, NULL::DATE AS day, 0::BIGINT AS n, 0::HUGEINT AS id_sum, 0::BIGINT AS cut, 0::BIGINT AS upto, 'same' AS mode WHERE false`;
    await conn.run(`CREATE OR REPLACE TEMP TABLE rollup_plan AS ${parts.length > 0 ? parts.join(' UNION ALL ') : empty}`);
  }

  /**
   * The `upto` every state row of `day` shares, when the plan may read only the rows from there on:
   * the partition's `epoch` is the attach the last refresh of the day saw (so rows were only appended
   * since), and the state rows, all with that `upto`, count every row below it between them (none
   * was deleted or left out).
   */
  private async verifiedUpto(conn: DuckDBConnection, day: string, epoch: number | undefined): Promise<number | undefined> {
    if (epoch === undefined || this.verified.get(day) !== epoch) return undefined;
    const [r] = await exec(conn, `SELECT count(DISTINCT upto) AS k, coalesce(sum(rows), 0) AS total, any_value(upto) AS upto
      FROM ${ROLLUPS}.main.state WHERE day = ${sqlString(day)}::DATE`);
    return Number(r?.k) === 1 && Number(r?.total) === Number(r?.upto) ? Number(r?.upto) : undefined;
  }

  /**
   * rollup_plan rows of a verified day (verifiedUpto): each site's state plus what its rows from
   * `upto` on add. A site with no state has all its rows there, and is computed whole.
   */
  private appendedPlan(day: string, upto: number): string {
    const added = this.store.positionedEventsOf(day, `rowid >= ${upto}`)!;
    return `SELECT coalesce(s.site_id, x.site_id) AS site_id, ${sqlString(day)}::DATE AS day,
        CAST(coalesce(s.rows, 0) + coalesce(x.n, 0) AS BIGINT) AS n, CAST(coalesce(s.id_sum, 0) + coalesce(x.id_sum, 0) AS HUGEINT) AS id_sum,
        s.upto AS cut, coalesce(max(x.last) OVER () + 1, ${upto})::BIGINT AS upto,
        CASE WHEN s.site_id IS NULL THEN 'full' WHEN x.site_id IS NULL THEN 'same' ELSE 'incr' END AS mode
      FROM ${stateOf(day)} s
      FULL JOIN (SELECT e.site_id, count(*) AS n, sum(e.event_id) AS id_sum, max(e._pos) AS last FROM ${added} e GROUP BY e.site_id) x
        ON s.site_id = x.site_id`;
  }

  /** rollup_plan rows of `day` from all its rows (`rel`), checked against the state. */
  private fullPlan(day: string, rel: string): string {
    return `SELECT site_id, day, n, id_sum, cut, max(last) OVER () + 1 AS upto,
          CASE WHEN rows IS NULL OR n_old <> rows OR sum_old <> state_sum THEN 'full' WHEN n = rows THEN 'same' ELSE 'incr' END AS mode
        FROM (
          SELECT e.site_id, ${sqlString(day)}::DATE AS day, count(*) AS n, sum(e.event_id) AS id_sum, max(e._pos) AS last,
            count(*) FILTER (WHERE e._pos < s.upto) AS n_old, coalesce(sum(e.event_id) FILTER (WHERE e._pos < s.upto), 0) AS sum_old,
            any_value(s.rows) AS rows, any_value(s.id_sum) AS state_sum, any_value(s.upto) AS cut
          FROM ${rel} e LEFT JOIN ${stateOf(day)} s USING (site_id)
          GROUP BY e.site_id
        )`;
  }

  /** `form`: how the days' files carry dictionary columns (every file of one refresh alike). */
  private async refreshDaysNow(conn: DuckDBConnection, days: readonly string[], form: RowForm): Promise<RefreshResult[]> {
    const results = new Map(days.map((day): [string, RefreshResult] => [day, { day, recomputed: [], incremental: [], removed: [] }]));
    const temps = ['rollup_plan', 'rollup_touched', 'rollup_aff', 'rollup_span', 'rollup_rows', 'rollup_sev', 'rollup_vis', 'rollup_sev_old', 'rollup_vis_old', ...SUM_NAMES.map((t) => `rollup_m_${t}`)];
    // Read once: the epoch a plan trusts is the one the refresh then marks as verified.
    const epochs = new Map(days.map((day) => [day, this.store.partitionEpoch(day)]));
    try {
      await this.planDays(conn, epochs);
      // Sites with a rollup and no rows left in the day (erased, expired): their rollups go.
      await conn.run(`CREATE OR REPLACE TEMP TABLE rollup_touched AS
        SELECT site_id, day, mode FROM rollup_plan WHERE mode <> 'same'
        UNION ALL
        SELECT site_id, day, 'removed' AS mode FROM ${ROLLUPS}.main.state s
        WHERE day IN (${days.map((d) => `${sqlString(d)}::DATE`).join(', ')})
          AND NOT EXISTS (SELECT 1 FROM rollup_plan p WHERE p.site_id = s.site_id AND p.day = s.day)`);
      const touched = await exec(conn, `SELECT site_id, CAST(day AS VARCHAR) AS day, mode FROM rollup_touched ORDER BY site_id`);
      for (const t of touched) {
        const r = results.get(String(t.day))!;
        if (t.mode === 'removed') r.removed.push(String(t.site_id));
        else r.recomputed.push(String(t.site_id));
      }
      if (touched.length === 0) {
        this.markVerified(epochs);
        return [...results.values()];
      }
      const refreshed = touched.filter((t) => t.mode !== 'removed');
      if (refreshed.length > 0) {
        await this.computeSums(conn, [...new Set(refreshed.map((t) => String(t.day)))], refreshed.some((t) => t.mode === 'incr'), form);
        // computeSums may have turned some into whole recomputes.
        for (const t of await exec(conn, `SELECT site_id, CAST(day AS VARCHAR) AS day FROM rollup_plan WHERE mode = 'incr' ORDER BY site_id`)) {
          results.get(String(t.day))!.incremental.push(String(t.site_id));
        }
      }
      // Temp tables live in the writer's in-memory catalog, and DuckDB writes one attached database per
      // transaction: everything above is built first, then the rollups change in one transaction.
      await conn.run('BEGIN');
      try {
        for (const t of ROLLUP_TABLES) {
          await conn.run(`DELETE FROM ${ROLLUPS}.main.${t} AS t USING rollup_touched p WHERE t.site_id = p.site_id AND t.day = p.day`);
        }
        if (refreshed.length > 0) {
          for (const t of SUM_NAMES) await conn.run(`INSERT INTO ${ROLLUPS}.main.${t} SELECT * FROM rollup_m_${t} ORDER BY ALL`);
          await conn.run(`INSERT INTO ${ROLLUPS}.main.state SELECT site_id, day, n, upto, id_sum, now() FROM rollup_plan WHERE mode <> 'same'`);
        }
        // A site with no new rows has all its rows below the new `upto` too: moving its state there
        // gives every state row of the day one `upto`, which the next plan needs (verifiedUpto).
        await conn.run(`UPDATE ${ROLLUPS}.main.state AS s SET upto = p.upto FROM rollup_plan p
          WHERE p.mode = 'same' AND s.site_id = p.site_id AND s.day = p.day AND s.upto <> p.upto`);
        await conn.run('COMMIT');
        this.markVerified(epochs);
      } catch (err) {
        await conn.run('ROLLBACK').catch(() => undefined);
        throw err;
      }
    } finally {
      for (const t of temps) await conn.run(`DROP TABLE IF EXISTS temp.main.${t}`).catch(() => undefined);
    }
    return [...results.values()];
  }

  private markVerified(epochs: ReadonlyMap<string, number | undefined>): void {
    for (const [day, epoch] of epochs) {
      if (epoch === undefined) this.verified.delete(day);
      else this.verified.set(day, epoch);
    }
  }

  /**
   * `rollup_m_<table>`: the new rows of every sum table for the (site, day) pairs the plan refreshes.
   * A 'full' pair's come from all its events. An 'incr' pair's are its current rows, plus the sums over
   * every event of the visitors with new events, minus the sums over those visitors' events that were
   * there before: the sums add up over visitors (SUM_TABLES), and visits never span two visitors.
   *
   * Coded files are read as codes (`form` 'codes', see CodedValue): every group is formed over codes
   * and only the group keys are decoded at the end (sumSelects).
   */
  private async computeSums(conn: DuckDBConnection, days: readonly string[], incremental: boolean, form: RowForm): Promise<void> {
    // Each day's rows, given a filter (for codes, their reader is made once per refresh).
    const rowsOf = new Map<string, (where: string) => string>();
    for (const d of days) {
      const coded = form === 'codes' ? await this.store.codedEventsOf(d, ROLLUP_DECODED, MISSING_AS_NULL) : undefined;
      rowsOf.set(d, coded ?? ((where) => this.store.positionedEventsOf(d, where)!));
    }
    // The day's events, narrowed before they are decoded (by day, since every row of a day file has
    // that day); the joins below then pick the exact pairs and visitors.
    const rel = (where: (day: string) => string): string =>
      `(${days.map((d) => `SELECT * FROM ${rowsOf.get(d)!(where(`${sqlString(d)}::DATE`))}`).join(' UNION ALL BY NAME ')})`;
    const inPlan = (alias: string, mode: string): string =>
      `SEMI JOIN (SELECT site_id, day FROM rollup_plan WHERE mode = '${mode}') p ON ${alias}.site_id = p.site_id AND ${alias}.day = p.day`;
    const ofAffected = 'SEMI JOIN rollup_aff a ON e.site_id = a.site_id AND e.day = a.day AND e.visitor_id = a.visitor_id';
    const ofAffectedVisitors = (day: string): string => `visitor_id IN (SELECT visitor_id FROM rollup_aff WHERE day = ${day})`;
    if (incremental) {
      const added = rel((day) => `rowid >= (SELECT coalesce(min(cut), 0) FROM rollup_plan WHERE mode = 'incr' AND day = ${day})`);
      await conn.run(`CREATE OR REPLACE TEMP TABLE rollup_aff AS
        SELECT DISTINCT e.site_id, e.day, e.visitor_id FROM ${added} e JOIN rollup_plan c ON e.site_id = c.site_id AND e.day = c.day
        WHERE c.mode = 'incr' AND e._pos >= c.cut`);
      // Where those visitors' rows start in each pair, and how many came before the cut, read from the
      // visitor column alone: the rows themselves are then read from `first_pos` on (below), not from
      // the whole day, which on a big day costs more than the rest of the refresh.
      await conn.run(`CREATE OR REPLACE TEMP TABLE rollup_span AS
        SELECT e.site_id, e.day, min(e._pos) AS first_pos, count(*) FILTER (WHERE e._pos < c.cut) AS earlier
        FROM ${rel(ofAffectedVisitors)} e JOIN rollup_plan c ON e.site_id = c.site_id AND e.day = c.day
        ${ofAffected} WHERE c.mode = 'incr' GROUP BY ALL`);
      // The incremental way reads the new rows' visitors' earlier rows twice (their sums before and
      // after): when those are over half the pair's rows (a few visitors send most of the traffic),
      // recomputing the pair whole reads less.
      await conn.run(`UPDATE rollup_plan SET mode = 'full' FROM rollup_span x
        WHERE rollup_plan.site_id = x.site_id AND rollup_plan.day = x.day AND 2 * x.earlier > rollup_plan.n`);
      await conn.run(`DELETE FROM rollup_aff a USING rollup_plan p WHERE a.site_id = p.site_id AND a.day = p.day AND p.mode = 'full'`);
    }
    // Exact already: a day file holds only its day, so the site filter picks the 'full' pairs.
    const whole = rel((day) => `site_id IN (SELECT site_id FROM rollup_plan WHERE mode = 'full' AND day = ${day})`);
    const sources: string[] = [];
    if ((await exec(conn, `SELECT 1 FROM rollup_plan WHERE mode = 'full' LIMIT 1`)).length > 0) sources.push(`SELECT * FROM ${whole}`);
    if (incremental) {
      // Their rows (the columns stats need), read once: the sessionizing below reads its source twice,
      // before and after twice over.
      const affected = rel((day) => `rowid >= (SELECT coalesce(min(x.first_pos), 0) FROM rollup_span x JOIN rollup_plan p USING (site_id, day)
        WHERE p.mode = 'incr' AND x.day = ${day}) AND ${ofAffectedVisitors(day)}`);
      await conn.run(`CREATE OR REPLACE TEMP TABLE rollup_rows AS SELECT e._pos, ${EVENT_COLUMNS.map((c) => `e."${c}"`).join(', ')} FROM ${affected} e ${ofAffected}`);
      sources.push('SELECT * FROM rollup_rows');
      const before = `SELECT e.* FROM rollup_rows e JOIN rollup_plan c ON e.site_id = c.site_id AND e.day = c.day WHERE c.mode = 'incr' AND e._pos < c.cut`;
      await conn.run(`CREATE OR REPLACE TEMP TABLE rollup_sev_old AS ${sessionizedEvents(`(${before})`, 'true')}`);
      await conn.run(`CREATE OR REPLACE TEMP TABLE rollup_vis_old AS ${visitsOf('rollup_sev_old', form)}`);
    }
    await conn.run(`CREATE OR REPLACE TEMP TABLE rollup_sev AS ${sessionizedEvents(`(${sources.join(' UNION ALL BY NAME ')})`, 'true')}`);
    await conn.run(`CREATE OR REPLACE TEMP TABLE rollup_vis AS ${visitsOf('rollup_sev', form)}`);
    const dict = this.dictionaryOf(days, form);
    const now = sumSelects('rollup_sev', 'rollup_vis', form, dict);
    const old = incremental ? sumSelects('rollup_sev_old', 'rollup_vis_old', form, dict) : undefined;
    for (const t of SUM_NAMES) {
      const { keys, sums, present } = SUM_TABLES[t];
      const parts = [`SELECT * FROM (${now[t]})`];
      if (old) {
        parts.push(`SELECT t.* FROM ${ROLLUPS}.main.${t} t ${inPlan('t', 'incr')}`);
        parts.push(`SELECT ${keys.join(', ')}, ${sums.map((c) => `-${c}`).join(', ')} FROM (${old[t]})`);
      }
      await conn.run(`CREATE OR REPLACE TEMP TABLE rollup_m_${t} AS
        SELECT ${keys.join(', ')}, ${sums.map((c) => `sum(${c}) AS ${c}`).join(', ')} FROM (${parts.join('\n UNION ALL ')})
        GROUP BY ${keys.join(', ')} HAVING ${present.map((c) => `sum(${c})`).join(' + ')} > 0`);
    }
  }

  /** The codes of `days`' files as one relation (day, code, value); empty for text. */
  private dictionaryOf(days: readonly string[], form: RowForm): string {
    const parts = form === 'codes' ? days.map((d) => `SELECT ${sqlString(d)}::DATE AS day, code, value FROM ${this.store.dimsTableOf(d)!} WHERE value IS NOT NULL`) : [];
    return `(${parts.length > 0 ? parts.join(' UNION ALL ') : 'SELECT NULL::DATE AS day, NULL::UINTEGER AS code, NULL::VARCHAR AS value WHERE false'})`;
  }

  /**
   * Replaces rollups.duckdb by a copy holding only rows where `keep` (over alias `t`) holds. The copy
   * is whole before the rename; readers are fenced off while the file is swapped.
   */
  private async rewriteNow(conn: DuckDBConnection, keep: string): Promise<void> {
    this.verified.clear();
    const tmp = `${this.file}${REWRITE_SUFFIX}`;
    const alias = `${ROLLUPS}_rewrite`;
    fs.rmSync(tmp, { force: true });
    fs.rmSync(`${tmp}.wal`, { force: true });
    await conn.run(`ATTACH ${sqlString(tmp)} AS ${alias}`);
    try {
      for (const sql of rollupDDL(alias)) await conn.run(sql);
      for (const t of ROLLUP_TABLES) await conn.run(`INSERT INTO ${alias}.main.${t} SELECT * FROM ${ROLLUPS}.main.${t} t WHERE ${keep}`);
      await conn.run(`INSERT INTO ${alias}.main.version SELECT * FROM ${ROLLUPS}.main.version`);
    } catch (err) {
      await conn.run(`DETACH ${alias}`).catch(() => undefined);
      fs.rmSync(tmp, { force: true });
      fs.rmSync(`${tmp}.wal`, { force: true });
      throw err;
    }
    // DETACH checkpoints: the copy is whole in its file and has no WAL.
    await conn.run(`DETACH ${alias}`);
    await this.store.fenceReads(async () => {
      await conn.run(`DETACH ${ROLLUPS}`);
      try {
        fs.rmSync(`${this.file}.wal`, { force: true });
        fs.rmSync(`${tmp}.wal`, { force: true });
        fs.renameSync(tmp, this.file);
        syncDir(path.dirname(this.file));
      } finally {
        await conn.run(`ATTACH ${sqlString(this.file)} AS ${ROLLUPS}`);
      }
    });
  }
}

/**
 * A group key of a dims arm as three columns `<as>` (the text), `<as>_code` and `<as>_label`: a code
 * (CodedValue) is decoded once the groups are summed (sumSelects), the text of the others is taken as it is.
 */
function keyColumns(key: string, as: string, p: Property | undefined, form: RowForm): string {
  if (p && form === 'codes' && p.coded.isCode) {
    return `NULL::VARCHAR AS ${as}, ${key} AS ${as}_code, ${p.coded.label !== undefined ? sqlString(p.coded.label) : 'NULL'}::VARCHAR AS ${as}_label`;
  }
  return `CAST(${key} AS VARCHAR) AS ${as}, NULL::UINTEGER AS ${as}_code, NULL::VARCHAR AS ${as}_label`;
}

/** The text of a group key from keyColumns (`x`) and its entry in the dictionary (`d`). */
const keyText = (as: string, d: string): string =>
  `coalesce(x.${as}, CASE WHEN x.${as}_code = ${LABEL_CODE} THEN x.${as}_label ELSE ${d}.value END) AS ${as}`;

/**
 * The rows of every sum table (columns in table order) from sessionized events `sev` and their visits
 * `vis` of `form`: visit properties group the visits, event properties group events per visit. Every
 * property is one statement: DuckDB runs the arms side by side and pays the per-statement cost once.
 * Custom properties come last, one row per key and value. Codes are decoded through `dict` (day,
 * code, value) after summing, so each group's key is decoded once, not each row's.
 */
function sumSelects(sev: string, vis: string, form: RowForm, dict: string): Record<SumTable, string> {
  const arms = PROPERTIES.map((p) => {
    const from = p.scope === 'visit'
      ? visitSumsPerDay(vis, groupExpr(p, form), p.parent ? groupExpr(p.parent, form) : 'NULL')
      : eventSumsPerDay(sev, vis, valueExpr(p, form));
    return `SELECT site_id, day, ${sqlString(p.name)} AS property, ${keyColumns('g', 'value', p, form)}, ${keyColumns('g_parent', 'parent', p.parent, form)}, ${SUMS}
      FROM (${from})`;
  });
  arms.push(
    `SELECT site_id, day, 'event:props:' || g.k AS property, ${keyColumns('g.v', 'value', undefined, form)}, ${keyColumns('NULL', 'parent', undefined, form)}, ${SUMS}
     FROM (${eventSumsPerDay(`(${propsRows(sev)})`, vis, `{'k': prop_key, 'v': prop_value}`)})`,
  );
  const sums = SUM_COLUMNS.map((c) => `x.${c}`).join(', ');
  // `cta_id` is a dictionary column: a code over coded rows.
  const ctas = `SELECT site_id, day, cta, impressions, hovers, clicks, clickers FROM (${ctaSumsPerDay(sev)})`;
  return {
    daily: `SELECT site_id, day, ${SUMS} FROM (${visitSumsPerDay(vis, "''")})`,
    hourly: `SELECT site_id, day, hour, ${SUMS} FROM (${sumsPerHour(sev, vis)})`,
    dims: `SELECT x.site_id, x.day, x.property, ${keyText('value', 'dv')}, ${keyText('parent', 'dp')}, ${sums}
      FROM (${arms.join('\n UNION ALL ')}) x
      LEFT JOIN ${dict} dv ON dv.day = x.day AND dv.code = x.value_code
      LEFT JOIN ${dict} dp ON dp.day = x.day AND dp.code = x.parent_code`,
    ctas: form === 'codes'
      ? `SELECT x.site_id, x.day, d.value AS cta, x.impressions, x.hovers, x.clicks, x.clickers FROM (${ctas}) x
         LEFT JOIN ${dict} d ON d.day = x.day AND d.code = x.cta`
      : ctas,
  };
}
