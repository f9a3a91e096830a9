// Rollups kept current incrementally: a refresh recomputes only (site, day) pairs whose rows changed,
// closed days stay untouched until backfilled rows arrive, the maintainer follows the applier's
// onApplied hook and reports its lag, and every contract dimension has a rolled-up property.
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { DIMENSIONS } from '../../../core/event-contract.js';
import { metrics } from '../../../core/metrics.js';
import { Store } from '../../../aggregator/store/store.js';
import { Rollups } from '../../../aggregator/rollups/rollups.js';
import { RollupMaintainer } from '../../../aggregator/rollups/rollup-maintainer.js';
import { PROPERTIES, propertyByName } from '../../../aggregator/rollups/properties.js';
import { encodeEventBatch } from '../../../ingest/pipeline/arrow-batch.js';
import { tempDir } from '../store/helpers.js';
import { generateSiteDay, trafficRecords, type TrafficSite } from './traffic.js';

const A: TrafficSite = { id: 'aaaaaaaa-0000-4000-8000-00000000000a', timezone: 'UTC' };
const B: TrafficSite = { id: 'bbbbbbbb-0000-4000-8000-00000000000b', timezone: 'Asia/Kolkata' };

const dirs: string[] = [];
const stores: Store[] = [];
async function open(): Promise<{ store: Store; rollups: Rollups }> {
  const dir = tempDir();
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
