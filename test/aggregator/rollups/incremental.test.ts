// Incremental refreshes give exactly the rollups a whole recompute gives. Generated traffic arrives in
// shuffled chunks (a visit's events split over several refreshes and out of order: session-less runs
// merge or split, first events arrive late and change a visit's source, returning visitors get new
// visits), with a refresh after each chunk, and sometimes a rewrite of the day files in between
// (erasure of another site renumbers every row). At the end every sum table must equal what a
// recompute of every (site, day) from scratch produces.
import fs from 'node:fs';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { EventRecord } from '../../../core/event-contract.js';
import { rng } from '../../../core/seeded-random.js';
import { Store } from '../../../aggregator/store/store.js';
import { Rollups } from '../../../aggregator/rollups/rollups.js';
import { SUM_TABLES } from '../../../aggregator/rollups/schema.js';
import { record, storeOpener, tempDir } from '../store/helpers.js';
import { generateSiteDay, type TrafficSite } from './traffic.js';

const A: TrafficSite = { id: 'aaaaaaaa-0000-4000-8000-00000000000a', timezone: 'UTC' };
const B: TrafficSite = { id: 'bbbbbbbb-0000-4000-8000-00000000000b', timezone: 'America/New_York' };
/** Erased part-way in some runs: its erasure rewrites the day files A and B share. */
const C: TrafficSite = { id: 'cccccccc-0000-4000-8000-00000000000c', timezone: 'UTC' };
const DAYS = ['2024-05-01', '2024-05-02'];

const openStore = storeOpener();
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function snapshot(store: Store): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const t of Object.keys(SUM_TABLES)) out[t] = await store.query(`SELECT * FROM rollups.main.${t} ORDER BY ALL`);
  return out;
}

function shuffled<T>(xs: readonly T[], seed: number): T[] {
  const r = rng(seed);
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('incremental rollup refresh', () => {
  it('equals a whole recompute, whatever order and grouping the events arrive in', { timeout: 240_000 }, async () => {
    let incrementalRefreshes = 0;
    let rewrites = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 2, max: 6 }),
        fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }),
        async (seed, chunks, eraseAfter) => {
          const dir = tempDir();
          dirs.push(dir);
          const store = await Store.open(dir);
          try {
            const rollups = await Rollups.open(store);
            const opts = { days: DAYS, visitsPerDay: 12, seed };
            const events: EventRecord[] = [];
            DAYS.forEach((day, d) => [A, B, C].forEach((site, s) => events.push(...generateSiteDay(site, day, opts, seed * 31 + d * 7 + s))));
            // Most events arrive in time order, a share of them late: a shuffled tail spread over the chunks.
            const mixed = [...events.sort((x, y) => (x.ts as number) - (y.ts as number))];
            const late = shuffled(mixed.splice(0, Math.floor(mixed.length / 3)), seed);
            const per = Math.ceil(mixed.length / chunks);
            for (let i = 0; i < chunks; i++) {
              const part = [...mixed.slice(i * per, (i + 1) * per), ...late.filter((_, k) => k % chunks === i)];
              if (part.length > 0) await store.apply([record(store.appliedLsn + 1, part)]);
              for (const r of await rollups.refreshAll()) incrementalRefreshes += r.incremental.length;
              if (eraseAfter === i + 1) {
                await store.rewriteWithout(C.id);
                await rollups.eraseSites([C.id]);
                rewrites++;
              }
            }
            const incremental = await snapshot(store);
            await store.withWriter((c) => c.run('DELETE FROM rollups.main.state'));
            const whole = await rollups.refreshAll();
            expect(whole.every((r) => r.incremental.length === 0)).toBe(true);
            const recomputed = await snapshot(store);
            for (const t of Object.keys(SUM_TABLES)) expect(incremental[t], t).toEqual(recomputed[t]);
            expect(recomputed.daily!.length).toBeGreaterThan(0);
          } finally {
            await store.close();
          }
        },
      ),
      { numRuns: 8, seed: 20261123 },
    );
    // The runs went through both paths: incremental refreshes, and rewrites that renumber rows.
    expect(incrementalRefreshes).toBeGreaterThan(0);
    expect(rewrites).toBeGreaterThan(0);
  });

  it('recomputes a pair whole when the rows below its cut are not the ones it was computed from', async () => {
    const { store } = await openStore();
    const append = (part: EventRecord[]) => store.apply([record(store.appliedLsn + 1, part)]);
    const rollups = await Rollups.open(store);
    const events = generateSiteDay(A, DAYS[0]!, { days: DAYS, visitsPerDay: 20, seed: 7 }, 7);
    const half = Math.floor(events.length / 2);
    await append(events.slice(0, half));
    await rollups.refreshAll();
    // Same count below the cut but another sum of ids: as if a rewrite had swapped rows of the site.
    await store.withWriter((c) => c.run('UPDATE rollups.main.state SET id_sum = id_sum + 1'));
    await append(events.slice(half, half + 5));
    // As after a restart: a process that has not refreshed the day yet checks the rows below the cut.
    const restarted = await Rollups.open(store);
    expect(await restarted.refreshAll()).toEqual([{ day: DAYS[0], recomputed: [A.id], incremental: [], removed: [] }]);
    // Untouched, the next append is added incrementally.
    await append(events.slice(half + 5));
    expect(await restarted.refreshAll()).toEqual([{ day: DAYS[0], recomputed: [A.id], incremental: [A.id], removed: [] }]);
  });

  it('notices a rewrite of the day file that the rollups were not told of', async () => {
    const { store } = await openStore();
    const append = (part: EventRecord[]) => store.apply([record(store.appliedLsn + 1, part)]);
    const rollups = await Rollups.open(store);
    const opts = { days: DAYS, visitsPerDay: 20, seed: 9 };
    const a = generateSiteDay(A, DAYS[0]!, opts, 9);
    const b = generateSiteDay(C, DAYS[0]!, opts, 10);
    await append([...a.slice(0, 40), ...b]);
    await rollups.refreshAll();
    // One more refresh of the day, so that the next plan may trust what the state counted.
    await append(a.slice(40, 45));
    expect(await rollups.refreshAll()).toEqual([{ day: DAYS[0], recomputed: [A.id], incremental: [A.id], removed: [] }]);
    // C's rows go from the store alone: A's rows are renumbered below the cut its state holds.
    await store.rewriteWithout(C.id);
    await append(a.slice(45));
    expect(await rollups.refreshAll()).toEqual([{ day: DAYS[0], recomputed: [A.id], incremental: [], removed: [C.id] }]);
    const incremental = await snapshot(store);
    await store.withWriter((c) => c.run('DELETE FROM rollups.main.state'));
    await rollups.refreshAll();
    const whole = await snapshot(store);
    for (const t of Object.keys(SUM_TABLES)) expect(incremental[t], t).toEqual(whole[t]);
  });
});
