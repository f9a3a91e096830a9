// Retention and erasure as whole-file operations: dropped days leave the disk, a deleted site leaves
// no byte behind in any file under the data dir, and per-site retention drops or rewrites files.
import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Store } from '../../../aggregator/store/store.js';
import { generateEvents } from './generate-events.js';
import { filesContaining, record, storeOpener, tempDir } from './helpers.js';

const DAY = 86_400_000;
const MAY1 = Date.UTC(2024, 4, 1);

const open = storeOpener();

const count = async (store: Store, where = 'true', params?: unknown[]): Promise<number> =>
  Number((await store.query(`SELECT count(*) AS n FROM events WHERE ${where}`, params))[0]!.n);

describe('retention and erasure', () => {
  it('drops whole day files, and the store gets smaller on disk', async () => {
    const { store } = await open();
    const site = '0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d';
    const records = [0, 1, 2, 3, 4].map((d) => record(d + 1, generateEvents(3000, { siteId: site, startMs: MAY1 + d * DAY, spreadMs: 20, seed: d })));
    await store.apply(records);
    await store.checkpoint();
    const before = store.partitions();
    expect(before.map((p) => p.day)).toEqual(['2024-05-01', '2024-05-02', '2024-05-03', '2024-05-04', '2024-05-05']);
    const bytesBefore = store.totalBytes();

    const dropped = await store.dropPartitionsBefore('2024-05-04');
    expect(dropped).toEqual(['2024-05-01', '2024-05-02', '2024-05-03']);
    for (const p of before.slice(0, 3)) {
      expect(fs.existsSync(p.file)).toBe(false);
      expect(fs.existsSync(`${p.file}.wal`)).toBe(false);
    }
    expect(store.partitions().map((p) => p.day)).toEqual(['2024-05-04', '2024-05-05']);
    const bytesAfter = store.totalBytes();
    const droppedBytes = before.slice(0, 3).reduce((a, p) => a + p.bytes, 0);
    expect(bytesAfter).toBe(bytesBefore - droppedBytes);
    expect(bytesAfter).toBeLessThan(bytesBefore * 0.6);
    expect(await count(store)).toBe(6000);
  });

  it('deletes a site so that no file under the data dir holds its marker, its domain or its key hash', async () => {
    const { store, dir } = await open();
    const marker = `/marker-${randomBytes(12).toString('hex')}`;
    const domain = `erase-${randomBytes(6).toString('hex')}.example`;
    const gone = await store.sites.create(domain, { timezone: 'Europe/Berlin' });
    const kept = await store.sites.create('kept.example');
    const key = await store.keys.create(gone.id);

    const goneEvents = generateEvents(4000, { siteId: gone.id, startMs: MAY1, spreadMs: 30, seed: 1 });
    goneEvents.forEach((e, i) => {
      if (i % 5 === 0) e.pathname = marker;
    });
    const keptEvents = generateEvents(4000, { siteId: kept.id, startMs: MAY1, spreadMs: 30, seed: 2 });
    // Mixed records, over two days, so the marker shares files with a site that stays.
    await store.apply([
      record(1, [...goneEvents.slice(0, 2000), ...keptEvents.slice(0, 2000)]),
      record(2, [...goneEvents.slice(2000), ...keptEvents.slice(2000)].map((e) => ({ ...e, ts: (e.ts as number) + DAY, day: (e.day as number) + 1 }))),
    ]);
    // The search finds what is there: in the WAL before a checkpoint, in the day files after one.
    expect(filesContaining(dir, marker).length).toBeGreaterThan(0);
    await store.checkpoint();
    expect(filesContaining(dir, marker).some((f) => f.endsWith('.duckdb'))).toBe(true);
    expect(filesContaining(dir, domain).length).toBeGreaterThan(0);
    expect(filesContaining(dir, key.record.hash).length).toBeGreaterThan(0);
    const bytesBefore = store.totalBytes();

    await store.sites.delete(gone.id);
    await store.checkpoint();

    expect(filesContaining(dir, marker)).toEqual([]);
    expect(filesContaining(dir, domain)).toEqual([]);
    expect(filesContaining(dir, key.record.hash)).toEqual([]);
    expect(filesContaining(dir, gone.publicKey)).toEqual([]);
    expect(store.totalBytes()).toBeLessThan(bytesBefore);

    expect(await count(store, 'site_id = $1', [gone.id])).toBe(0);
    expect(await count(store, 'site_id = $1', [kept.id])).toBe(4000);
    expect(await store.sites.get(gone.id)).toBeUndefined();
    expect((await store.keys.all()).filter((k) => k.siteId === gone.id)).toEqual([]);
    expect((await store.sites.list()).map((s) => s.domain)).toEqual(['kept.example']);

    // Records for the deleted site still on their way through the log do not bring it back.
    const late = await store.apply([record(3, generateEvents(10, { siteId: gone.id, startMs: MAY1 + 3600_000, seed: 3 }))]);
    expect(late.rows).toBe(0);
    expect(store.appliedLsn).toBe(3);
    await store.close();

    // And it all holds after a restart.
    const { store: again } = await open(dir);
    expect(await again.sites.get(domain)).toBeUndefined();
    expect(await count(again, 'site_id = $1', [kept.id])).toBe(4000);
    expect((await again.apply([record(4, generateEvents(5, { siteId: gone.id, seed: 4 }))])).rows).toBe(0);
  });

  it('keeps concurrent reads whole while files are swapped under them', async () => {
    const { store } = await open();
    const gone = await store.sites.create('gone.example');
    const kept = await store.sites.create('kept.example');
    const records = [0, 1, 2].map((d) =>
      record(d + 1, [
        ...generateEvents(1000, { siteId: gone.id, startMs: MAY1 + d * DAY, seed: d }),
        ...generateEvents(1000, { siteId: kept.id, startMs: MAY1 + d * DAY, seed: d + 10 }),
      ]),
    );
    await store.apply(records);
    const reads: Promise<number>[] = [];
    const erasing = store.sites.delete(gone.id);
    for (let i = 0; i < 40; i++) {
      reads.push(count(store, 'site_id = $1', [kept.id]));
      await new Promise((r) => setImmediate(r));
    }
    await erasing;
    // Every read saw all three days of the kept site: none ran between a detach and its re-attach.
    expect(await Promise.all(reads)).toEqual(reads.map(() => 3000));
    expect(await count(store, 'site_id = $1', [gone.id])).toBe(0);
  });

  it('rewrites only the asked days when erasing a site from some partitions', async () => {
    const { store } = await open();
    const a = 'aaaaaaaa-0000-4000-8000-000000000001';
    const b = 'bbbbbbbb-0000-4000-8000-000000000002';
    await store.apply([
      record(1, [
        ...generateEvents(100, { siteId: a, startMs: MAY1, seed: 1 }),
        ...generateEvents(100, { siteId: b, startMs: MAY1, seed: 2 }),
        ...generateEvents(100, { siteId: a, startMs: MAY1 + DAY, seed: 3 }),
      ]),
    ]);
    await store.rewriteWithout(a, ['2024-05-01']);
    expect(await store.query(`SELECT day, site_id, count(*) AS n FROM events GROUP BY ALL ORDER BY ALL`)).toEqual([
      { day: '2024-05-01', site_id: b, n: 100 },
      { day: '2024-05-02', site_id: a, n: 100 },
    ]);
    // The applied LSN travels with the rewritten file: a replay of LSN 1 adds nothing.
    expect((await store.apply([record(1, generateEvents(1, { siteId: b, seed: 9 }))])).rows).toBe(0);
  });

  it('applies each site its own retention window by dropping or rewriting whole files', async () => {
    const { store } = await open();
    const short = await store.sites.create('short.example', { retentionDays: 15 });
    const long = await store.sites.create('long.example', { retentionDays: 30, timezone: 'America/New_York' });
    const now = Date.UTC(2024, 5, 1, 12); // 2024-06-01 in both zones
    const days = [40, 31, 20, 16, 14, 1]; // days before `now`
    let lsn = 0;
    for (const ago of days) {
      const start = now - ago * DAY;
      await store.apply([
        record(++lsn, [
          ...generateEvents(500, { siteId: short.id, startMs: start, seed: lsn }),
          ...generateEvents(500, { siteId: long.id, startMs: start, seed: lsn + 100 }),
        ]),
      ]);
    }
    await store.checkpoint();
    const bytesBefore = store.totalBytes();
    const res = await store.purgeExpired(now);
    // 30 days kept for long (from 2024-05-03), 15 for short (from 2024-05-18).
    expect(res.dropped).toEqual(['2024-04-22', '2024-05-01']);
    expect(res.rewritten).toEqual(['2024-05-12', '2024-05-16']);
    expect(await store.query(`SELECT day, count(*) FILTER (site_id = $1) AS short, count(*) FILTER (site_id = $2) AS long FROM events GROUP BY day ORDER BY day`, [short.id, long.id])).toEqual([
      { day: '2024-05-12', short: 0, long: 500 },
      { day: '2024-05-16', short: 0, long: 500 },
      { day: '2024-05-18', short: 500, long: 500 },
      { day: '2024-05-31', short: 500, long: 500 },
    ]);
    expect(store.totalBytes()).toBeLessThan(bytesBefore);
    // Nothing left to do the second time.
    expect(await store.purgeExpired(now)).toEqual({ dropped: [], rewritten: [] });
  });
});
