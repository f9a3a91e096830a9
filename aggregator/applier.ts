// Log → store: acknowledged records are applied to DuckDB in large chunks, in LSN order, exactly once
// (the store keeps the applied LSN in the same transaction as the rows). On start the log is replayed
// from the store's applied LSN. Segments are released only after a DuckDB checkpoint covers them.
import { metrics } from '../core/metrics.js';

export interface LogRecord {
  lsn: number;
  payload: Uint8Array;
  /** Rows in the payload, when the writer knows them (the edge does; replay does not). */
  rows?: number;
}

/**
 * DuckDB's row group. An append transaction of at least this many rows writes whole, compressed row
 * groups straight into the day file ("optimistic writes"); a smaller one goes through DuckDB's own
 * WAL and is compressed again at the checkpoint. Measured here (bench/micro/duckdb-append.bench.ts):
 * ~14 µs of CPU a row at 25k rows a transaction against ~5 µs at 125k.
 */
export const ROW_GROUP_ROWS = 122_880;

export interface ApplyTarget {
  apply(records: LogRecord[]): Promise<{ rows: number; duplicates: number; days: string[] }>;
  readonly appliedLsn: number;
  checkpoint(): Promise<void>;
}

export interface ReplayableLog {
  replay(afterLsn: number): AsyncIterable<LogRecord>;
  releaseUpTo(lsn: number): Promise<number>;
  stats(): { segments: number; bytesOnDisk: number; lastLsn: number };
}

export interface ApplierOptions {
  /** The longest a record waits before it is applied when fewer than `chunkRows` rows are waiting. */
  flushMs: number;
  /** Apply at once when this many rows are waiting (default: a little over one DuckDB row group). */
  chunkRows?: number;
  /** Apply at once when this many bytes are waiting. */
  chunkBytes?: number;
  checkpointMs?: number;
  onApplied?: (days: string[], newestTs: number) => void;
}

const CHUNK_ROWS = ROW_GROUP_ROWS + 8192;
/** Replay has no row counts: about CHUNK_ROWS of the pool's ~210-byte Arrow rows. */
const CHUNK_BYTES = 32 * 1024 * 1024;

export class Applier {
  private readonly pending = new Map<number, LogRecord & { at: number }>();
  private nextLsn: number;
  private bytes = 0;
  private rows = 0;
  private arrived = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private paused = false;
  private lastCheckpoint = Date.now();
  private closed = false;
  /** Set when DuckDB refused an append: applying stops, the log keeps the records. */
  failure: Error | undefined;

  constructor(
    private readonly store: ApplyTarget,
    private readonly log: ReplayableLog,
    private readonly opts: ApplierOptions,
  ) {
    this.nextLsn = store.appliedLsn + 1;
  }

  get pendingBytes(): number {
    return this.bytes;
  }
  get pendingRecords(): number {
    return this.pending.size;
  }
  /** Rows waiting to be applied (of records whose row count is known: the edge's). */
  get pendingRows(): number {
    return this.rows;
  }
  /** Rows enqueued since start (of records whose row count is known). */
  get arrivedRows(): number {
    return this.arrived;
  }

  /** Replays every logged record the store has not applied (startup). */
  async replay(): Promise<number> {
    let n = 0;
    let chunk: LogRecord[] = [];
    let size = 0;
    for await (const rec of this.log.replay(this.store.appliedLsn)) {
      chunk.push(rec);
      size += rec.payload.byteLength;
      n++;
      if (size >= (this.opts.chunkBytes ?? CHUNK_BYTES)) {
        await this.applyChunk(chunk);
        chunk = [];
        size = 0;
      }
    }
    if (chunk.length > 0) await this.applyChunk(chunk);
    this.nextLsn = Math.max(this.nextLsn, this.store.appliedLsn + 1);
    await this.checkpoint();
    return n;
  }

  enqueue(record: LogRecord): void {
    this.pending.set(record.lsn, { ...record, at: Date.now() });
    this.bytes += record.payload.byteLength;
    this.rows += record.rows ?? 0;
    this.arrived += record.rows ?? 0;
    metrics.queueDepth.set({ queue: 'store' }, this.pending.size);
    this.kick(this.due() ? 0 : this.opts.flushMs);
  }

  /** Under load the row count fires first (row-group-sized transactions); when quiet, the timer. */
  private due(): boolean {
    return this.rows >= (this.opts.chunkRows ?? CHUNK_ROWS) || this.bytes >= (this.opts.chunkBytes ?? CHUNK_BYTES);
  }

  /** Operators pause applying for a file-level backup; ingest keeps acknowledging until the log queue is full. */
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
    this.kick(0);
  }
  get isPaused(): boolean {
    return this.paused;
  }

  private kick(delay: number): void {
    // While an apply runs, it decides what comes next when it ends: kicking now would queue one small
    // apply per record that arrives meanwhile.
    if (this.paused || this.closed || this.running) return;
    if (delay === 0 && this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, delay);
  }

  /** Applies every contiguous waiting record. Resolves when done (used by shutdown and tests). */
  async flush(): Promise<void> {
    while (this.running) await this.running;
    if (this.paused || this.failure) return;
    const chunk: LogRecord[] = [];
    let lsn = this.nextLsn;
    let size = 0;
    let rows = 0;
    while (this.pending.has(lsn)) {
      const r = this.pending.get(lsn)!;
      chunk.push(r);
      size += r.payload.byteLength;
      rows += r.rows ?? 0;
      lsn++;
    }
    if (chunk.length === 0) return;
    this.running = (async () => {
      try {
        await this.applyChunk(chunk);
        for (const r of chunk) this.pending.delete(r.lsn);
        this.bytes -= size;
        this.rows -= rows;
        this.nextLsn = lsn;
        metrics.queueDepth.set({ queue: 'store' }, this.pending.size);
        if (Date.now() - this.lastCheckpoint > (this.opts.checkpointMs ?? 30_000)) await this.checkpoint();
      } catch (err) {
        this.failure = err as Error;
        console.error(JSON.stringify({ level: 'error', msg: 'store apply failed; records stay in the log', err: String(err) }));
      } finally {
        this.running = undefined;
      }
    })();
    await this.running;
    if (this.pending.has(this.nextLsn)) this.kick(this.due() ? 0 : this.opts.flushMs);
  }

  private async applyChunk(chunk: LogRecord[]): Promise<void> {
    // The store counts rows, duplicates and append latency per day transaction itself.
    const r = await this.store.apply(chunk);
    this.opts.onApplied?.(r.days, Date.now());
  }

  /** DuckDB checkpoint, then release log segments the checkpoint covers. */
  async checkpoint(): Promise<void> {
    await this.store.checkpoint();
    this.lastCheckpoint = Date.now();
    await this.log.releaseUpTo(this.store.appliedLsn);
    metrics.logSegments.set(this.log.stats().segments);
  }

  /** Age in seconds of the oldest acknowledged record not yet applied. */
  lagSeconds(now = Date.now()): number {
    let oldest = now;
    for (const r of this.pending.values()) if (r.at < oldest) oldest = r.at;
    return (now - oldest) / 1000;
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.paused = false;
    await this.flush();
    this.closed = true;
    while (this.running) await this.running;
    await this.checkpoint();
  }
}
