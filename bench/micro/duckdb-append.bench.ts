// Micro-benchmark of the store's append path: 100k generated events (Arrow records of 1000 rows, as
// the pool sends them) into a DuckDB day file, through the store's DataChunk writer (text columns as
// strings, and as the store stores them: low-cardinality ones as integer codes), versus naive twins
// (the appender fed value by value, INSERT per row) and the "stage everything, INSERT … SELECT
// anti-join" dedup alternative. Run: npx tsx bench/micro/duckdb-append.bench.ts
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Bench } from 'tinybench';
import {
  DuckDBInstance, DuckDBTimestampValue, DuckDBDateValue, type DuckDBAppender, type DuckDBConnection, type DuckDBPreparedStatement,
} from '@duckdb/node-api';
import { COLUMNS, eventsTableDDL, type EventRecord } from '../../core/event-contract.js';
import { encodeEventBatch } from '../../ingest/pipeline/arrow-batch.js';
import { CHUNK_ROWS_YIELDING, ChunkAppender, decodePayload, type Run } from '../../aggregator/store/append-chunk.js';
import { Yielder } from '../../core/yielder.js';
import { dimsDDL, eventRowsDDL } from '../../aggregator/store/day-layout.js';
import { DimCodes } from '../../aggregator/store/dim-codes.js';
import { Store, type LogRecord } from '../../aggregator/store/store.js';
import { generateEvents } from '../../test/aggregator/store/generate-events.js';

const N = 100_000;
const RECORD_ROWS = 1000;
const INSERT_SAMPLE = 1000;
const PREFILL = 300_000;

const SITE = '3b9c1f6e-8f3a-4d2b-9c1e-5a6b7c8d9e0f';
const START = Date.UTC(2024, 4, 1);
const events = generateEvents(N, { siteId: SITE, startMs: START, spreadMs: 500 });
const records: LogRecord[] = [];
for (let i = 0; i < N; i += RECORD_ROWS) records.push({ lsn: records.length + 1, payload: encodeEventBatch(events.slice(i, i + RECORD_ROWS)) });
const payloadBytes = records.reduce((a, r) => a + r.payload.byteLength, 0);

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'beaconry-append-bench-'));
const instance = await DuckDBInstance.create(':memory:', { temp_directory: path.join(root, 'tmp') });
const conn = await instance.connect();
await conn.run(`ATTACH '${path.join(root, 'day.duckdb')}' AS day`);
const chunkAppender = new ChunkAppender();
const smallChunkAppender = new ChunkAppender(undefined, CHUNK_ROWS_YIELDING);

async function freshTable(c: DuckDBConnection): Promise<void> {
  await c.run('DROP TABLE IF EXISTS day.main.events');
  await c.run(eventsTableDDL('day.main.events'));
}

function decodeAll(): Run[] {
  const runs: Run[] = [];
  for (const r of records) for (const batch of decodePayload(r.payload)) runs.push({ batch, start: 0, end: batch.length, lsn: r.lsn });
  return runs;
}

/** The naive twin: one typed append call per value, straight from the pipeline's JS objects. */
function appendRowByRow(ap: DuckDBAppender, rows: readonly EventRecord[]): void {
  for (const e of rows) {
    for (const col of COLUMNS) {
      const v = e[col.name];
      if (v === undefined || v === null) {
        ap.appendNull();
        continue;
      }
      switch (col.kind) {
        case 'u64': ap.appendUBigInt(v as bigint); break;
        case 'timestamp': ap.appendTimestamp(new DuckDBTimestampValue(BigInt(v as number) * 1000n)); break;
        case 'date': ap.appendDate(new DuckDBDateValue(v as number)); break;
        case 'u8': ap.appendUTinyInt(v as number); break;
        case 'u32': ap.appendUInteger(v as number); break;
        case 'f64': ap.appendDouble(v as number); break;
        case 'bool': ap.appendBoolean(v as boolean); break;
        default: ap.appendVarchar(String(v));
      }
    }
    ap.endRow();
  }
}

function insertParams(e: EventRecord): (string | number | bigint | boolean | null)[] {
  return COLUMNS.map((col) => {
    const v = e[col.name];
    if (v === undefined || v === null) return null;
    if (col.kind === 'timestamp' || col.kind === 'date') return v as number;
    return v;
  });
}

const bench = new Bench({ iterations: 3, time: 0, warmupIterations: 1, warmupTime: 0 });
const rowsPerIteration = new Map<string, number>();
const add = (name: string, rows: number, fn: () => Promise<void>, hooks: { beforeEach?: () => Promise<void>; afterEach?: () => Promise<void> } = {}): void => {
  rowsPerIteration.set(name, rows);
  bench.add(name, fn, hooks);
};

// The JS half alone: Arrow decode + vectors filled, the chunk handed to an appender that drops it.
const dropChunks = { appendDataChunk: () => undefined } as unknown as DuckDBAppender;
add('decode Arrow + fill DataChunks only (no DuckDB append)', N, async () => {
  chunkAppender.append(dropChunks, decodeAll());
});

add('DataChunk → :memory: table (fill + DuckDB append, no disk)', N, async () => {
  await conn.run('CREATE OR REPLACE TEMP TABLE mem_events AS SELECT * FROM memory.main.no_events_bench');
  const ap = await conn.createAppender('mem_events', 'main', 'temp');
  chunkAppender.append(ap, decodeAll());
  ap.closeSync();
});

add('DataChunk → day file + COMMIT (store path, no dedup)', N, async () => {
  await conn.run('BEGIN');
  const ap = await conn.createAppender('events', 'main', 'day');
  chunkAppender.append(ap, decodeAll());
  ap.closeSync();
  await conn.run('COMMIT');
}, { beforeEach: () => freshTable(conn) });

// The store appends CHUNK_ROWS_YIELDING rows at a time (one event-loop slice each): same cost per row?
add(`DataChunk of ${CHUNK_ROWS_YIELDING} rows → day file + COMMIT (the store's chunk size)`, N, async () => {
  await conn.run('BEGIN');
  const ap = await conn.createAppender('events', 'main', 'day');
  // Flushed after every chunk, as the store does; a slice that never ends, so no event-loop turns.
  await smallChunkAppender.appendYielding(ap, decodeAll(), new Yielder(Infinity));
  ap.closeSync();
  await conn.run('COMMIT');
}, { beforeEach: () => freshTable(conn) });

// The store's layout: low-cardinality text as integer codes (DimCodes) in `event_rows`, strings in `dims`.
const codedAppender = new ChunkAppender(undefined, CHUNK_ROWS_YIELDING, 'coded');
add(`coded columns: DataChunk of ${CHUNK_ROWS_YIELDING} rows → day file + COMMIT (the store's layout)`, N, async () => {
  await conn.run('BEGIN');
  const dims = await DimCodes.load(conn, 'day');
  const runs = decodeAll().map((r) => ({ ...r, batch: dims.code(r.batch) }));
  const ap = await conn.createAppender('event_rows', 'main', 'day');
  await codedAppender.appendYielding(ap, runs, new Yielder(Infinity));
  ap.closeSync();
  await dims.flush(conn, 'day');
  await conn.run('COMMIT');
  dims.commit();
}, {
  beforeEach: async () => {
    await conn.run('DROP TABLE IF EXISTS day.main.event_rows');
    await conn.run('DROP TABLE IF EXISTS day.main.dims');
    await conn.run(eventRowsDDL('day.main.event_rows'));
    await conn.run(dimsDDL('day.main.dims'));
  },
});

let store: Store | undefined;
let storeDir = '';
add('Store.apply into a new day: Bloom dedup + DataChunk + COMMIT', N, async () => {
  const res = await store!.apply(records);
  if (res.rows !== N) throw new Error(`applied ${res.rows}`);
}, {
  beforeEach: async () => {
    storeDir = fs.mkdtempSync(path.join(root, 'store-'));
    store = await Store.open(storeDir);
  },
  afterEach: async () => {
    await store?.close();
    fs.rmSync(storeDir, { recursive: true, force: true });
  },
});

// Dedup cost must not grow with the day: apply into a day that already holds PREFILL+ rows.
let big: Store | undefined;
let bigLsn = 0;
let bigSeed = 100;
let bigNext: LogRecord[] = [];
const bigDir = fs.mkdtempSync(path.join(root, 'big-'));
/** Another 100k events of the same day with new ids (same ids would all, rightly, be duplicates). */
function freshRecords(): LogRecord[] {
  const evs = generateEvents(N, { siteId: SITE, startMs: START, spreadMs: 500, seed: ++bigSeed });
  const out: LogRecord[] = [];
  for (let i = 0; i < N; i += RECORD_ROWS) out.push({ lsn: ++bigLsn, payload: encodeEventBatch(evs.slice(i, i + RECORD_ROWS)) });
  return out;
}
add(`Store.apply into a day already holding ≥ ${PREFILL / 1000}k rows`, N, async () => {
  const res = await big!.apply(bigNext);
  if (res.rows !== N) throw new Error(`applied ${res.rows}`);
}, {
  beforeEach: async () => {
    if (!big) {
      big = await Store.open(bigDir);
      for (let k = 0; k < PREFILL / N; k++) await big.apply(freshRecords());
    }
    bigNext = freshRecords();
  },
});

add('alt dedup: stage all columns in TEMP + INSERT … SELECT anti-join + COMMIT', N, async () => {
  await conn.run('BEGIN');
  await conn.run('DELETE FROM temp.main.staging');
  const ap = await conn.createAppender('staging', 'main', 'temp');
  chunkAppender.append(ap, decodeAll());
  ap.closeSync();
  await conn.run(`INSERT INTO day.main.events SELECT * FROM temp.main.staging s
    WHERE NOT EXISTS (SELECT 1 FROM day.main.events e WHERE e.event_id = s.event_id)
    QUALIFY row_number() OVER (PARTITION BY event_id) = 1`);
  await conn.run('COMMIT');
}, { beforeEach: () => freshTable(conn) });

add('naive: appender value by value (appendVarchar …) + COMMIT', N, async () => {
  await conn.run('BEGIN');
  const ap = await conn.createAppender('events', 'main', 'day');
  appendRowByRow(ap, events);
  ap.closeSync();
  await conn.run('COMMIT');
}, { beforeEach: () => freshTable(conn) });

let insert: DuckDBPreparedStatement | undefined;
add(`naive: INSERT per row, prepared (${INSERT_SAMPLE}-row sample) + COMMIT`, INSERT_SAMPLE, async () => {
  await conn.run('BEGIN');
  for (const e of events.slice(0, INSERT_SAMPLE)) {
    insert!.bind(insertParams(e));
    await insert!.run();
  }
  await conn.run('COMMIT');
}, {
  beforeEach: async () => {
    await freshTable(conn);
    const cols = COLUMNS.map((c, i) => (c.kind === 'timestamp' ? `epoch_ms($${i + 1}::BIGINT)` : c.kind === 'date' ? `DATE '1970-01-01' + $${i + 1}::INTEGER` : `$${i + 1}`));
    insert = await conn.prepare(`INSERT INTO day.main.events VALUES (${cols.join(', ')})`);
  },
});

await conn.run(eventsTableDDL('memory.main.no_events_bench'));
await conn.run(`CREATE TEMP TABLE staging AS SELECT * FROM memory.main.no_events_bench`);

console.log(`${N} events, ${records.length} Arrow records of ${RECORD_ROWS} rows (${(payloadBytes / N).toFixed(0)} IPC bytes/event), ${os.availableParallelism()} cores, DuckDB threads=${String((await conn.runAndReadAll(`SELECT current_setting('threads')`)).getRowsJS()[0]![0])}`);
const started = performance.now();
await bench.run();

const rows = bench.tasks.map((t) => {
  const r = t.result;
  if (r.state !== 'completed') return { task: t.name, 'rows/s': r.state === 'errored' ? String(r.error) : r.state };
  const perIter = rowsPerIteration.get(t.name)!;
  return {
    task: t.name,
    'ms/iteration (mean)': Number(r.latency.mean.toFixed(1)),
    'rows/iteration': perIter,
    'rows/s': Math.round(perIter / (r.latency.mean / 1000)),
    samples: r.latency.samplesCount,
  };
});
console.table(rows);
console.log(`total ${((performance.now() - started) / 1000).toFixed(1)} s`);

await big?.close();
conn.closeSync();
instance.closeSync();
fs.rmSync(root, { recursive: true, force: true });
