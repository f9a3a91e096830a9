// Retention (invariant 5): the scheduled purge removes each site's data past its window — day files
// dropped or rewritten whole, rollup rows by rewriting rollups.duckdb — and the store's files shrink.
// Also on the real server: the purge runs at start.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Store } from '../../../aggregator/store/store.js';
import { Rollups } from '../../../aggregator/rollups/rollups.js';
import { RetentionScheduler } from '../../../aggregator/erasure/retention-scheduler.js';
import { startServer, type TestServer } from '../../helpers/server.js';
import { tempDir } from '../store/helpers.js';
import { WriteAheadLog } from '../../../ingest/log/write-ahead-log.js';
import { dayRange, trafficRecords, writeTraffic } from '../rollups/traffic.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const NOW = Date.parse('2024-06-30T12:00:00Z');

describe('retention', () => {
  it('drops and rewrites whole files past each site’s window, rollups too, and the files shrink', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const store = await Store.open(dir);
    try {
      const short = await store.sites.create('short.example', { retentionDays: 15 });
      const long = await store.sites.create('long.example', { retentionDays: 30, timezone: 'Europe/Berlin' });
      // 40 days up to "today" (2024-06-30) for both sites.
      await writeTraffic(store, [{ id: short.id, timezone: short.timezone }, { id: long.id, timezone: long.timezone }], { days: dayRange('2024-06-30', 40), visitsPerDay: 40, seed: 21 });
      const rollups = await Rollups.open(store);
      await rollups.refreshAll();
      await store.checkpoint();
      await rollups.checkpoint();
      const storeBefore = store.totalBytes();
      const rollupsBefore = rollups.bytes();
      const filesBefore = store.partitions().length;

      const run = await new RetentionScheduler(store, rollups).runOnce(NOW);
      // long keeps 2024-06-01 … 06-30; short keeps 06-16 … 06-30.
      expect(run.dropped).toEqual(dayRange('2024-05-31', 10));
      expect(run.rewritten).toEqual(dayRange('2024-06-15', 15));
      expect(run.rollups).toBe(10 * 2 + 15);
      expect(store.partitions().length).toBe(filesBefore - 10);
      for (const d of run.dropped) expect(fs.existsSync(path.join(dir, 'store', 'events', `${d}.duckdb`))).toBe(false);

      const storeAfter = store.totalBytes();
      const rollupsAfter = rollups.bytes();
      expect(storeAfter).toBeLessThan(storeBefore);
      // rollups.duckdb is rewritten (a fresh file of the kept rows); at this size both fit in the
      // same few 256 KiB blocks, so it cannot grow, and the erasure tests show nothing stays in it.
      expect(rollupsAfter).toBeLessThanOrEqual(rollupsBefore);

      const firstDays = await store.query('SELECT site_id, min(day) AS first FROM events GROUP BY site_id ORDER BY first');
      expect(firstDays).toEqual([
        { site_id: long.id, first: '2024-06-01' },
        { site_id: short.id, first: '2024-06-16' },
      ]);
      const rollupDays = await store.query('SELECT site_id, min(day) AS first, count(*) AS n FROM rollups.main.state GROUP BY site_id ORDER BY first');
      expect(rollupDays).toEqual([
        { site_id: long.id, first: '2024-06-01', n: 30 },
        { site_id: short.id, first: '2024-06-16', n: 15 },
      ]);
      // Nothing left to purge: a second run changes nothing (and rewrites nothing).
      const again = await new RetentionScheduler(store, rollups).runOnce(NOW);
      expect(again).toEqual({ dropped: [], rewritten: [], rollups: 0 });
      expect(rollups.bytes()).toBe(rollupsAfter);
    } finally {
      await store.close();
    }
  });

  it('the server purges at start', async () => {
    const dir = tempDir();
    dirs.push(dir);
    // A data dir with a site and acknowledged events (in the log, as ingest leaves them) that are
    // all far older than the site's 15-day window: the server replays them, then purges at start.
    const store = await Store.open(dir);
    const site = await store.sites.create('old.example', { retentionDays: 15 });
    await store.close();
    const { records } = trafficRecords([{ id: site.id, timezone: 'UTC' }], { days: dayRange('2020-01-10', 3), visitsPerDay: 20, seed: 2 });
    const wal = await WriteAheadLog.open(path.join(dir, 'log'), { segmentBytes: 64 * 1024 * 1024 });
    for (const r of records) await wal.append(r.payload);
    await wal.close();
    const eventsDir = path.join(dir, 'store', 'events');
    let server: TestServer | undefined;
    try {
      server = await startServer({ dataDir: dir });
      const purged = (): boolean => server!.lines.some((l) => l.includes('"retention purge"'));
      for (let i = 0; i < 300 && !purged(); i++) await new Promise((r) => setTimeout(r, 100));
      const line = JSON.parse(server.lines.find((l) => l.includes('"retention purge"'))!) as { dropped: number };
      expect(line.dropped).toBe(3);
      expect(fs.readdirSync(eventsDir).filter((f) => f.endsWith('.duckdb'))).toEqual([]);
      expect(await server.query('SELECT count(*) AS n FROM events')).toEqual([{ n: 0 }]);
      expect(await server.query('SELECT count(*) AS n FROM rollups.main.state')).toEqual([{ n: 0 }]);
    } finally {
      await server?.stop();
    }
  });
});
