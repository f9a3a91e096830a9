// ChunkAppender.appendYielding, the store's append path, against a real DuckDB: rows are the same
// whatever the chunk size, and the event loop gets turns while a large append runs (the edge answers
// requests on this thread).
import { afterEach, describe, expect, it } from 'vitest';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { eventsTableDDL } from '../../../core/event-contract.js';
import { Yielder } from '../../../core/yielder.js';
import { encodeEventBatch } from '../../../ingest/pipeline/arrow-batch.js';
import { CHUNK_ROWS_YIELDING, ChunkAppender, decodePayload, type Run } from '../../../aggregator/store/append-chunk.js';
import { generateEvents } from './generate-events.js';

const SITE = '7a1c2b3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const ROWS = 5000;

let conn: DuckDBConnection | undefined;
afterEach(() => {
  conn?.closeSync();
  conn = undefined;
});

/** Runs over records of uneven sizes, so chunks straddle record boundaries. */
function runsOf(n: number): Run[] {
  const events = generateEvents(n, { siteId: SITE, startMs: Date.UTC(2024, 4, 1), spreadMs: 1000 });
  const runs: Run[] = [];
  for (let at = 0, lsn = 1, size = 37; at < n; at += size, lsn++, size = (size * 7) % 701 + 1) {
    for (const batch of decodePayload(encodeEventBatch(events.slice(at, at + size)))) runs.push({ batch, start: 0, end: batch.length, lsn });
  }
  return runs;
}

describe('ChunkAppender.appendYielding', () => {
  it('stores the same rows as full-vector chunks, and lets the event loop turn between chunks', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    conn = await instance.connect();
    await conn.run(eventsTableDDL('small'));
    await conn.run(eventsTableDDL('whole'));
    const runs = runsOf(ROWS);

    const whole = await conn.createAppender('whole');
    expect(new ChunkAppender().append(whole, runs)).toBe(ROWS);
    whole.closeSync();

    // Count event-loop turns while the yielding append runs; a slice of 0 ms yields after every chunk.
    const small = await conn.createAppender('small');
    let turns = 0;
    let counting = true;
    const tick = (): void => {
      turns++;
      if (counting) setImmediate(tick);
    };
    setImmediate(tick);
    const appended = await new ChunkAppender(undefined, CHUNK_ROWS_YIELDING).appendYielding(small, runs, new Yielder(0));
    counting = false;
    small.closeSync();

    expect(appended).toBe(ROWS);
    expect(turns).toBeGreaterThanOrEqual(Math.ceil(ROWS / CHUNK_ROWS_YIELDING) - 1);
    const count = async (sql: string): Promise<number> => Number((await conn!.runAndReadAll(sql)).getRowsJS()[0]![0]);
    expect(await count('SELECT count(*) FROM small')).toBe(ROWS);
    // Every column of every row, both ways (EXCEPT ALL keeps duplicates, so counts must match too).
    expect(await count('SELECT count(*) FROM (SELECT * FROM small EXCEPT ALL SELECT * FROM whole)')).toBe(0);
    expect(await count('SELECT count(*) FROM (SELECT * FROM whole EXCEPT ALL SELECT * FROM small)')).toBe(0);
  });

  it('stores the same rows with chunk sizes that are not powers of two or multiples of 64', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    conn = await instance.connect();
    const runs = runsOf(ROWS);
    await conn.run(eventsTableDDL('whole'));
    const whole = await conn.createAppender('whole');
    new ChunkAppender().append(whole, runs);
    whole.closeSync();
    for (const size of [1000, 100]) {
      await conn.run(eventsTableDDL(`c${size}`));
      const ap = await conn.createAppender(`c${size}`);
      expect(await new ChunkAppender(undefined, size).appendYielding(ap, runs, new Yielder(Infinity))).toBe(ROWS);
      ap.closeSync();
      const diff = async (a: string, b: string): Promise<number> =>
        Number((await conn!.runAndReadAll(`SELECT count(*) FROM (SELECT * FROM ${a} EXCEPT ALL SELECT * FROM ${b})`)).getRowsJS()[0]![0]);
      expect(await diff(`c${size}`, 'whole')).toBe(0);
      expect(await diff('whole', `c${size}`)).toBe(0);
    }
  });

  it('holds the thread for one chunk at most when the slice never ends: no turn is taken', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    conn = await instance.connect();
    await conn.run(eventsTableDDL('t'));
    const ap = await conn.createAppender('t');
    let turns = 0;
    setImmediate(() => turns++);
    await new ChunkAppender(undefined, CHUNK_ROWS_YIELDING).appendYielding(ap, runsOf(2000), new Yielder(Infinity));
    ap.closeSync();
    // The control for the test above: without a due slice, appendYielding never gives a turn.
    expect(turns).toBe(0);
  });
});
