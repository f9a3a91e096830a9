// Store lifecycle: one open per data dir, checkpoint folds every WAL into its file, and hosted code
// can write its own tables through the store's single writer.
import fs from 'node:fs';
import { describe, expect, it, onTestFinished } from 'vitest';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { COLUMNS, duckType } from '../../../core/event-contract.js';
import { Store, StoreLockedError } from '../../../aggregator/store/store.js';
import { generateEvents } from './generate-events.js';
import { allFiles, duckdbDefaultThreads, expectedRow, record, storeOpener, tempDir } from './helpers.js';

const open = storeOpener();

describe('Store lifecycle', () => {
  it('refuses a second open of the same data dir, and allows it after close', async () => {
    const { store, dir } = await open();
    await expect(Store.open(dir)).rejects.toBeInstanceOf(StoreLockedError);
    await store.close();
    const { store: again } = await open(dir);
    expect(again.appliedLsn).toBe(0);
  });

  it("runs DuckDB with the thread count it is given (BEACONRY_DUCKDB_THREADS), DuckDB's default otherwise", async () => {
    const dir = tempDir();
    onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
    const one = await Store.open(dir, { threads: 1 });
    try {
      expect(await one.threads()).toBe(1);
    } finally {
      await one.close();
    }
    const duckDefault = await duckdbDefaultThreads();
    const { store } = await open(dir);
    expect(await store.threads()).toBe(duckDefault);
    expect(duckDefault).toBeGreaterThan(1);
  });

  it('checkpoint leaves no WAL behind for applied days and meta', async () => {
    const { store, dir } = await open();
    await store.sites.create('example.com');
    const site = '5d6e7f80-1a2b-4c3d-8e9f-0a1b2c3d4e5f';
    await store.apply([
      record(1, generateEvents(200, { siteId: site, startMs: Date.UTC(2024, 4, 1), seed: 1 })),
      record(2, generateEvents(200, { siteId: site, startMs: Date.UTC(2024, 4, 2), seed: 2 })),
    ]);
    expect(allFiles(dir).filter((f) => f.endsWith('.wal')).length).toBeGreaterThan(0);
    await store.checkpoint();
    expect(allFiles(dir).filter((f) => f.endsWith('.wal'))).toEqual([]);
    expect(store.appliedLsn).toBe(2);
  });

  it('runs hosted writes on the single writer, visible to reads', async () => {
    const { store } = await open();
    await store.withWriter(async (conn) => {
      await conn.run('CREATE TABLE meta.main.hosted (k VARCHAR, v INTEGER)');
      await conn.run(`INSERT INTO meta.main.hosted VALUES ('a', 1), ('b', 2)`);
    });
    expect(await store.query('SELECT k, v FROM meta.main.hosted ORDER BY k')).toEqual([
      { k: 'a', v: 1 },
      { k: 'b', v: 2 },
    ]);
  });

  it('brings a day file written before a contract column existed up to date, and appends in its order', async () => {
    const dir = tempDir();
    onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
    const eventsDir = path.join(dir, 'store', 'events');
    fs.mkdirSync(eventsDir, { recursive: true });
    // A file from an older contract: no `email` column (a middle one), no applied table.
    const old = await DuckDBInstance.create(path.join(eventsDir, '2024-05-01.duckdb'));
    const c = await old.connect();
    const cols = COLUMNS.filter((col) => col.name !== 'email').map((col) => `"${col.name}" ${duckType(col.kind)}`);
    await c.run(`CREATE TABLE events (${cols.join(', ')})`);
    c.closeSync();
    old.closeSync();

    const { store } = await open(dir);
    const site = '6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7b8c9d';
    const events = generateEvents(50, { siteId: site, startMs: Date.UTC(2024, 4, 1), seed: 5 });
    events.forEach((e, i) => {
      e.email = i % 2 === 0 ? `user${i}@example.com` : undefined;
    });
    expect((await store.apply([record(1, events)])).rows).toBe(50);
    expect(await store.query('SELECT * FROM events ORDER BY ts')).toEqual(events.map(expectedRow));
    const order = await store.query(`SELECT column_name FROM duckdb_columns() WHERE database_name = 'ev_20240501' AND table_name = 'events' ORDER BY column_index`);
    expect(order.at(-1)).toEqual({ column_name: 'email' });
  });
});
