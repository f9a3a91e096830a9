// Rollups kept current incrementally: a refresh recomputes only (site, day) pairs whose rows changed,
// closed days stay untouched until backfilled rows arrive, the maintainer follows the applier's
// onApplied hook and reports its lag, and every contract dimension has a rolled-up property.
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, describe, expect, it } from 'vitest';
import { DIMENSIONS, eventsTableDDL, type EventRecord } from '../../../core/event-contract.js';
import { metrics } from '../../../core/metrics.js';
import { Store } from '../../../aggregator/store/store.js';
import { Rollups } from '../../../aggregator/rollups/rollups.js';
import { SUM_TABLES } from '../../../aggregator/rollups/schema.js';
import { RollupMaintainer } from '../../../aggregator/rollups/rollup-maintainer.js';
import { NOT_SET, PROPERTIES, propertyByName } from '../../../aggregator/rollups/properties.js';
import { encodeEventBatch } from '../../../ingest/pipeline/arrow-batch.js';
import { record, tempDir } from '../store/helpers.js';
import { generateSiteDay, trafficRecords, type TrafficSite } from './traffic.js';

const A: TrafficSite = { id: 'aaaaaaaa-0000-4000-8000-00000000000a', timezone: 'UTC' };
const B: TrafficSite = { id: 'bbbbbbbb-0000-4000-8000-00000000000b', timezone: 'Asia/Kolkata' };

const dirs: string[] = [];
const stores: Store[] = [];
async function open(dir = tempDir()): Promise<{ store: Store; rollups: Rollups }> {
  dirs.push(dir);
  const store = await Store.open(dir);
  stores.push(store);
  return { store, rollups: await Rollups.open(store) };
}

afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const computedAt = async (store: Store): Promise<Record<string, string>> =>
  Object.fromEntries(
    (await store.query('SELECT site_id, day, computed_at FROM rollups.main.state')).map((r) => [`${String(r.site_id)} ${String(r.day)}`, (r.computed_at as Date).toISOString()]),
  );

describe('rollups', () => {
  it('every contract dimension is a property, and every property is rolled up', async () => {
    const { store, rollups } = await open();
    for (const col of DIMENSIONS) expect(PROPERTIES.some((p) => p.expr.includes(`"${col.name}"`)), col.name).toBe(true);
    const { records } = trafficRecords([A], { days: ['2024-05-01'], visitsPerDay: 80, seed: 3 });
    await store.apply(records);
    await rollups.refreshAll();
    const stored = new Set((await store.query('SELECT DISTINCT property FROM rollups.main.dims')).map((r) => String(r.property)));
    for (const p of PROPERTIES) {
      // Properties the generated traffic never sets (utm_term, form ids, click ids) have no rows.
      const has = await store.query(`SELECT count(*) AS n FROM events WHERE ${p.scope === 'visit' && p.name.endsWith('_page') ? "type = 'pageview'" : `${p.expr} IS NOT NULL`}`);
      if (Number(has[0]!.n) > 0) expect(stored.has(p.name), p.name).toBe(true);
    }
    expect(stored.has('event:props:plan')).toBe(true);
    expect(propertyByName('event:props:plan')?.resultKey).toBe('plan');
    expect(propertyByName('visit:nope')).toBeUndefined();
  });

  it('grouped over a coded file\'s codes, equal those of the same events read as text from a plain file', async () => {
    // 05-01 is coded (the store creates it), 05-02 plain, as a file written before coded columns
    // existed: the plain day is rolled up from text, as the stats API's raw path reads every day.
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'store', 'events'), { recursive: true });
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    await c.run(`ATTACH '${path.join(dir, 'store', 'events', '2024-05-02.duckdb')}' AS x`);
    await c.run(eventsTableDDL('x.main.events'));
    c.closeSync();
    db.closeSync();
    const { store, rollups } = await open(dir);

    const coded = generateSiteDay(A, '2024-05-01', { days: ['2024-05-01'], visitsPerDay: 60, seed: 12 }, 12);
    // A labelled property shows one label for a missing value, an empty one and the label itself
    // (three codes in a coded file); an unlabelled one keeps '' as a value of its own.
    const browsers = [null, '', NOT_SET, undefined];
    // By visit (a returning visitor's visits differ), so that a visitor counted under two codes that
    // stand for one value would be counted twice.
    coded.forEach((e) => {
      const k = Number((BigInt(e.visitor_id as bigint) + BigInt(e.session_id as bigint)) % 5n);
      if (k < 4 && browsers[k] !== undefined) e.browser = browsers[k];
      if (k === 1) e.utm_source = '';
      if (k === 2) e.device = '';
    });
    const plain = coded.map((e): EventRecord => ({ ...e, ts: (e.ts as number) + 86_400_000, day: (e.day as number) + 1, event_id: (e.event_id as bigint) ^ 1n }));
    // Two chunks with a refresh after each: the second refreshes incrementally, both days in one call.
    const half = Math.floor(coded.length / 2);
    await store.apply([record(1, [...coded.slice(0, half), ...plain.slice(0, half)])]);
    expect((await rollups.refreshAll()).map((r) => r.day)).toEqual(['2024-05-01', '2024-05-02']);
    await store.apply([record(2, [...coded.slice(half), ...plain.slice(half)])]);
    const second = await rollups.refreshAll();
    expect(second.map((r) => [r.day, r.incremental])).toEqual([['2024-05-01', [A.id]], ['2024-05-02', [A.id]]]);

    for (const t of Object.keys(SUM_TABLES)) {
      const of = async (day: string): Promise<unknown[]> => store.query(`SELECT * EXCLUDE (day) FROM rollups.main.${t} WHERE day = '${day}' ORDER BY ALL`);
      const [a, b] = [await of('2024-05-01'), await of('2024-05-02')];
      expect(a.length, t).toBeGreaterThan(0);
      expect(a, t).toEqual(b);
    }
    const values = async (property: string): Promise<string[]> =>
      (await store.query(`SELECT value FROM rollups.main.dims WHERE day = '2024-05-01' AND property = $1 ORDER BY value`, [property])).map((r) => String(r.value));
    expect(await values('visit:browser')).toEqual([NOT_SET, 'Chrome', 'Firefox', 'Safari', 'Unknown'].sort());
    expect(await values('visit:device')).toContain(NOT_SET);
    expect(await values('visit:utm_source')).toContain('');
  });

  it('recomputes only the (site, day) pairs that got rows; closed days stay untouched until backfilled', async () => {
    const { store, rollups } = await open();
    const days = ['2024-05-01', '2024-05-02', '2024-05-03'];
    const { records } = trafficRecords([A, B], { days, visitsPerDay: 40, seed: 5 });
    await store.apply(records);
    const first = await rollups.refreshAll();
    expect(first.map((r) => r.day)).toEqual(days);
    for (const r of first) expect(r.recomputed).toEqual([A.id, B.id].sort());
    const before = await computedAt(store);

    // Nothing new: a refresh of every day recomputes nothing.
    expect(await rollups.refreshAll()).toEqual([]);
    expect(await computedAt(store)).toEqual(before);

    // A backfilled row for site A on the closed day 05-01: only (A, 05-01) is refreshed, from that row.
    const late = generateSiteDay(A, '2024-05-01', { days, visitsPerDay: 1, seed: 99 }, 99).slice(0, 1);
    await store.apply([{ lsn: store.appliedLsn + 1, payload: encodeEventBatch(late) }]);
    const again = await rollups.refreshAll();
    expect(again).toEqual([{ day: '2024-05-01', recomputed: [A.id], incremental: [A.id], removed: [] }]);
    const after = await computedAt(store);
    for (const [k, v] of Object.entries(before)) {
      if (k === `${A.id} 2024-05-01`) expect(v).not.toBe(after[k]);
      else expect(after[k]).toBe(v);
    }
    const total = await store.query(`SELECT sum(pageviews) + sum(events) AS n FROM rollups.main.daily WHERE site_id = $1 AND day = '2024-05-01'`, [A.id]);
    const raw = await store.query(
      `SELECT count(*) FILTER (WHERE type = 'pageview') + count(*) FILTER (WHERE type <> 'engagement') AS n FROM events WHERE site_id = $1 AND day = '2024-05-01'`,
      [A.id],
    );
    expect(total[0]!.n).toBe(raw[0]!.n);
  });

  it('a site erased from the partitions loses its rollups on the next refresh, and eraseSites leaves no row', async () => {
    const { store, rollups } = await open();
    const { records } = trafficRecords([A, B], { days: ['2024-05-01', '2024-05-02'], visitsPerDay: 30, seed: 8 });
    await store.apply(records);
    await rollups.refreshAll();
    await store.rewriteWithout(B.id);
    const r = await rollups.refreshAll();
    expect(r.map((x) => x.removed)).toEqual([[B.id], [B.id]]);
    for (const t of ['daily', 'hourly', 'dims', 'ctas', 'state']) {
      expect((await store.query(`SELECT count(*) AS n FROM rollups.main.${t} WHERE site_id = $1`, [B.id]))[0]!.n).toBe(0);
    }
    await rollups.eraseSites([A.id]);
    expect((await store.query('SELECT count(*) AS n FROM rollups.main.state'))[0]!.n).toBe(0);
    // The rewritten file is attached again and usable. A's events are still in the partitions here
    // (only its rollups were erased), so a refresh brings them back, with the new day's.
    await store.apply(trafficRecords([A], { days: ['2024-05-03'], visitsPerDay: 5, seed: 9 }, store.appliedLsn + 1).records);
    expect((await rollups.refreshAll()).map((x) => x.day)).toEqual(['2024-05-01', '2024-05-02', '2024-05-03']);
  });

  it('the maintainer follows onApplied marks, gathers them, and its lag drops to zero', async () => {
    const { store, rollups } = await open();
    const refreshed: string[] = [];
    const m = new RollupMaintainer(rollups, { delayMs: 10, onRefreshed: (r) => refreshed.push(r.day) });
    try {
      const { records } = trafficRecords([A], { days: ['2024-05-01', '2024-05-02'], visitsPerDay: 20, seed: 4 });
      const applied = await store.apply(records);
      m.markDirty(applied.days, Date.now() - 5000);
      m.markDirty(applied.days); // a second mark of the same days joins the first
      expect(m.lagSeconds()).toBeGreaterThanOrEqual(5);
      await m.flush();
      expect(refreshed.sort()).toEqual(['2024-05-01', '2024-05-02']);
      expect(m.lagSeconds()).toBe(0);
      expect((await metrics.rollupLag.get()).values[0]?.value).toBe(0);
      const rows = await store.query('SELECT count(*) AS n FROM rollups.main.daily');
      expect(rows[0]!.n).toBe(2);
    } finally {
      await m.close();
    }
  });

  it('recreates its tables when the rollup version changes, and rebuilds them', async () => {
    const { store, rollups } = await open();
    await store.apply(trafficRecords([A], { days: ['2024-05-01'], visitsPerDay: 10, seed: 2 }).records);
    await rollups.refreshAll();
    await store.withWriter(async (c) => {
      await c.run('UPDATE rollups.main.version SET version = version + 100');
    });
    const again = await Rollups.open(store);
    expect((await store.query('SELECT count(*) AS n FROM rollups.main.state'))[0]!.n).toBe(0);
    expect((await again.refreshAll()).map((r) => r.day)).toEqual(['2024-05-01']);
  });
});
