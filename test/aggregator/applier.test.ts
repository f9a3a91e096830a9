// The applier between the log and the store, against a real WriteAheadLog and a real Store (DuckDB in
// a temp dir): under load it applies row-group-sized transactions as soon as enough rows wait (not
// on the timer), records arriving during an apply do not turn into a train of small applies, and a
// quiet trickle is applied by the timer.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Applier, type LogRecord } from '../../aggregator/applier.js';
import { WriteAheadLog } from '../../ingest/log/write-ahead-log.js';
import { encodeEventBatch } from '../../ingest/pipeline/arrow-batch.js';
import type { Store } from '../../aggregator/store/store.js';
import { generateEvents } from './store/generate-events.js';
import { storeOpener } from './store/helpers.js';

const SITE = '6a1f0c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b';
const open = storeOpener();

/** A store whose apply() is the real one, counting each call's record count. */
function counting(store: Store): { target: Store; applies: number[] } {
  const applies: number[] = [];
  const target = Object.create(store) as Store;
  target.apply = async (records) => {
    applies.push(records.length);
    return store.apply(records);
  };
  return { target, applies };
}

async function setup(opts: { flushMs: number; chunkRows: number }) {
  const { store, dir } = await open();
  const log = await WriteAheadLog.open(path.join(dir, 'log'), { segmentBytes: 1 << 20 });
  const { target, applies } = counting(store);
  const applier = new Applier(target, log, opts);
  let start = Date.UTC(2024, 4, 1, 10);
  let seed = 1;
  /** Appends `n` generated events to the log as one record and hands it to the applier. */
  const feed = async (n: number): Promise<LogRecord> => {
    const events = generateEvents(n, { siteId: SITE, startMs: start, spreadMs: 1, seed: seed++ });
    start += 2000;
    const payload = encodeEventBatch(events);
    const lsn = await log.append(payload);
    const rec = { lsn, payload, rows: n };
    applier.enqueue(rec);
    return rec;
  };
  const rows = async (): Promise<number> => Number((await store.query('SELECT count(*) AS n FROM events'))[0]!.n);
  const cleanup = async (): Promise<void> => {
    await applier.close();
    await log.close();
  };
  return { applier, applies, feed, rows, cleanup };
}

const until = async (cond: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('Applier', () => {
  it('applies as soon as chunkRows rows wait, without waiting for the timer', async () => {
    const t = await setup({ flushMs: 60_000, chunkRows: 1000 });
    for (let i = 0; i < 4; i++) await t.feed(200);
    // 800 rows: below the threshold, and the timer is a minute away.
    await new Promise((r) => setTimeout(r, 200));
    expect(t.applies).toEqual([]);
    await t.feed(200);
    await until(async () => (await t.rows()) === 1000);
    expect(t.applies).toEqual([5]);
    await t.cleanup();
  });

  it('gathers records that arrive during an apply into the next one, not one apply each', async () => {
    const t = await setup({ flushMs: 60_000, chunkRows: 2000 });
    for (let i = 0; i < 10; i++) await t.feed(200);
    // The first apply is now running; 30 records arrive while it does.
    for (let i = 0; i < 30; i++) await t.feed(50);
    await until(() => t.applies.length >= 1);
    await t.applier.flush();
    expect(await t.rows()).toBe(3500);
    // Without the guard, every record arriving over the threshold queued its own apply (31 applies).
    expect(t.applies.length).toBeLessThanOrEqual(3);
    expect(t.applies.reduce((a, b) => a + b, 0)).toBe(40);
    await t.cleanup();
  });

  it('applies a quiet trickle on the timer', async () => {
    const t = await setup({ flushMs: 50, chunkRows: 1_000_000 });
    await t.feed(3);
    await until(async () => (await t.rows()) === 3);
    expect(t.applies).toEqual([1]);
    await t.cleanup();
  });
});
