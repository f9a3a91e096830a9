// Store.apply against a real DuckDB in a temp dir: values and NULLs survive the Arrow → DataChunk
// path, rows land in their day's file, replay is exactly-once, re-sent event ids are stored once.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COLUMNS, type EventRecord } from '../../../core/event-contract.js';
import { Store } from '../../../aggregator/store/store.js';
import { generateEvents } from './generate-events.js';
import { expectedRow, record, storeOpener, tempDir } from './helpers.js';

const SITE = '2f0c8a7e-1b2d-4c3e-9f4a-5b6c7d8e9f01';
const DAY = 86_400_000;
const MAY1 = Date.UTC(2024, 4, 1);
const dayOf = (ms: number): number => Math.floor(ms / DAY);

const open = storeOpener();

const count = async (store: Store, where = 'true'): Promise<number> =>
  Number((await store.query(`SELECT count(*) AS n FROM events WHERE ${where}`))[0]!.n);

describe('Store.apply', () => {
  it('stores every column with its value and NULLs as the pipeline encoded them', async () => {
    const { store } = await open();
    const base = generateEvents(3, { siteId: SITE, startMs: MAY1 });
    const edge: EventRecord[] = [
      {
        ...base[0]!,
        event_id: 18446744073709551615n, // u64 max: beyond 2^53, comes back as a string
        visitor_id: 0n,
        session_id: 9007199254740993n,
        pathname: '', // empty but not NULL
        referrer: 'abcdefghijkl', // exactly 12 bytes: the inline limit
        utm_source: 'abcdefghijklm', // 13 bytes: one past it
        utm_medium: 'ääääää', // 12 bytes, not ASCII
        utm_campaign: 'Zürich 🏔️ 夏',
        copy_text: 'x'.repeat(800),
        props: '{"k":"' + 'v'.repeat(1990) + '"}',
        scroll_depth: 100,
        engaged_ms: 86_400_000,
        revenue_amount: 1234.5678,
        revenue_currency: 'EUR',
        interactive: false,
        user_id: 'user-1',
        email: 'a@example.com',
        traits: '{"plan":"pro"}',
      },
      {
        ...base[1]!,
        ts: MAY1 + 999, // milliseconds survive ms → µs
        referrer: undefined,
        referrer_source: undefined,
        channel: undefined,
        country: undefined,
        scroll_depth: 0,
        engaged_ms: undefined,
        revenue_amount: undefined,
        interactive: true,
      },
      { ...base[2]!, hostname: 'a-very-long-hostname.example.com', name: 'signup' },
    ];
    const res = await store.apply([record(1, edge)]);
    expect(res).toEqual({ rows: 3, duplicates: 0, days: ['2024-05-01'] });
    const rows = await store.query(`SELECT * FROM events ORDER BY ts`);
    expect(rows).toEqual(edge.map(expectedRow).sort((a, b) => (a.ts as Date).getTime() - (b.ts as Date).getTime()));
  });

  it('writes many records of mixed sizes into full chunks without mixing up rows', async () => {
    const { store } = await open();
    // 37 records of 1..400 rows: chunks of 2048 are assembled from many unaligned pieces, and long
    // repeated strings (dictionary and plain) take the struct-copy path within a chunk.
    const events = generateEvents(7000, { siteId: SITE, startMs: MAY1, spreadMs: 10, seed: 7 });
    events.forEach((e, i) => {
      if (i % 3 === 0) e.referrer = `https://referrer.example.org/some/long/path/${i % 5}`;
      if (i % 7 === 0) e.link_url = undefined;
      else e.link_url = `https://outbound.example.net/${i % 2 === 0 ? 'same-long-target-url' : i}`;
    });
    const records = [];
    let at = 0;
    for (let lsn = 1; at < events.length; lsn++) {
      const n = Math.min(events.length - at, 1 + ((lsn * 97) % 400));
      records.push(record(lsn, events.slice(at, at + n)));
      at += n;
    }
    const res = await store.apply(records);
    expect(res.rows).toBe(events.length);
    const rows = await store.query(`SELECT * FROM events ORDER BY ts`);
    expect(rows).toEqual(events.map(expectedRow));
  });

  it('puts each row in the file of its own site-local day', async () => {
    const { store } = await open();
    const events = [
      ...generateEvents(5, { siteId: SITE, startMs: MAY1, day: dayOf(MAY1), seed: 1 }),
      ...generateEvents(4, { siteId: SITE, startMs: MAY1 + DAY, day: dayOf(MAY1) + 1, seed: 2 }),
      ...generateEvents(3, { siteId: SITE, startMs: MAY1 + 2 * DAY, day: dayOf(MAY1) + 2, seed: 3 }),
    ];
    // The `day` column decides, not ts: 23:30 UTC on May 1 is May 2 in Berlin.
    events[0]!.ts = MAY1 + 23.5 * 3600_000;
    events[0]!.day = dayOf(MAY1) + 1;
    const res = await store.apply([record(1, events)]);
    expect(res.days).toEqual(['2024-05-01', '2024-05-02', '2024-05-03']);
    const parts = store.partitions();
    expect(parts.map((p) => p.day)).toEqual(['2024-05-01', '2024-05-02', '2024-05-03']);
    for (const p of parts) {
      expect(p.file.endsWith(`/store/events/${p.day}.duckdb`)).toBe(true);
      expect(fs.existsSync(p.file)).toBe(true);
    }
    const perFile = await store.query(
      `SELECT (SELECT count(*) FROM ev_20240501.main.events) AS d1,
              (SELECT count(*) FROM ev_20240502.main.events) AS d2,
              (SELECT count(*) FROM ev_20240503.main.events) AS d3,
              (SELECT count(*) FROM ev_20240502.main.events WHERE day <> DATE '2024-05-02') AS stray`,
    );
    expect(perFile[0]).toEqual({ d1: 4, d2: 5, d3: 3, stray: 0 });
    const from = await store.query(`SELECT count(*) AS n FROM ${store.eventsFrom('2024-05-02', '2024-05-03')} AS e WHERE e.site_id = $1`, [SITE]);
    expect(from[0]!.n).toBe(8);
    const none = await store.query(`SELECT count(*) AS n FROM ${store.eventsFrom('2023-01-01', '2023-01-31')} AS e`);
    expect(none[0]!.n).toBe(0);
  });

  it('applies a record once: the same records again, or again after reopening, add nothing', async () => {
    const { store, dir } = await open();
    const records = [1, 2, 3].map((lsn) => record(lsn, generateEvents(50, { siteId: SITE, startMs: MAY1 + lsn * 100_000, seed: lsn })));
    expect((await store.apply(records)).rows).toBe(150);
    expect(store.appliedLsn).toBe(3);
    expect(await store.apply(records)).toEqual({ rows: 0, duplicates: 0, days: [] });
    await store.close();

    const { store: again } = await open(dir);
    expect(again.appliedLsn).toBe(3);
    // A replay from an older position: the prefix is skipped, the new record is applied.
    const next = record(4, generateEvents(10, { siteId: SITE, startMs: MAY1 + 900_000, seed: 4 }));
    expect((await again.apply([...records.slice(1), next])).rows).toBe(10);
    expect(again.appliedLsn).toBe(4);
    expect(await count(again)).toBe(160);
  });

  it('is exactly-once when a crash falls between two day transactions of one apply', async () => {
    const { store, dir } = await open();
    const multiDay = [
      ...generateEvents(20, { siteId: SITE, startMs: MAY1, seed: 1 }),
      ...generateEvents(30, { siteId: SITE, startMs: MAY1 + DAY, seed: 2 }),
    ];
    const records = [record(1, generateEvents(5, { siteId: SITE, startMs: MAY1 + 3600_000, seed: 9 })), record(2, multiDay)];
    // Only May 1 commits; May 2's transaction and the global LSN never happen.
    const partial = await store._applyDaysOnly(records, ['2024-05-01']);
    expect(partial.rows).toBe(25);
    expect(store.appliedLsn).toBe(0);
    await store.close();

    const { store: again } = await open(dir);
    expect(again.appliedLsn).toBe(0);
    const res = await again.apply(records);
    // May 1 already holds LSN 2 and is skipped by its own applied LSN, not by dedup.
    expect(res).toEqual({ rows: 30, duplicates: 0, days: ['2024-05-02'] });
    expect(again.appliedLsn).toBe(2);
    expect(await count(again)).toBe(55);
    expect(Number((await again.query('SELECT count(DISTINCT event_id) AS n FROM events'))[0]!.n)).toBe(55);
  });

  it('stores a re-sent event id once: later record, same call, and across the previous day', async () => {
    const { store } = await open();
    const first = generateEvents(40, { siteId: SITE, startMs: MAY1 + 3600_000, seed: 1 });
    expect((await store.apply([record(1, first)])).rows).toBe(40);

    // A client re-sends half of the batch (new log record, same ids) plus 5 new events.
    const fresh = generateEvents(5, { siteId: SITE, startMs: MAY1 + 7200_000, seed: 2 });
    const resent = await store.apply([record(2, [...first.slice(0, 20), ...fresh])]);
    expect(resent).toEqual({ rows: 5, duplicates: 20, days: ['2024-05-01'] });

    // Two records in one call carrying the same new ids: the first copy wins.
    const twice = generateEvents(8, { siteId: SITE, startMs: MAY1 + 10_800_000, seed: 3 });
    const same = await store.apply([record(3, twice), record(4, twice.map((e) => ({ ...e, pathname: '/second-copy' })))]);
    expect(same).toEqual({ rows: 8, duplicates: 8, days: ['2024-05-01'] });
    expect(await count(store, `pathname = '/second-copy'`)).toBe(0);

    // A retry whose timestamp moved it to the next day (e.g. a clock fixed in between) is still a duplicate.
    const nextDay = first.slice(30, 35).map((e) => ({ ...e, ts: MAY1 + DAY + 60_000, day: dayOf(MAY1) + 1 }));
    const across = await store.apply([record(5, [...nextDay, ...generateEvents(3, { siteId: SITE, startMs: MAY1 + DAY, seed: 4 })])]);
    expect(across).toEqual({ rows: 3, duplicates: 5, days: ['2024-05-02'] });

    expect(await count(store)).toBe(40 + 5 + 8 + 3);
    expect(Number((await store.query('SELECT count(DISTINCT event_id) AS n FROM events'))[0]!.n)).toBe(56);
  });

  it('still knows stored ids after a restart, for today and yesterday', async () => {
    const { store, dir } = await open();
    const yesterday = generateEvents(30, { siteId: SITE, startMs: MAY1 + 3600_000, seed: 1 });
    const today = generateEvents(30, { siteId: SITE, startMs: MAY1 + DAY + 3600_000, seed: 2 });
    await store.apply([record(1, yesterday), record(2, today)]);
    await store.close();

    const { store: again } = await open(dir);
    const moved = yesterday.slice(0, 10).map((e) => ({ ...e, ts: MAY1 + DAY + 7200_000, day: dayOf(MAY1) + 1 }));
    const res = await again.apply([record(3, [...today.slice(0, 10), ...moved, ...generateEvents(4, { siteId: SITE, startMs: MAY1 + DAY, seed: 3 })])]);
    expect(res).toEqual({ rows: 4, duplicates: 20, days: ['2024-05-02'] });
    expect(await count(again)).toBe(64);
  });

  it('refuses records out of LSN order and writes nothing for them', async () => {
    const { store } = await open();
    await expect(store.apply([record(2, generateEvents(1, { siteId: SITE })), record(1, generateEvents(1, { siteId: SITE, seed: 2 }))])).rejects.toThrow(/order/);
    expect(await count(store)).toBe(0);
    expect(store.appliedLsn).toBe(0);
  });

  it('answers read-only SQL only, with parameters', async () => {
    const { store } = await open();
    await store.apply([record(1, generateEvents(10, { siteId: SITE, startMs: MAY1 }))]);
    expect(await store.query('SELECT count(*) AS n FROM events WHERE site_id = $site', { site: SITE })).toEqual([{ n: 10 }]);
    await expect(store.query('DELETE FROM events')).rejects.toThrow();
    await expect(store.query(`CREATE TABLE memory.main.x (a INT)`)).rejects.toThrow(/SELECT/);
    expect(await count(store)).toBe(10);
    // The contract's columns, in its order, are what `SELECT *` gives.
    const cols = Object.keys((await store.query('SELECT * FROM events LIMIT 1'))[0]!);
    expect(cols).toEqual(COLUMNS.map((c) => c.name));
  });
});
