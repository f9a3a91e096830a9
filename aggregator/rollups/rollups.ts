// Rollups: pre-computed sums per site × day (totals, hours, every property value, CTAs) in
// <dataDir>/store/rollups.duckdb, attached to the store's DuckDB instance as `rollups`, so the stats
// API reads them through Store.query and writes go through the store's single writer.
//
// A (site, day) rollup is recomputed whole from that day's partition when the partition's row count
// for the site differs from the one it was computed from: a closed day is never recomputed unless
// backfilled rows arrive. Erasure and retention rewrite the file without the rows that go (like the
// store does with meta), so nothing of them stays in freed blocks or the WAL.
import fs from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Site, Store } from '../store/store.js';
import { dayString, dayNumber } from '../store/days.js';
import { firstKeptDay } from '../store/retention.js';
import { exec } from '../store/values.js';
import { PROPERTIES, sqlString, type Property } from './properties.js';
import { ROLLUPS, ROLLUP_TABLES, ROLLUP_VERSION, rollupDDL } from './schema.js';
import {
  SUM_COLUMNS, ctaSumsPerDay, eventSumsPerDay, propsRows, sessionizedEvents, sumsPerHour, visitSumsPerDay, visitsOf,
} from './visit-sql.js';

export interface RefreshResult {
  day: string;
  /** Sites whose rollups for the day were recomputed. */
  recomputed: string[];
  /** Sites whose rows left the day (erased, expired): their rollups for it were deleted. */
  removed: string[];
}

/** A day's refresh plan, with the partition's row count per site. */
type DayDiff = RefreshResult & { counts: Map<string, number> };

const REWRITE_SUFFIX = '.rewrite';
/** Days refreshed together by refreshAll (memory: their events sit in a temp table meanwhile). */
const REFRESH_BATCH_DAYS = 7;
const SUMS = SUM_COLUMNS.join(', ');
const inList = (ids: readonly string[]): string => ids.map(sqlString).join(', ');

/** The group expression of a property over matched events (a visit column for visit scope). */
function groupOf(p: Property): string {
  return p.scope === 'visit' ? p.visitColumn! : p.expr;
}

function syncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

export class Rollups {
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
        // Derived data: drop it all; the maintainer's first refresh recomputes every day.
        for (const t of ROLLUP_TABLES) await conn.run(`DELETE FROM ${ROLLUPS}.main.${t}`);
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
    return this.store.withWriter((conn) => this.refreshDaysNow(conn, [...new Set(days)].sort()));
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

  /** What changed in `day`: sites whose row count differs from their rollup's, sites with no rows left. */
  private async diffDay(conn: DuckDBConnection, day: string): Promise<DayDiff> {
    const counts = new Map(
      (await exec(conn, `SELECT site_id, count(*) AS n FROM ${this.store.eventsFrom(day, day)} GROUP BY site_id`)).map((r) => [String(r.site_id), Number(r.n)]),
    );
    const state = new Map(
      (await exec(conn, `SELECT site_id, rows FROM ${ROLLUPS}.main.state WHERE day = $1::DATE`, [day])).map((r) => [String(r.site_id), Number(r.rows)]),
    );
    const recomputed = [...counts].filter(([site, n]) => state.get(site) !== n).map(([site]) => site).sort();
    const removed = [...state.keys()].filter((site) => !counts.has(site)).sort();
    return { day, recomputed, removed, counts };
  }

  private async refreshDaysNow(conn: DuckDBConnection, days: readonly string[]): Promise<RefreshResult[]> {
    const diffs: DayDiff[] = [];
    for (const day of days) diffs.push(await this.diffDay(conn, day));
    const results: RefreshResult[] = diffs.map(({ day, recomputed, removed }) => ({ day, recomputed, removed }));
    const changed = diffs.filter((d) => d.recomputed.length + d.removed.length > 0);
    if (changed.length === 0) return results;
    const recompute = changed.filter((d) => d.recomputed.length > 0);
    const pick = (list: (d: DayDiff) => string[], of: readonly DayDiff[]): string =>
      of.map((d) => `("day" = ${sqlString(d.day)}::DATE AND site_id IN (${inList(list(d))}))`).join(' OR ');
    if (recompute.length > 0) {
      // Temp tables (the writer's in-memory catalog): sessionize once, then every rollup reads them.
      // DuckDB writes one attached database per transaction, so they are built before BEGIN.
      const rel = this.store.eventsFrom(recompute[0]!.day, recompute.at(-1)!.day);
      await conn.run(`CREATE OR REPLACE TEMP TABLE rollup_sev AS ${sessionizedEvents(rel, pick((d) => d.recomputed, recompute))}`);
      await conn.run(`CREATE OR REPLACE TEMP TABLE rollup_vis AS ${visitsOf('rollup_sev')}`);
    }
    await conn.run('BEGIN');
    try {
      const touched = pick((d) => [...d.recomputed, ...d.removed], changed);
      for (const t of ROLLUP_TABLES) await conn.run(`DELETE FROM ${ROLLUPS}.main.${t} WHERE ${touched}`);
      if (recompute.length > 0) {
        await this.insertRollups(conn);
        const rows = recompute.flatMap((d) => d.recomputed.map((site) => `(${sqlString(site)}, ${sqlString(d.day)}::DATE, ${d.counts.get(site)!}, now())`));
        await conn.run(`INSERT INTO ${ROLLUPS}.main.state VALUES ${rows.join(', ')}`);
      }
      await conn.run('COMMIT');
    } catch (err) {
      await conn.run('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      if (recompute.length > 0) {
        for (const t of ['rollup_vis', 'rollup_sev']) await conn.run(`DROP TABLE IF EXISTS temp.main.${t}`).catch(() => undefined);
      }
    }
    return results;
  }

  /**
   * Totals, hours, CTAs and every property from the day's events (rollup_sev) and visits
   * (rollup_vis): visit properties group the visits, event properties group events per visit.
   */
  private async insertRollups(conn: DuckDBConnection): Promise<void> {
    await conn.run(`INSERT INTO ${ROLLUPS}.main.daily SELECT site_id, day, ${SUMS} FROM (${visitSumsPerDay('rollup_vis', "''")})`);
    await conn.run(`INSERT INTO ${ROLLUPS}.main.hourly SELECT site_id, day, hour, ${SUMS} FROM (${sumsPerHour('rollup_sev', 'rollup_vis')})`);
    // Every property in one statement: DuckDB runs the arms side by side and pays the per-statement
    // cost once. Custom properties come last, one row per key and value.
    const arms = PROPERTIES.map((p) => {
      const from = p.scope === 'visit'
        ? visitSumsPerDay('rollup_vis', groupOf(p), p.parent ? groupOf(p.parent) : 'NULL')
        : eventSumsPerDay('rollup_sev', 'rollup_vis', p.expr);
      return `SELECT site_id, day, ${sqlString(p.name)} AS property, g AS value, CAST(g_parent AS VARCHAR) AS parent, ${SUMS} FROM (${from})`;
    });
    arms.push(
      `SELECT site_id, day, 'event:props:' || g.k AS property, g.v AS value, NULL::VARCHAR AS parent, ${SUMS}
       FROM (${eventSumsPerDay(`(${propsRows('rollup_sev')})`, 'rollup_vis', `{'k': prop_key, 'v': prop_value}`)})`,
    );
    await conn.run(`INSERT INTO ${ROLLUPS}.main.dims SELECT * FROM (${arms.join('\n UNION ALL ')}) ORDER BY day, site_id, property, value`);
    await conn.run(`INSERT INTO ${ROLLUPS}.main.ctas SELECT site_id, day, cta, impressions, hovers, clicks, clickers FROM (${ctaSumsPerDay('rollup_sev')})`);
  }

  /**
   * Replaces rollups.duckdb by a copy holding only rows where `keep` (over alias `t`) holds. The copy
   * is whole before the rename; readers are fenced off while the file is swapped.
   */
  private async rewriteNow(conn: DuckDBConnection, keep: string): Promise<void> {
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
