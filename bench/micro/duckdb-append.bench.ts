// Micro-benchmark of the store's append path: 100k generated events (Arrow records of 1000 rows, as
// the pool sends them) into a DuckDB day file, through the store's DataChunk writer (text columns as
// strings, and as the store stores them: low-cardinality ones as integer codes), pulled by DuckDB
// (RowSource) as the store does or handed to an appender on this thread, versus naive twins
// (the appender fed value by value, INSERT per row) and the "stage everything, INSERT … SELECT
// anti-join" dedup alternative. Run: npx tsx bench/micro/duckdb-append.bench.ts
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Bench } from 'tinybench';
import {
  DuckDBInstance, DuckDBTimestampValue, DuckDBDateValue, type DuckDBAppender, type DuckDBConnection, type DuckDBPreparedStatement,
} from '@duckdb/node-api';
import { COLUMNS, eventsTableDDL, type EventRecord } from '../../core/event-contract.js';
import { encodeEventBatch } from '../../ingest/pipeline/arrow-batch.js';
import { ChunkAppender, decodePayload, type Run } from '../../aggregator/store/append-chunk.js';
import { RowSource } from '../../aggregator/store/row-source.js';
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
/**
 * Per task: the calling thread's busy time (event-loop utilization: what the edge would wait for,
 * since the store shares its thread) and the process's CPU, summed over calls.
 */
const usage = new Map<string, { calls: number; busyMs: number; cpuMs: number }>();
const add = (name: string, rows: number, fn: () => Promise<void>, hooks: { beforeEach?: () => Promise<void>; afterEach?: () => Promise<void> } = {}): void => {
  rowsPerIteration.set(name, rows);
  const u = { calls: 0, busyMs: 0, cpuMs: 0 };
  usage.set(name, u);
  bench.add(name, async () => {
    const elu = performance.eventLoopUtilization();
    const cpu = process.cpuUsage();
    await fn();
    const c = process.cpuUsage(cpu);
    u.calls++;
    u.busyMs += performance.eventLoopUtilization(elu).active;
    u.cpuMs += (c.user + c.system) / 1000;
  }, hooks);
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

add('DataChunk → appender on this thread → day file + COMMIT (no dedup)', N, async () => {
  await conn.run('BEGIN');
  const ap = await conn.createAppender('events', 'main', 'day');
  chunkAppender.append(ap, decodeAll());
  ap.closeSync();
  await conn.run('COMMIT');
}, { beforeEach: () => freshTable(conn) });

// The store's path: DuckDB pulls the same chunks through a table function (RowSource), so only the
// filling runs on this thread and DuckDB's threads append.
const rowSource = new RowSource(conn);
add('DataChunks pulled by INSERT … SELECT (RowSource) → day file + COMMIT', N, async () => {
  await conn.run('BEGIN');
  await rowSource.insert(conn, 'day.main.events', chunkAppender.columnTypes, chunkAppender.source(decodeAll()));
  await conn.run('COMMIT');
}, { beforeEach: () => freshTable(conn) });

// The store's layout: low-cardinality text as integer codes (DimCodes) in `event_rows`, strings in `dims`.
const codedAppender = new ChunkAppender(undefined, undefined, 'coded');
add('coded columns: DataChunks pulled by INSERT … SELECT → day file + COMMIT (the store\'s layout)', N, async () => {
  await conn.run('BEGIN');
  const dims = await DimCodes.load(conn, 'day');
  const runs = decodeAll().map((r) => ({ ...r, batch: dims.code(r.batch) }));
  await rowSource.insert(conn, 'day.main.event_rows', codedAppender.columnTypes, codedAppender.source(runs));
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
    'thread busy ms/iteration': Number((usage.get(t.name)!.busyMs / usage.get(t.name)!.calls).toFixed(1)),
    'process CPU ms/iteration': Number((usage.get(t.name)!.cpuMs / usage.get(t.name)!.calls).toFixed(1)),
    samples: r.latency.samplesCount,
  };
});
console.table(rows);
console.log(`total ${((performance.now() - started) / 1000).toFixed(1)} s`);

await big?.close();
conn.closeSync();
instance.closeSync();
fs.rmSync(root, { recursive: true, force: true });
