// Dedup of re-sent events at apply: a row is skipped when its event id is already stored in its day's
// partition or the previous day's (a window of at least 24 h), or when it repeats within the apply.
//
// Why a Bloom filter in front of DuckDB: ids are random, so zone maps cannot prune an id lookup and
// an exact check is a full scan of the event_id column of both partitions — measured at 60–300 ms
// per apply for 2 × 5M rows here, growing with the day. The filter (4–12 bytes per stored id of at
// most 4 recent days, built once per day per process from the partition) answers "certainly new" in
// memory; only ids it flags (true repeats, or ~1 false positive per million) go to the exact check.
import duckdb from '@duckdb/node-bindings';
import type { DuckDBConnection } from '@duckdb/node-api';
import { EVENT_ID_COLUMN, type Run } from './append-chunk.js';
import { dayString } from './days.js';
import { GrowingIdFilter } from './id-filter.js';
import { Yielder } from '../../core/yielder.js';
import type { Partitions } from './partitions.js';

/** Filters kept (today, yesterday and a little slack for late events). */
const MAX_FILTERS = 4;
const MIN_CAPACITY = 1 << 16;

function idWords(run: Run): Uint32Array {
  const src = run.batch.cols[EVENT_ID_COLUMN];
  if (!src || src.tag !== 'fixed' || src.width !== 8) throw new TypeError('payload lacks event_id');
  return new Uint32Array(src.values.buffer, src.values.byteOffset, run.batch.length * 2);
}

export class Deduper {
  /** Per day number, in least-recently-used order. */
  private readonly filters = new Map<number, GrowingIdFilter>();

  constructor(
    private readonly conn: DuckDBConnection,
    private readonly parts: Partitions,
  ) {}

  /** Drops a day's filter (its partition was dropped or rewritten; a rebuilt one is smaller). */
  forget(day: string): void {
    for (const k of this.filters.keys()) if (dayString(k) === day) this.filters.delete(k);
  }

  /** Memory held by the filters. */
  get bytes(): number {
    let n = 0;
    for (const f of this.filters.values()) n += f.bytes;
    return n;
  }

  /**
   * The runs without duplicate rows. Must run on the writer, inside the day's transaction, after every
   * earlier apply committed (the write queue guarantees it), so the partitions hold all stored ids.
   */
  async dedup(dayNum: number, runs: readonly Run[], yielder = new Yielder()): Promise<{ kept: Run[]; duplicates: number }> {
    let incoming = 0;
    for (const r of runs) incoming += r.end - r.start;
    const cur = (await this.filterFor(dayNum, incoming))!;
    const prev = await this.filterFor(dayNum - 1, 0);

    // Pass 1, every row: the filters' verdict; the current day's filter learns each id on the way,
    // so a repeat within this apply is flagged too.
    const candidates = new Map<number, number[]>(); // lo → his
    for (const run of runs) {
      if (yielder.due) await yielder.yield();
      const w = idWords(run);
      for (let i = run.start; i < run.end; i++) {
        const lo = w[2 * i]!;
        const hi = w[2 * i + 1]!;
        const inPrev = prev !== undefined && prev.has(lo, hi);
        if (cur.testAndAdd(lo, hi) || inPrev) {
          const his = candidates.get(lo);
          if (!his) candidates.set(lo, [hi]);
          else if (!his.includes(hi)) his.push(hi);
        }
      }
    }
    if (candidates.size === 0) return { kept: [...runs], duplicates: 0 };

    // Exact check of the flagged ids only.
    const ids: bigint[] = [];
    for (const [lo, his] of candidates) for (const hi of his) ids.push((BigInt(hi) << 32n) | BigInt(lo));
    const stored = await this.storedAmong(dayNum, ids);

    // Pass 2, every row again but only flagged ids cost more than a Map miss.
    const seen = new Set<bigint>();
    const kept: Run[] = [];
    let duplicates = 0;
    for (const run of runs) {
      if (yielder.due) await yielder.yield();
      const w = idWords(run);
      let start = -1;
      for (let i = run.start; i <= run.end; i++) {
        let keep = i < run.end;
        if (keep) {
          const lo = w[2 * i]!;
          const hi = w[2 * i + 1]!;
          if (candidates.get(lo)?.includes(hi)) {
            const id = (BigInt(hi) << 32n) | BigInt(lo);
            keep = !stored.has(id) && !seen.has(id);
            seen.add(id);
            if (!keep) duplicates++;
          }
        }
        if (keep && start < 0) start = i;
        if (!keep && start >= 0) {
          kept.push({ ...run, start, end: i });
          start = -1;
        }
      }
    }
    return { kept, duplicates };
  }

  /** Which of `ids` are in the day's or the previous day's partition (one semi-join each). */
  private async storedAmong(dayNum: number, ids: readonly bigint[]): Promise<Set<bigint>> {
    await this.conn.run('DELETE FROM temp.main.stage_ids');
    const ap = await this.conn.createAppender('stage_ids', 'main', 'temp');
    try {
      for (const id of ids) {
        ap.appendUBigInt(id);
        ap.endRow();
      }
      ap.flushSync();
    } finally {
      ap.closeSync();
    }
    const selects: string[] = [];
    for (const d of [dayNum, dayNum - 1]) {
      const table = this.parts.rowsTableOf(dayString(d));
      if (table) selects.push(`SELECT event_id FROM ${table} SEMI JOIN temp.main.stage_ids USING (event_id)`);
    }
    const out = new Set<bigint>();
    if (selects.length === 0) return out;
    for (const [id] of (await this.conn.runAndReadAll(selects.join(' UNION ALL '))).getRows()) out.add(id as bigint);
    return out;
  }

  /**
   * The day's filter, holding every id its partition stores and room for `incoming` more: built from
   * the partition when missing, grown by a segment when full. Undefined without a partition.
   */
  private async filterFor(dayNum: number, incoming: number): Promise<GrowingIdFilter | undefined> {
    const table = this.parts.rowsTableOf(dayString(dayNum));
    if (!table) {
      this.filters.delete(dayNum);
      return undefined;
    }
    const have = this.filters.get(dayNum);
    if (have) {
      have.reserve(incoming);
      this.filters.delete(dayNum);
      this.filters.set(dayNum, have);
      return have;
    }
    const rows = Number((await this.conn.runAndReadAll(`SELECT count(*) FROM ${table}`)).getRowsJS()[0]![0]);
    // Headroom so that a growing day adds its first segment only after ~50% of growth.
    const filter = new GrowingIdFilter(Math.max(MIN_CAPACITY, Math.ceil(1.5 * (rows + incoming))));
    const result = await this.conn.stream(`SELECT event_id FROM ${table}`);
    for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
      const n = chunk.rowCount;
      // One copy of the column's bytes per chunk instead of a bigint per row.
      const copy = duckdb.vector_get_data(duckdb.data_chunk_get_vector(chunk.chunk, 0), n * 8);
      const data = copy.byteOffset % 4 === 0 ? copy : copy.slice();
      const w = new Uint32Array(data.buffer, data.byteOffset, n * 2);
      for (let i = 0; i < n; i++) filter.testAndAdd(w[2 * i]!, w[2 * i + 1]!);
    }
    this.filters.delete(dayNum);
    this.filters.set(dayNum, filter);
    while (this.filters.size > MAX_FILTERS) this.filters.delete(this.filters.keys().next().value!);
    return filter;
  }
}
