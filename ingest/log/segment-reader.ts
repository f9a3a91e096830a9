// Write-ahead log, reading one segment: checks every record's framing, checksum and LSN in order.
// Recovery uses it to find the last good record; replay uses it to hand payloads back to the store.
import { open, type FileHandle } from 'node:fs/promises';
import { HEADER_BYTES, MAX_PAYLOAD_BYTES, RECORD_MAGIC, decodeRecordHeader, recordChecksum } from './segment-format.js';

export interface LogRecord {
  lsn: number;
  payload: Uint8Array;
}

export type DamageReason = 'partial-header' | 'partial-payload' | 'bad-magic' | 'bad-length' | 'bad-checksum' | 'unexpected-lsn';

export interface RecordDamage {
  /** Byte offset of the first bad record: everything before it is intact. */
  offset: number;
  reason: DamageReason;
  /** The LSN the bad record should have carried. */
  expectedLsn: number;
}

/** Reads in chunks of this size (or one record, if larger): few syscalls, bounded memory. */
const READ_CHUNK_BYTES = 4 * 1024 * 1024;
const EMPTY = Buffer.alloc(0);

export class SegmentReader {
  /** File offset just past the last good record returned so far. */
  offset = 0;
  /** Set when reading stopped at a bad record rather than at the end. */
  damage: RecordDamage | null = null;
  /**
   * Set when reading stopped at a header of zero bytes: the unused, zero-filled rest of a
   * preallocated segment (write-ahead-log.ts), whose records end here. Recovery checks that only
   * zeros follow.
   */
  zeroTail = false;

  #buf: Buffer = EMPTY;
  /** Index in #buf of the byte at file offset `this.offset`. */
  #pos = 0;
  #expectedLsn: number;

  private constructor(
    private readonly handle: FileHandle,
    readonly path: string,
    /** Bytes of the file this reader may look at (a snapshot of the durable size for a live segment). */
    readonly end: number,
    firstLsn: number,
  ) {
    this.#expectedLsn = firstLsn;
  }

  /** Opens `path`, whose first record must carry `firstLsn`; reads at most `end` bytes (default: the whole file). */
  static async open(path: string, firstLsn: number, end?: number): Promise<SegmentReader> {
    const handle = await open(path, 'r');
    try {
      const size = (await handle.stat()).size;
      return new SegmentReader(handle, path, Math.min(end ?? size, size), firstLsn);
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  get nextLsn(): number {
    return this.#expectedLsn;
  }

  /** The next good record, or null at the end or at the first bad record (see `damage`).
   * The payload is a view into a freshly read chunk that is never reused, so it stays valid;
   * holding one payload keeps its chunk (up to 4 MiB) alive. */
  async next(): Promise<LogRecord | null> {
    if (this.damage !== null || this.zeroTail) return null;
    const remaining = this.end - this.offset;
    if (remaining === 0) return null;
    if (remaining < HEADER_BYTES) return this.#stop('partial-header');
    await this.#ensure(HEADER_BYTES);
    if (isZero(this.#buf, this.#pos, HEADER_BYTES)) {
      this.zeroTail = true;
      return null;
    }
    const h = decodeRecordHeader(this.#buf, this.#pos);
    if (h.magic !== RECORD_MAGIC) return this.#stop('bad-magic');
    if (h.length > MAX_PAYLOAD_BYTES) return this.#stop('bad-length');
    if (h.length > remaining - HEADER_BYTES) return this.#stop('partial-payload');
    const size = HEADER_BYTES + h.length;
    await this.#ensure(size);
    const header = this.#buf.subarray(this.#pos, this.#pos + HEADER_BYTES);
    const payload = this.#buf.subarray(this.#pos + HEADER_BYTES, this.#pos + size);
    if (recordChecksum(header, payload) !== h.checksum) return this.#stop('bad-checksum');
    // A record with a good checksum but the wrong LSN is not a torn write: it is a misplaced file or a bug.
    if (h.lsn !== this.#expectedLsn) return this.#stop('unexpected-lsn');
    this.#pos += size;
    this.offset += size;
    this.#expectedLsn += 1;
    return { lsn: h.lsn, payload };
  }

  async close(): Promise<void> {
    this.#buf = EMPTY;
    await this.handle.close();
  }

  #stop(reason: DamageReason): null {
    this.damage = { offset: this.offset, reason, expectedLsn: this.#expectedLsn };
    return null;
  }

  /** Makes `n` bytes from `this.offset` available in #buf. The caller has checked they exist in the file. */
  async #ensure(n: number): Promise<void> {
    const have = this.#buf.length - this.#pos;
    if (have >= n) return;
    // A fresh buffer each time, never a reused one: payload views handed out earlier must not change.
    const size = Math.min(Math.max(READ_CHUNK_BYTES, n), this.end - this.offset);
    const next = Buffer.allocUnsafe(size);
    this.#buf.copy(next, 0, this.#pos);
    let filled = have;
    while (filled < size) {
      const { bytesRead } = await this.handle.read(next, filled, size - filled, this.offset + filled);
      if (bytesRead === 0) throw new Error(`${this.path} shrank while it was being read (at byte ${this.offset + filled})`);
      filled += bytesRead;
    }
    this.#buf = next;
    this.#pos = 0;
  }
}

function isZero(buf: Uint8Array, from: number, n: number): boolean {
  for (let i = from; i < from + n; i++) if (buf[i] !== 0) return false;
  return true;
}

/** Where the first non-zero byte at or after `from` is, or -1 when the rest of the file is zeros. */
export async function firstNonZeroAfter(path: string, from: number): Promise<number> {
  const handle = await open(path, 'r');
  try {
    const end = (await handle.stat()).size;
    const chunk = Buffer.allocUnsafe(READ_CHUNK_BYTES);
    const zeros = Buffer.alloc(READ_CHUNK_BYTES);
    for (let at = from; at < end; at += READ_CHUNK_BYTES) {
      const { bytesRead } = await handle.read(chunk, 0, Math.min(READ_CHUNK_BYTES, end - at), at);
      if (chunk.subarray(0, bytesRead).equals(zeros.subarray(0, bytesRead))) continue;
      for (let i = 0; i < bytesRead; i++) if (chunk[i] !== 0) return at + i;
    }
    return -1;
  } finally {
    await handle.close();
  }
}

/** Looks past damage at `from` for any intact record carrying an LSN >= `minLsn`. A crash tears only
 * the tail, so finding one means acknowledged records sit behind the damage: not a torn write. */
export async function findIntactRecordAfter(path: string, from: number, minLsn: number): Promise<{ offset: number; lsn: number } | null> {
  const handle = await open(path, 'r');
  try {
    const end = (await handle.stat()).size;
    const magic = Buffer.alloc(4);
    magic.writeUInt32LE(RECORD_MAGIC, 0);
    const header = Buffer.alloc(HEADER_BYTES);
    // Windows overlap by a header so a record starting near a window's end is still seen.
    for (let windowStart = from + 1; windowStart + HEADER_BYTES <= end; windowStart += READ_CHUNK_BYTES) {
      const windowLength = Math.min(READ_CHUNK_BYTES + HEADER_BYTES, end - windowStart);
      const window = Buffer.allocUnsafe(windowLength);
      const { bytesRead } = await handle.read(window, 0, windowLength, windowStart);
      for (let i = window.indexOf(magic, 0); i !== -1 && i < Math.min(bytesRead, READ_CHUNK_BYTES); i = window.indexOf(magic, i + 1)) {
        const at = windowStart + i;
        if (at + HEADER_BYTES > end) break;
        await handle.read(header, 0, HEADER_BYTES, at);
        const h = decodeRecordHeader(header, 0);
        if (h.lsn < minLsn || h.length > Math.min(MAX_PAYLOAD_BYTES, end - at - HEADER_BYTES)) continue;
        const payload = Buffer.allocUnsafe(h.length);
        await handle.read(payload, 0, h.length, at + HEADER_BYTES);
        if (recordChecksum(header, payload) === h.checksum) return { offset: at, lsn: h.lsn };
      }
    }
    return null;
  } finally {
    await handle.close();
  }
}
