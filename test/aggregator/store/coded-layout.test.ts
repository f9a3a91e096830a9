// The coded day layout (day-layout.ts) against a real DuckDB: dimension columns are stored as dense
// integer codes with a `dims` dictionary, the `events` view gives back exactly the strings that went
// in, codes survive restarts and rolled-back transactions, and an erasure leaves none of the erased
// site's strings in the dictionary while every remaining row still decodes.
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it, onTestFinished } from 'vitest';
import { COLUMNS, duckType, type EventRecord } from '../../../core/event-contract.js';
import { encodeEventBatch } from '../../../ingest/pipeline/arrow-batch.js';
import { decodePayload } from '../../../aggregator/store/append-chunk.js';
import { dimsDDL, eventsViewDDL, isCoded, storedType } from '../../../aggregator/store/day-layout.js';
import { DimCodes } from '../../../aggregator/store/dim-codes.js';
import type { Store } from '../../../aggregator/store/store.js';
import { generateEvents } from './generate-events.js';
import { expectedRow, record, storeOpener, tempDir } from './helpers.js';

const A = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const B = '5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b';
const MAY1 = Date.UTC(2024, 4, 1);
const ALIAS = 'ev_20240501';
const CODED = COLUMNS.filter(isCoded).map((c) => c.name);

const open = storeOpener();

async function dims(store: Store): Promise<{ code: number; value: string | null }[]> {
  return (await store.query(`SELECT code, value FROM ${ALIAS}.main.dims ORDER BY code`)) as { code: number; value: string | null }[];
}

/** Every distinct non-NULL string of the coded columns in `events`. */
function codedStrings(events: readonly EventRecord[]): Set<string> {
  const out = new Set<string>();
  for (const e of events) for (const n of CODED) if (typeof e[n] === 'string') out.add(e[n]);
  return out;
}

/** The rows `SELECT * FROM events ORDER BY ts, event_id` returns for `events`. */
const inStoredOrder = (events: readonly EventRecord[]): Record<string, unknown>[] =>
  [...events].sort((x, y) => (x.ts as number) - (y.ts as number) || (x.event_id! < y.event_id! ? -1 : 1)).map(expectedRow);

async function expectDense(store: Store): Promise<void> {
  const d = await dims(store);
  expect(d.map((r) => r.code)).toEqual(d.map((_, i) => i));
  const values = d.map((r) => r.value).filter((v) => v !== null);
  expect(new Set(values).size).toBe(values.length);
}

describe('coded day files', () => {
  it('store dimension columns as dense integer codes, and the events view gives back the same rows', async () => {
    const { store } = await open();
    const events = generateEvents(300, { siteId: A, startMs: MAY1, seed: 11 });
    events[0]!.utm_campaign = 'Zürich 🏔️ 夏'; // not ASCII
    events[1]!.browser = null; // a NULL code
    await store.apply([record(1, events)]);

    const types = Object.fromEntries(
      (await store.query(`SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = '${ALIAS}' AND table_name = 'event_rows'`)).map((r) => [r.column_name, r.data_type]),
    );
    for (const col of COLUMNS) expect([col.name, types[col.name]]).toEqual([col.name, isCoded(col) ? 'UINTEGER' : duckType(col.kind)]);
    await expectDense(store);
    expect(new Set((await dims(store)).map((r) => r.value))).toEqual(codedStrings(events));
    expect(await store.query('SELECT * FROM events ORDER BY ts, event_id')).toEqual(
      inStoredOrder(events),
    );
  });

  it('keep their codes across a restart: known strings reuse them, new strings extend the dictionary', async () => {
    const { store, dir } = await open();
    const first = generateEvents(200, { siteId: A, startMs: MAY1, seed: 21 });
    await store.apply([record(1, first)]);
    const before = await dims(store);
    await store.close();

    const { store: again } = await open(dir);
    const second = generateEvents(200, { siteId: A, startMs: MAY1 + 3_600_000, seed: 22 });
    second[0]!.country = 'ZZ-new';
    await again.apply([record(2, second)]);
    const after = await dims(again);
    expect(after.slice(0, before.length)).toEqual(before);
    await expectDense(again);
    expect(new Set(after.map((r) => r.value))).toEqual(codedStrings([...first, ...second]));
    expect(await again.query(`SELECT count(*) AS n FROM events WHERE country = 'ZZ-new'`)).toEqual([{ n: 1 }]);
  });

  it('written before a contract column existed get it (as a code when coded) and a view that shows it', async () => {
    const dir = tempDir();
    onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
    const eventsDir = path.join(dir, 'store', 'events');
    fs.mkdirSync(eventsDir, { recursive: true });
    // A coded file from an older contract: no `email` (text) and no `form_id` (coded).
    const old = await DuckDBInstance.create(':memory:');
    const c = await old.connect();
    await c.run(`ATTACH '${path.join(eventsDir, '2024-05-01.duckdb')}' AS x`);
    const cols = COLUMNS.filter((col) => col.name !== 'email' && col.name !== 'form_id');
    await c.run(`CREATE TABLE x.main.event_rows (${cols.map((col) => `"${col.name}" ${storedType(col, 'coded')}`).join(', ')})`);
    await c.run(dimsDDL('x.main.dims'));
    await c.run(eventsViewDDL('x', cols.map((col) => col.name)));
    c.closeSync();
    old.closeSync();

    const { store } = await open(dir);
    const events = generateEvents(40, { siteId: A, startMs: MAY1, seed: 51 });
    events.forEach((e, i) => {
      e.email = i % 2 === 0 ? `user${i}@example.com` : undefined;
      e.form_id = i % 3 === 0 ? 'signup' : undefined;
    });
    expect((await store.apply([record(1, events)])).rows).toBe(40);
    const types = Object.fromEntries(
      (await store.query(`SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = '${ALIAS}' AND table_name = 'event_rows'`)).map((r) => [r.column_name, r.data_type]),
    );
    expect([types.email, types.form_id]).toEqual(['VARCHAR', 'UINTEGER']);
    expect(await store.query('SELECT * FROM events ORDER BY ts, event_id')).toEqual(
      inStoredOrder(events),
    );
  });

  it('forget the codes of a rolled-back transaction, so the dictionary stays dense', async () => {
    const dir = tempDir();
    onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
    const instance = await DuckDBInstance.create(path.join(dir, 'day.duckdb'));
    const conn = await instance.connect();
    onTestFinished(() => {
      conn.closeSync();
      instance.closeSync();
    });
    await conn.run(dimsDDL('day.main.dims'));
    const [batch] = decodePayload(encodeEventBatch(generateEvents(50, { siteId: A, startMs: MAY1, seed: 31 })));
    const [other] = decodePayload(encodeEventBatch(generateEvents(50, { siteId: B, startMs: MAY1, seed: 32 })));

    const codes = await DimCodes.load(conn, 'day');
    await conn.run('BEGIN');
    codes.code(other!);
    await codes.flush(conn, 'day');
    await conn.run('ROLLBACK');
    codes.rollback();
    expect(codes.size).toBe(0);

    await conn.run('BEGIN');
    const coded = codes.code(batch!);
    await codes.flush(conn, 'day');
    await conn.run('COMMIT');
    codes.commit();
    // The same codes a dictionary loaded fresh from the file hands out.
    const reloaded = await DimCodes.load(conn, 'day');
    expect(reloaded.size).toBe(codes.size);
    expect(reloaded.code(batch!)).toEqual(coded);
    expect(reloaded.size).toBe(codes.size);
  });

  it('after erasing a site, blank only the strings no remaining row uses, keep codes dense, and decode the rest', async () => {
    const { store, dir } = await open();
    const a = generateEvents(100, { siteId: A, startMs: MAY1, seed: 41 });
    const b = generateEvents(100, { siteId: B, startMs: MAY1, seed: 42 });
    a.forEach((e) => {
      e.hostname = 'only-a.example';
      e.utm_campaign = 'campaign-of-a';
    });
    b.forEach((e) => {
      e.hostname = 'only-b.example';
    });
    await store.apply([record(1, a), record(2, b)]);
    const before = await dims(store);
    await store.rewriteWithout(A);

    const after = await dims(store);
    expect(after.map((r) => r.code)).toEqual(before.map((r) => r.code));
    const kept = codedStrings(b);
    for (const [i, r] of after.entries()) expect(r.value).toBe(kept.has(before[i]!.value!) ? before[i]!.value : null);
    expect(after.some((r) => r.value === A)).toBe(false);
    expect(await store.query('SELECT * FROM events ORDER BY ts, event_id')).toEqual(
      inStoredOrder(b),
    );
    // A blanked string seen again gets a new code at the end.
    await store.apply([record(3, generateEvents(1, { siteId: B, startMs: MAY1 + 60_000, seed: 43 }).map((e) => ({ ...e, utm_campaign: 'campaign-of-a' })))]);
    const again = (await dims(store)).filter((r) => r.value === 'campaign-of-a');
    expect(again).toHaveLength(1);
    expect(again[0]!.code).toBeGreaterThanOrEqual(after.length);
    await expectDense(store);
    await store.checkpoint();
    expect(fs.existsSync(path.join(dir, 'store', 'events', '2024-05-01.duckdb'))).toBe(true);
  });
});
