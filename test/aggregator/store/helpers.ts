// Shared pieces of the store tests: temp data dirs, log records from generated events, expected row
// values, a byte search over every file under a directory, stores opened and cleaned up per test, and
// DuckDB's own default thread count.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { COLUMNS, type EventRecord } from '../../../core/event-contract.js';
import { encodeEventBatch } from '../../../ingest/pipeline/arrow-batch.js';
import { afterEach } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { Store, type LogRecord } from '../../../aggregator/store/store.js';

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'beaconry-store-'));
}

/** The threads a DuckDB instance opened without settings gets (one per core). */
export async function duckdbDefaultThreads(): Promise<number> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    return Number((await conn.runAndReadAll("SELECT current_setting('threads')")).getRowsJS()[0]![0]);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

export function record(lsn: number, events: readonly EventRecord[]): LogRecord {
  return { lsn, payload: encodeEventBatch(events) };
}

/** The value Store.query returns for an event column, given the value the pipeline put in. */
export function expectedValue(kind: string, v: EventRecord[string]): unknown {
  if (v === undefined || v === null) return null;
  switch (kind) {
    case 'u64': {
      const b = v as bigint;
      return b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b.toString();
    }
    case 'timestamp':
      return new Date(v as number);
    case 'date':
      return new Date((v as number) * 86_400_000).toISOString().slice(0, 10);
    default:
      return v;
  }
}

export function expectedRow(e: EventRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const col of COLUMNS) out[col.name] = expectedValue(col.kind, e[col.name]);
  return out;
}

/** Every file under `dir` whose bytes contain `needle` (UTF-8). */
export function filesContaining(dir: string, needle: string): string[] {
  const bytes = Buffer.from(needle, 'utf8');
  const hits: string[] = [];
  const walk = (d: string): void => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile() && fs.readFileSync(p).includes(bytes)) hits.push(p);
    }
  };
  walk(dir);
  return hits;
}

export function allFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else out.push(p);
    }
  };
  walk(dir);
  return out;
}

/**
 * Opens stores (in a fresh temp dir unless one is given) and, after each test of the calling file,
 * closes them and removes the temp dirs it made.
 */
export function storeOpener(): (dir?: string) => Promise<{ store: Store; dir: string }> {
  const dirs: string[] = [];
  const stores: Store[] = [];
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });
  return async (dir) => {
    const d = dir ?? tempDir();
    if (!dir) dirs.push(d);
    const store = await Store.open(d);
    stores.push(store);
    return { store, dir: d };
  };
}
