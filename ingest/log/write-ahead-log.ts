// Write-ahead log: the pool's Arrow IPC batches are appended here and the edge answers 2xx only
// once append() resolves (written and fdatasynced). The store replays from its applied LSN after a
// restart and releases segments once DuckDB has checkpointed their rows. Framing: segment-format.ts.
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { BeaconryError } from '../../core/errors.js';
import { LogCorruptionError } from './log-corruption-error.js';
import { nodeLogIo, syncDirectory, writeZerosDurably, type LogFileHandle, type LogIo } from './log-io.js';
import { HEADER_BYTES, MAX_PAYLOAD_BYTES, encodeRecordHeader, segmentFileName } from './segment-format.js';
import { SegmentReader, type LogRecord } from './segment-reader.js';
import { recoverSegments, type RecoveredLog, type SegmentInfo } from './segment-recovery.js';

export type { LogRecord } from './segment-reader.js';
export type { LogIo, LogFileHandle } from './log-io.js';

export interface WriteAheadLogOptions {
  /** A segment is closed once a group commit takes it past this size. */
  segmentBytes: number;
  /** Where writes, fsyncs, truncation and deletes go; tests inject failures here. Default: node:fs. */
  io?: LogIo;
  /** Called once per group commit with the wall time of its writev + fdatasync and the bytes written. */
  onFsync?: (seconds: number, bytes: number) => void;
  /**
   * Prepare each next segment in the background, zero-filled and synced, and rotate into it: an
   * fdatasync that overwrites allocated blocks needs no ext4 journal commit, so it no longer waits
   * for DuckDB's dirty pages (p99 25 ms → 2 ms in bench/micro/wal-fsync.bench.ts). Needs io.rename.
   */
  preallocate?: boolean;
}

/** The next segment while it is being prepared; not a segment name, so recovery never reads it. */
const SPARE_NAME = 'next-segment.spare';
/** A group commit may take a segment past segmentBytes; past the zeroed part the file just grows. */
const PREALLOC_SLACK = 4 * 1024 * 1024;

export interface WriteAheadLogStats {
  segments: number;
  /** Bytes of records in all segment files. */
  bytesOnDisk: number;
  /** The last durable (acknowledged) LSN; 0 for an empty log. */
  lastLsn: number;
  /** Header + payload bytes of appends accepted but not yet durable (queued or being written). */
  pendingBytes: number;
}

interface PendingAppend {
  lsn: number;
  header: Buffer;
  payload: Uint8Array;
  resolve: (lsn: number) => void;
  reject: (err: Error) => void;
}

export class WriteAheadLog {
  #segments: SegmentInfo[];
  #handle: LogFileHandle | null;
  #nextLsn: number;
  #durableLsn: number;
  #bytesOnDisk: number;
  /** Appends waiting for the next group commit; the only payloads the log keeps in memory. */
  #pending: PendingAppend[] = [];
  #pendingBytes = 0;
  #flushing = false;
  #idleWaiters: Array<() => void> = [];
  #failure: Error | null = null;
  #closed = false;
  #releases: Promise<unknown> = Promise.resolve();
  /** The prepared next segment, once its zero-fill is synced (preallocate only). */
  #spare: { path: string; handle: LogFileHandle } | null = null;
  #preparing: Promise<void> | null = null;

  private constructor(
    readonly dir: string,
    private readonly segmentBytes: number,
    private readonly io: LogIo,
    private readonly onFsync: ((seconds: number, bytes: number) => void) | undefined,
    recovered: RecoveredLog,
    handle: LogFileHandle,
    private readonly preallocate: boolean,
  ) {
    this.#segments = recovered.segments;
    this.#handle = handle;
    this.#durableLsn = recovered.lastLsn;
    this.#nextLsn = recovered.lastLsn + 1;
    this.#bytesOnDisk = recovered.segments.reduce((sum, s) => sum + s.bytes, 0);
    this.recovery = recovered.truncated;
  }

  /** What opening cut off the last segment (a torn, never-acknowledged append), for the startup log line. */
  readonly recovery: RecoveredLog['truncated'];

  /** Recovers `dir` (created if missing) and opens its last segment for appending. Throws
   * LogCorruptionError when damage could hide acknowledged records. */
  static async open(dir: string, opts: WriteAheadLogOptions): Promise<WriteAheadLog> {
    if (!Number.isSafeInteger(opts.segmentBytes) || opts.segmentBytes <= 0) {
      throw new RangeError(`segmentBytes must be a positive integer, got ${opts.segmentBytes}`);
    }
    const io = opts.io ?? nodeLogIo;
    // A freshly created log directory must itself survive a crash, hence the parent's fsync.
    if ((await mkdir(dir, { recursive: true })) !== undefined) await syncDirectory(io, dirname(dir));
    const recovered = await recoverSegments(dir, io);
    // A spare left by a crash or a shutdown: it holds no record.
    await io.unlink(join(dir, SPARE_NAME)).catch(() => undefined);
    let handle: LogFileHandle;
    const last = recovered.segments.at(-1);
    if (last === undefined) {
      const created = await createSegment(io, dir, 1);
      recovered.segments.push(created.segment);
      handle = created.handle;
    } else {
      handle = await io.open(last.path, 'r+');
    }
    const log = new WriteAheadLog(dir, opts.segmentBytes, io, opts.onFsync, recovered, handle, opts.preallocate === true && io.rename !== undefined);
    log.#prepareSpare();
    return log;
  }

  /** Resolves once the next segment's background preparation (if any) has finished (tests). */
  async spareSettled(): Promise<void> {
    await this.#preparing;
  }

  /** Starts zero-filling the next segment in the background (preallocate only). Failure is not an
   * error: rotation then creates a plain segment, as without preallocation. */
  #prepareSpare(): void {
    if (!this.preallocate || this.#preparing || this.#spare || this.#closed || this.#failure) return;
    const path = join(this.dir, SPARE_NAME);
    this.#preparing = (async () => {
      let handle: LogFileHandle | undefined;
      try {
        await this.io.unlink(path).catch(() => undefined);
        handle = await this.io.open(path, 'wx');
        await writeZerosDurably(handle, 0, this.segmentBytes + PREALLOC_SLACK, () => this.#closed);
        this.#spare = { path, handle };
      } catch {
        await handle?.close().catch(() => undefined);
        await this.io.unlink(path).catch(() => undefined);
      } finally {
        this.#preparing = null;
      }
    })();
  }

  /** True after any write or fsync error, until restart: the outcome of that write is unknown and
   * the kernel may have dropped the dirty pages, so retrying the fsync could report a lie. */
  get failed(): boolean {
    return this.#failure !== null;
  }

  /** Resolves with the record's LSN once it is written and fdatasynced. LSNs are given in call
   * order. Appends made while a commit is in flight share the next writev + fdatasync (group commit).
   * `payload` must not be modified until the promise settles. */
  append(payload: Uint8Array): Promise<number> {
    if (this.#failure !== null) return Promise.reject(notDurable(this.#failure));
    if (this.#closed) return Promise.reject(new BeaconryError('BEACONRY_ERR_NOT_DURABLE', 'The write-ahead log is closed.'));
    if (payload.byteLength > MAX_PAYLOAD_BYTES) {
      return Promise.reject(new RangeError(`log payload of ${payload.byteLength} bytes exceeds ${MAX_PAYLOAD_BYTES}`));
    }
    const lsn = this.#nextLsn++;
    const header = encodeRecordHeader(lsn, payload);
    return new Promise<number>((resolve, reject) => {
      this.#pending.push({ lsn, header, payload, resolve, reject });
      this.#pendingBytes += HEADER_BYTES + payload.byteLength;
      if (!this.#flushing) {
        this.#flushing = true;
        // A microtask, not a timer: appends made in the same tick join the first group at no added latency.
        queueMicrotask(() => void this.#flushLoop());
      }
    });
  }

  /** Records with lsn > afterLsn, in order, across segments, up to the last LSN durable when called.
   * Throws if records after `afterLsn` were already released, or on damage (LogCorruptionError).
   * Do not release segments while a replay reads them. */
  async *replay(afterLsn: number): AsyncIterable<LogRecord> {
    const upTo = this.#durableLsn;
    const segments = this.#segments.map((s) => ({ ...s }));
    if (afterLsn >= upTo) return;
    const first = segments[0];
    if (first === undefined || afterLsn + 1 < first.firstLsn) {
      throw new RangeError(`cannot replay from LSN ${afterLsn + 1}: the log starts at LSN ${first?.firstLsn ?? upTo + 1} (older records were released)`);
    }
    let start = 0;
    while (start + 1 < segments.length && (segments[start + 1]?.firstLsn ?? Infinity) <= afterLsn + 1) start += 1;
    for (const segment of segments.slice(start)) {
      const reader = await SegmentReader.open(segment.path, segment.firstLsn, segment.bytes);
      try {
        for (let record = await reader.next(); record !== null; record = await reader.next()) {
          if (record.lsn > upTo) return;
          if (record.lsn > afterLsn) yield record;
        }
        if (reader.damage !== null || reader.offset !== segment.bytes) {
          const at = reader.damage?.offset ?? reader.offset;
          throw new LogCorruptionError(segment.path, at, `replay stopped (${reader.damage?.reason ?? 'file shorter than recorded'}) at LSN ${reader.nextLsn}`);
        }
      } finally {
        await reader.close();
      }
    }
  }

  /** Deletes closed segments whose records all have lsn <= `lsn` (applied and checkpointed by the
   * store), oldest first, then fsyncs the directory. Returns how many were deleted. */
  releaseUpTo(lsn: number): Promise<number> {
    const run = this.#releases.then(() => this.#release(lsn));
    this.#releases = run.catch(() => undefined);
    return run;
  }

  stats(): WriteAheadLogStats {
    return {
      segments: this.#segments.length,
      bytesOnDisk: this.#bytesOnDisk,
      lastLsn: this.#durableLsn,
      pendingBytes: this.#pendingBytes,
    };
  }

  /**
   * Closes the current segment and starts a new one (when the current one holds any record), so
   * that every record appended so far sits in a closed segment that releaseUpTo can delete. Erasure
   * uses it: a deleted site's events must leave the log too, not only the store. Appends made
   * meanwhile wait and go to the new segment.
   */
  async rotate(): Promise<void> {
    if (this.#failure !== null) throw notDurable(this.#failure);
    if (this.#closed) throw new BeaconryError('BEACONRY_ERR_NOT_DURABLE', 'The write-ahead log is closed.');
    while (this.#flushing) await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
    if ((this.#segments.at(-1)?.bytes ?? 0) === 0) return;
    // Holding the flushing flag keeps new appends queued (append() only starts a loop when it is clear).
    this.#flushing = true;
    try {
      await this.#rotate();
    } finally {
      if (this.#pending.length > 0 && this.#failure === null) void this.#flushLoop();
      else {
        this.#flushing = false;
        for (const wake of this.#idleWaiters.splice(0)) wake();
      }
    }
    if (this.#failure !== null) throw notDurable(this.#failure);
  }

  /** Refuses new appends, makes the pending ones durable, then closes the segment file. */
  async close(): Promise<void> {
    this.#closed = true;
    while (this.#flushing) await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
    await this.#releases;
    await this.#preparing;
    const spare = this.#spare;
    this.#spare = null;
    if (spare) {
      await spare.handle.close().catch(() => undefined);
      await this.io.unlink(spare.path).catch(() => undefined);
    }
    const handle = this.#handle;
    this.#handle = null;
    await handle?.close();
  }

  async #flushLoop(): Promise<void> {
    while (this.#pending.length > 0 && this.#failure === null) {
      const group = this.#pending;
      this.#pending = [];
      if (!(await this.#commit(group))) break;
      // Rotation happens between groups, so a group never spans two files.
      if ((this.#segments.at(-1)?.bytes ?? 0) >= this.segmentBytes) await this.#rotate();
    }
    this.#flushing = false;
    for (const wake of this.#idleWaiters.splice(0)) wake();
  }

  /** One writev and one fdatasync for the whole group; see bench/micro/log-append.bench.ts. */
  async #commit(group: PendingAppend[]): Promise<boolean> {
    const segment = this.#segments.at(-1);
    const handle = this.#handle;
    if (segment === undefined || handle === null) return this.#fail(new Error('no open segment'), group);
    const buffers: Uint8Array[] = new Array<Uint8Array>(group.length * 2);
    let bytes = 0;
    for (const [i, p] of group.entries()) {
      buffers[2 * i] = p.header;
      buffers[2 * i + 1] = p.payload;
      bytes += HEADER_BYTES + p.payload.byteLength;
    }
    const started = process.hrtime.bigint();
    try {
      const { bytesWritten } = await handle.writev(buffers, segment.bytes);
      if (bytesWritten !== bytes) throw new Error(`short write to ${segment.path}: ${bytesWritten} of ${bytes} bytes`);
      await handle.datasync();
    } catch (err) {
      return this.#fail(err, group);
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    segment.bytes += bytes;
    this.#bytesOnDisk += bytes;
    this.#pendingBytes -= bytes;
    this.#durableLsn = group[group.length - 1]?.lsn ?? this.#durableLsn;
    for (const p of group) p.resolve(p.lsn);
    try {
      this.onFsync?.(seconds, bytes);
    } catch (err) {
      // An observer's bug must not turn into a durability failure.
      process.emitWarning(`write-ahead log onFsync callback threw: ${String(err)}`);
    }
    return true;
  }

  async #rotate(): Promise<void> {
    const firstLsn = this.#durableLsn + 1;
    let created: { segment: SegmentInfo; handle: LogFileHandle };
    try {
      // The prepared spare if it is ready; never wait for one (that would stall this group commit).
      const spare = this.#spare;
      this.#spare = null;
      if (spare && this.io.rename) {
        const path = join(this.dir, segmentFileName(firstLsn));
        await this.io.rename(spare.path, path);
        await syncDirectory(this.io, this.dir);
        created = { segment: { firstLsn, path, bytes: 0 }, handle: spare.handle };
      } else {
        created = await createSegment(this.io, this.dir, firstLsn);
      }
    } catch (err) {
      this.#fail(err, []);
      return;
    }
    this.#prepareSpare();
    const previous = this.#handle;
    this.#handle = created.handle;
    this.#segments.push(created.segment);
    // The old segment's records are already fdatasynced; a close error cannot un-persist them.
    await previous?.close().catch(() => undefined);
  }

  async #release(lsn: number): Promise<number> {
    let deleted = 0;
    for (;;) {
      const [oldest, next] = this.#segments;
      if (oldest === undefined || next === undefined || next.firstLsn - 1 > lsn) break;
      await this.io.unlink(oldest.path);
      this.#segments.shift();
      this.#bytesOnDisk -= oldest.bytes;
      deleted += 1;
    }
    if (deleted > 0) await syncDirectory(this.io, this.dir);
    return deleted;
  }

  /** Marks the log failed for good and rejects the group and everything queued behind it. */
  #fail(cause: unknown, group: PendingAppend[]): false {
    this.#failure = cause instanceof Error ? cause : new Error(String(cause));
    const err = notDurable(this.#failure);
    const rejected = group.concat(this.#pending);
    this.#pending = [];
    this.#pendingBytes = 0;
    for (const p of rejected) p.reject(err);
    const handle = this.#handle;
    this.#handle = null;
    void handle?.close().catch(() => undefined);
    return false;
  }
}

/** The client sees the generic message (no paths); the I/O error rides along as `cause` for the log line. */
function notDurable(cause: Error): BeaconryError {
  const err = new BeaconryError('BEACONRY_ERR_NOT_DURABLE');
  err.cause = cause;
  return err;
}

async function createSegment(io: LogIo, dir: string, firstLsn: number): Promise<{ segment: SegmentInfo; handle: LogFileHandle }> {
  const path = join(dir, segmentFileName(firstLsn));
  const handle = await io.open(path, 'wx');
  try {
    await syncDirectory(io, dir);
  } catch (err) {
    await handle.close().catch(() => undefined);
    throw err;
  }
  return { segment: { firstLsn, path, bytes: 0 }, handle };
}
