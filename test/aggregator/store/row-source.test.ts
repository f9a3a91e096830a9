// The store's append path against a real DuckDB: RowSource lets DuckDB pull ChunkAppender's chunks
// through a table function. The rows are the same as through an appender whatever the chunk size and
// in the same order, the event loop turns between chunks (the edge answers requests on this thread),
// and a failing producer fails the INSERT without leaving rows behind.
import { afterEach, describe, expect, it } from 'vitest';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { eventsTableDDL } from '../../../core/event-contract.js';
import { encodeEventBatch } from '../../../ingest/pipeline/arrow-batch.js';
import { ChunkAppender, EVENT_ID_COLUMN, decodePayload, type Run } from '../../../aggregator/store/append-chunk.js';
import { RowSource } from '../../../aggregator/store/row-source.js';
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

async function open(): Promise<{ c: DuckDBConnection; source: RowSource }> {
  const instance = await DuckDBInstance.create(':memory:');
  conn = await instance.connect();
  return { c: conn, source: new RowSource(conn) };
}

const count = async (c: DuckDBConnection, sql: string): Promise<number> => Number((await c.runAndReadAll(sql)).getRowsJS()[0]![0]);

/** `a` and `b` hold the same rows, every column (EXCEPT ALL keeps duplicates, so counts must match too). */
async function expectSameRows(c: DuckDBConnection, a: string, b: string): Promise<void> {
  expect(await count(c, `SELECT count(*) FROM (SELECT * FROM ${a} EXCEPT ALL SELECT * FROM ${b})`)).toBe(0);
  expect(await count(c, `SELECT count(*) FROM (SELECT * FROM ${b} EXCEPT ALL SELECT * FROM ${a})`)).toBe(0);
}

describe('RowSource', () => {
  it('inserts the same rows as an appender, in the runs\' order', async () => {
    const { c, source } = await open();
    await c.run(eventsTableDDL('pulled'));
    await c.run(eventsTableDDL('appended'));
    const runs = runsOf(ROWS);

    const ap = await c.createAppender('appended');
    expect(new ChunkAppender().append(ap, runs)).toBe(ROWS);
    ap.closeSync();

    const chunks = new ChunkAppender();
    expect(await source.insert(c, 'pulled', chunks.columnTypes, chunks.source(runs))).toBe(ROWS);
    expect(await count(c, 'SELECT count(*) FROM pulled')).toBe(ROWS);
    await expectSameRows(c, 'pulled', 'appended');

    // Row positions follow the runs (the rollups take rows at or past a position as the new ones).
    const ids = (await c.runAndReadAll('SELECT event_id FROM pulled ORDER BY rowid')).getRowsJS().map((r) => r[0]);
    const expected: unknown[] = [];
    for (const r of runs) {
      const col = r.batch.cols[EVENT_ID_COLUMN]!;
      if (col.tag !== 'fixed') throw new Error('event_id is fixed-width');
      const v = new BigUint64Array(col.values.buffer, col.values.byteOffset, r.batch.length);
      for (let i = r.start; i < r.end; i++) expected.push(v[i]);
    }
    expect(ids).toEqual(expected);
  });

  it('inserts the same rows with chunk sizes that are not powers of two or multiples of 64', async () => {
    const { c, source } = await open();
    const runs = runsOf(ROWS);
    await c.run(eventsTableDDL('whole'));
    const ap = await c.createAppender('whole');
    new ChunkAppender().append(ap, runs);
    ap.closeSync();
    for (const size of [1000, 100]) {
      await c.run(eventsTableDDL(`c${size}`));
      const chunks = new ChunkAppender(undefined, size);
      expect(await source.insert(c, `c${size}`, chunks.columnTypes, chunks.source(runs))).toBe(ROWS);
      await expectSameRows(c, `c${size}`, 'whole');
    }
  });

  it('gives the event loop turns while DuckDB pulls the chunks; an appender gives none', async () => {
    const { c, source } = await open();
    await c.run(eventsTableDDL('t'));
    const runs = runsOf(20_000);
    let turns = 0;
    let counting = true;
    const tick = (): void => {
      turns++;
      if (counting) setImmediate(tick);
    };

    // The control: an appender fills and appends every chunk before the event loop can turn.
    const ap = await c.createAppender('t');
    setImmediate(tick);
    new ChunkAppender().append(ap, runs);
    ap.closeSync();
    expect(turns).toBe(0);

    const chunks = new ChunkAppender(undefined, 1000);
    const inserting = source.insert(c, 't', chunks.columnTypes, chunks.source(runs));
    await inserting;
    counting = false;
    // 20 chunks, each its own task on this thread: the loop turned in between.
    expect(turns).toBeGreaterThanOrEqual(20);
    expect(await count(c, 'SELECT count(*) FROM t')).toBe(40_000);
  });

  it('fails the INSERT with the producer\'s error and leaves no rows once rolled back; the next insert works', async () => {
    const { c, source } = await open();
    await c.run(eventsTableDDL('t'));
    const chunks = new ChunkAppender(undefined, 500);
    const produce = chunks.source(runsOf(ROWS));
    let calls = 0;
    await c.run('BEGIN');
    await expect(
      source.insert(c, 't', chunks.columnTypes, (out) => {
        if (++calls === 3) throw new Error('payload damaged');
        return produce(out);
      }),
    ).rejects.toThrow(/payload damaged/);
    await c.run('ROLLBACK');
    expect(await count(c, 'SELECT count(*) FROM t')).toBe(0);

    const again = new ChunkAppender();
    expect(await source.insert(c, 't', again.columnTypes, again.source(runsOf(300)))).toBe(300);
  });

  it('refuses a token with no rows waiting', async () => {
    const { c } = await open();
    await expect(c.run('SELECT * FROM beaconry_rows(12345)')).rejects.toThrow(/no rows are waiting/);
  });
});
