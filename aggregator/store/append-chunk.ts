// Log record → DuckDB rows. Decodes a record's Arrow IPC payload (the pool's encodeEventBatch) and
// copies its column buffers straight into DuckDB data chunks of 2048 rows (row-source.ts): fixed-width
// columns are memcpy'd, strings of ≤ 12 ASCII bytes are written as inline duckdb_string_t structs, and
// a longer string costs one native call per distinct value in a chunk (repeats copy its struct).
//
// Why the raw bindings (@duckdb/node-bindings) and not DuckDBVector.setItem: the vector classes keep a
// JS-side copy that setItem fills one boxed value at a time (a bigint or a DuckDB*Value per cell) and
// flush copies over; for a 39-column event that is most of the cost. The bindings' copy_data_to_vector
// takes our typed arrays as they are. vector_get_data hands out a copy, not a view, so writing into it
// does nothing: the copy call is the only way in.
import duckdb from '@duckdb/node-bindings';
import { DataType, Precision } from 'apache-arrow';
import { readIpcStream, type RawColumn } from './ipc-reader.js';
import {
  BOOLEAN, DATE, DOUBLE, DuckDBDataChunk, DuckDBVector, TIMESTAMP, UBIGINT, UINTEGER, UTINYINT, VARCHAR,
  type DuckDBAppender, type DuckDBType,
} from '@duckdb/node-api';
import { COLUMNS, type ColumnKind } from '../../core/event-contract.js';
import { isCoded, type DayLayout } from './day-layout.js';

const COLUMN_INDEX = new Map(COLUMNS.map((c, i) => [c.name, i]));
export const EVENT_ID_COLUMN = COLUMN_INDEX.get('event_id')!;
const DAY_COLUMN = COLUMN_INDEX.get('day')!;
export const SITE_COLUMN = COLUMN_INDEX.get('site_id')!;

const DUCK_TYPE: Record<ColumnKind, DuckDBType> = {
  u64: UBIGINT, timestamp: TIMESTAMP, date: DATE, u8: UTINYINT, u32: UINTEGER, f64: DOUBLE, bool: BOOLEAN, dict: VARCHAR, text: VARCHAR,
};
const WIDTH: Partial<Record<ColumnKind, number>> = { u64: 8, date: 4, u8: 1, u32: 4, f64: 8 };

/** A dictionary or Utf8 string as DuckDB wants it: the bytes, and the 16-byte inline struct when short and ASCII. */
interface Str {
  bytes: Uint8Array;
  /** duckdb_string_t {u32 length; char inlined[12]} as four little-endian words; null when it must be assigned. */
  inline: Uint32Array | null;
}

export type ColSrc =
  | { tag: 'fixed'; values: ArrayBufferView; width: number; nulls: Uint8Array | null }
  | { tag: 'ts'; words: Uint32Array; nulls: Uint8Array | null }
  | { tag: 'bool'; bits: Uint8Array; nulls: Uint8Array | null }
  | { tag: 'utf8'; offsets: Int32Array; bytes: Uint8Array; nulls: Uint8Array | null }
  | { tag: 'dict'; indices: ArrayLike<number>; entries: Str[]; nulls: Uint8Array | null };

/** One record batch of a payload, its columns lined up with COLUMNS (null: absent from this payload). */
export interface BatchColumns {
  readonly length: number;
  readonly cols: readonly (ColSrc | null)[];
}

/** Rows [start, end) of one batch, from the log record `lsn`. */
export interface Run {
  readonly batch: BatchColumns;
  readonly start: number;
  readonly end: number;
  readonly lsn: number;
}

/**
 * The inline duckdb_string_t of `bytes` written at words[at..at+4), when they are ≤ 12 ASCII bytes;
 * false otherwise (non-ASCII goes through DuckDB's own assign, which checks UTF-8 and nulls invalid input).
 */
function writeInline(bytes: Uint8Array, words: Uint32Array, at: number): boolean {
  const len = bytes.length;
  if (len > 12) return false;
  let w1 = 0;
  let w2 = 0;
  let w3 = 0;
  for (let i = 0; i < len; i++) {
    const b = bytes[i]!;
    if (b > 0x7f) return false;
    const shift = (i & 3) * 8;
    if (i < 4) w1 |= b << shift;
    else if (i < 8) w2 |= b << shift;
    else w3 |= b << shift;
  }
  words[at] = len;
  words[at + 1] = w1;
  words[at + 2] = w2;
  words[at + 3] = w3;
  return true;
}

function nullsOf(col: RawColumn): Uint8Array | null {
  const bm = col.buffers[0]!;
  return col.nullCount > 0 && bm.length > 0 ? bm : null;
}

function dictionaryEntries(values: RawColumn): Str[] {
  if (!DataType.isUtf8(values.type)) throw new TypeError(`dictionary values must be Utf8, got ${String(values.type)}`);
  const bytes = values.buffers[2]!;
  const offsets = utf8Offsets(values.buffers[1]!, values.length, bytes);
  // One allocation for every entry's inline struct.
  const words = new Uint32Array(values.length * 4);
  const out: Str[] = [];
  for (let i = 0; i < values.length; i++) {
    const b = bytes.subarray(offsets[i]!, offsets[i + 1]!);
    out.push({ bytes: b, inline: writeInline(b, words, i * 4) ? words.subarray(i * 4, i * 4 + 4) : null });
  }
  return out;
}

const int32s = (b: Uint8Array, n: number): Int32Array => {
  if (b.byteLength < n * 4) throw new RangeError('Arrow buffer shorter than its column');
  return new Int32Array(b.buffer, b.byteOffset, n);
};

/** Utf8 offsets of `n` values: non-decreasing, inside `bytes` (a damaged payload fails here, not in a loop). */
function utf8Offsets(b: Uint8Array, n: number, bytes: Uint8Array): Int32Array {
  const offsets = int32s(b, n + 1);
  if (offsets[0]! < 0 || offsets[n]! > bytes.byteLength) throw new RangeError('Arrow string offsets out of bounds');
  for (let i = 0; i < n; i++) if (offsets[i + 1]! < offsets[i]!) throw new RangeError('Arrow string offsets decrease');
  return offsets;
}

function columnSource(kind: ColumnKind, name: string, col: RawColumn): ColSrc {
  const t = col.type;
  const nulls = nullsOf(col);
  const values = col.buffers[1]!;
  const wrong = (): never => {
    throw new TypeError(`column ${name}: Arrow type ${String(t)} does not fit kind ${kind}`);
  };
  const need = (bytes: number): void => {
    if (values.byteLength < bytes) throw new RangeError(`column ${name}: values shorter than the column`);
  };
  const fixed = (width: number): ColSrc => {
    need(col.length * width);
    return { tag: 'fixed', values, width, nulls };
  };
  switch (kind) {
    case 'u64':
    case 'u8':
    case 'u32': {
      const bits = kind === 'u64' ? 64 : kind === 'u8' ? 8 : 32;
      if (!DataType.isInt(t) || t.isSigned || t.bitWidth !== bits) wrong();
      return fixed(bits / 8);
    }
    case 'f64':
      if (!DataType.isFloat(t) || t.precision !== Precision.DOUBLE) wrong();
      return fixed(8);
    case 'date':
      // DateDay: int32 days since the epoch, which is exactly DuckDB's DATE.
      if (!DataType.isDate(t) || t.unit !== 0) wrong();
      return fixed(4);
    case 'timestamp': {
      if (!DataType.isTimestamp(t) || t.unit !== 1) wrong();
      need(col.length * 8);
      return { tag: 'ts', words: new Uint32Array(values.buffer, values.byteOffset, col.length * 2), nulls };
    }
    case 'bool':
      if (!DataType.isBool(t)) wrong();
      need(Math.ceil(col.length / 8));
      return { tag: 'bool', bits: values, nulls };
    case 'dict':
    case 'text':
      // Either encoding is accepted for either kind: the kind only says what the pool prefers.
      if (DataType.isDictionary(t)) {
        if (!DataType.isInt(t.indices) || t.indices.bitWidth !== 32 || !t.indices.isSigned) wrong();
        return { tag: 'dict', indices: int32s(values, col.length), entries: dictionaryEntries(col.dictionary!), nulls };
      }
      if (DataType.isUtf8(t)) {
        return { tag: 'utf8', offsets: utf8Offsets(values, col.length, col.buffers[2]!), bytes: col.buffers[2]!, nulls };
      }
      return wrong();
  }
}

/** Decodes one log payload (an Arrow IPC stream) into its batches, columns in contract order. */
export function decodePayload(payload: Uint8Array): BatchColumns[] {
  const stream = readIpcStream(payload);
  const byName = new Map(stream.fields.map((f, i) => [f.name, i]));
  const out: BatchColumns[] = [];
  for (const batch of stream.batches) {
    if (batch.length === 0) continue;
    const cols = COLUMNS.map((col) => {
      const i = byName.get(col.name);
      if (i === undefined) {
        // An older or newer pool may lack a column: nullable ones become NULL, required ones are an error.
        if (!col.nullable) throw new TypeError(`payload lacks required column ${col.name}`);
        return null;
      }
      return columnSource(col.kind, col.name, batch.columns[i]!);
    });
    out.push({ length: batch.length, cols });
  }
  return out;
}

/** The batch's rows split into runs of consecutive rows with the same `day`. */
export function dayRuns(batch: BatchColumns): { day: number; start: number; end: number }[] {
  const src = batch.cols[DAY_COLUMN];
  if (!src || src.tag !== 'fixed') throw new TypeError('payload lacks the day column');
  const days = new Int32Array(src.values.buffer, src.values.byteOffset, batch.length);
  const out: { day: number; start: number; end: number }[] = [];
  let start = 0;
  for (let i = 1; i <= batch.length; i++) {
    if (i === batch.length || days[i] !== days[start]) {
      out.push({ day: days[start]!, start, end: i });
      start = i;
    }
  }
  return out;
}

/** Reads one row's string column (dict or utf8) as a JS string; undefined for NULL. */
export function stringAt(batch: BatchColumns, column: number, row: number): string | undefined {
  const src = batch.cols[column];
  if (!src || (src.nulls && (src.nulls[row >> 3]! & (1 << (row & 7))) === 0)) return undefined;
  if (src.tag === 'dict') return TEXT.decode(src.entries[src.indices[row]!]!.bytes);
  if (src.tag === 'utf8') return TEXT.decode(src.bytes.subarray(src.offsets[row]!, src.offsets[row + 1]!));
  throw new TypeError('not a string column');
}

/** The distinct strings of a string column in a batch (dictionary entries, or every value). */
export function distinctStrings(batch: BatchColumns, column: number): Set<string> {
  const src = batch.cols[column];
  const out = new Set<string>();
  if (src?.tag === 'dict') {
    // Entries may be unused, which only makes a caller's check more careful.
    for (const e of src.entries) out.add(TEXT.decode(e.bytes));
  } else if (src) {
    for (let r = 0; r < batch.length; r++) {
      const s = stringAt(batch, column, r);
      if (s !== undefined) out.add(s);
    }
  }
  return out;
}

const TEXT = new TextDecoder();

interface Segment {
  batch: BatchColumns;
  start: number;
  n: number;
  dst: number;
}

/**
 * Fills DuckDB data chunks from runs of Arrow rows, for an appender (`append`) or for DuckDB to pull
 * (`source`, through RowSource: the store's path). One instance per target shape (by default the
 * whole events table); it reuses its scratch buffers, so it fills one chunk at a time, which the
 * store's single write queue guarantees.
 */
export class ChunkAppender {
  private readonly chunk: DuckDBDataChunk;
  /** Rows per chunk: at most one vector. */
  private readonly capacity: number;
  private readonly scratch: Uint8Array<ArrayBuffer>;
  private readonly scratch32: Uint32Array;
  private readonly validity: Uint8Array<ArrayBuffer>;
  private readonly longRows: number[] = [];
  private readonly longBytes: Uint8Array[] = [];
  /** Rows whose string struct is a copy of an earlier row's (same long string). */
  private readonly repeatDst: number[] = [];
  private readonly repeatSrc: number[] = [];
  private readonly internRow: Int32Array;
  private readonly internHash: Uint32Array;
  private readonly internTouched: number[] = [];
  private readonly internBytes: (Uint8Array | undefined)[] = [];
  private readonly internAt: Int32Array;
  private readonly internLen: Int32Array;
  /** Each target column's storage kind. */
  private readonly kinds: readonly ColumnKind[];

  /**
   * `columns`: for each target column, the index in COLUMNS it is taken from. `rowsPerChunk`: any
   * count up to DuckDB's vector size (2048), which the store uses. `layout`: 'coded'
   * when the target stores coded columns as UINTEGER (the batches then carry codes: DimCodes.code).
   */
  constructor(
    private readonly columns: readonly number[] = COLUMNS.map((_, i) => i),
    rowsPerChunk = DuckDBVector.standardSize(),
    layout: DayLayout = 'plain',
  ) {
    this.capacity = Math.max(1, Math.min(Math.floor(rowsPerChunk), DuckDBVector.standardSize()));
    this.kinds = columns.map((i) => (layout === 'coded' && isCoded(COLUMNS[i]!) ? 'u32' : COLUMNS[i]!.kind));
    this.chunk = DuckDBDataChunk.create(this.kinds.map((k) => DUCK_TYPE[k]));
    // The widest column is a 16-byte string_t.
    this.scratch = new Uint8Array(this.capacity * 16);
    this.scratch32 = new Uint32Array(this.scratch.buffer);
    // DuckDB's validity mask is copied in whole u64 words.
    this.validity = new Uint8Array(Math.ceil(this.capacity / 64) * 8);
    // Open addressing masks the hash: a power of two, at least twice the rows of a chunk.
    const slots = 2 ** Math.ceil(Math.log2(this.capacity * 2));
    this.internRow = new Int32Array(slots);
    this.internHash = new Uint32Array(slots);
    this.internAt = new Int32Array(this.capacity);
    this.internLen = new Int32Array(this.capacity);
  }

  /** Appends every row of `runs` (in order) through an appender, on this thread, and returns the row count. */
  append(appender: DuckDBAppender, runs: readonly Run[]): number {
    let total = 0;
    for (const { segments, rows } of this.chunks(runs)) {
      this.chunk.reset();
      this.fill(this.chunk.chunk, segments, rows);
      appender.appendDataChunk(this.chunk);
      total += rows;
    }
    return total;
  }

  /** The target columns' names and DuckDB types, in order (what a chunk holds). */
  get columnTypes(): { name: string; type: DuckDBType }[] {
    return this.columns.map((i, c) => ({ name: COLUMNS[i]!.name, type: DUCK_TYPE[this.kinds[c]!] }));
  }

  /**
   * The rows of `runs` as a chunk producer (for RowSource): each call fills `out`, an empty chunk of
   * columnTypes, with the next chunk of rows and returns their count; 0 once every row was given.
   */
  source(runs: readonly Run[]): (out: duckdb.DataChunk) => number {
    const chunks = this.chunks(runs);
    return (out) => {
      const next = chunks.next();
      if (next.done) return 0;
      this.fill(out, next.value.segments, next.value.rows);
      return next.value.rows;
    };
  }

  /** Packs the runs' rows into chunks of at most `capacity` rows (one vector each). */
  private *chunks(runs: readonly Run[]): Generator<{ segments: Segment[]; rows: number }> {
    let segments: Segment[] = [];
    let rows = 0;
    for (const run of runs) {
      let start = run.start;
      while (start < run.end) {
        const n = Math.min(run.end - start, this.capacity - rows);
        segments.push({ batch: run.batch, start, n, dst: rows });
        rows += n;
        start += n;
        if (rows === this.capacity) {
          yield { segments, rows };
          segments = [];
          rows = 0;
        }
      }
    }
    if (rows > 0) yield { segments, rows };
  }

  /** Writes `rows` rows of `segments` into `chunk` (empty, with this instance's column types). */
  private fill(chunk: duckdb.DataChunk, segments: readonly Segment[], rows: number): void {
    duckdb.data_chunk_set_size(chunk, rows);
    for (let c = 0; c < this.columns.length; c++) {
      this.writeColumn(duckdb.data_chunk_get_vector(chunk, c), this.kinds[c]!, this.columns[c]!, segments, rows);
    }
  }

  private writeColumn(vector: duckdb.Vector, kind: ColumnKind, srcIndex: number, segs: readonly Segment[], rows: number): void {
    const scratch = this.scratch;
    const width = kind === 'dict' || kind === 'text' ? 16 : kind === 'timestamp' ? 8 : kind === 'bool' ? 1 : WIDTH[kind]!;
    const first = segs[0]!;
    const only = segs.length === 1 ? first.batch.cols[srcIndex] : undefined;
    let needsValidity = false;
    for (const s of segs) {
      const src = s.batch.cols[srcIndex];
      if (!src || src.nulls) needsValidity = true;
      // A coded target column takes codes (DimCodes.code), never the strings themselves.
      if (src && width !== 16 && (src.tag === 'dict' || src.tag === 'utf8')) throw new TypeError(`column ${COLUMNS[srcIndex]!.name}: text where a ${kind} is stored`);
    }

    if (only && only.tag === 'fixed') {
      // The common case: a whole chunk from one batch, copied straight out of the Arrow buffer.
      const v = only.values;
      duckdb.copy_data_to_vector(vector, 0, v.buffer as ArrayBuffer, v.byteOffset + first.start * width, rows * width);
    } else {
      if (kind === 'dict' || kind === 'text' || segs.some((s) => !s.batch.cols[srcIndex])) scratch.fill(0, 0, rows * width);
      this.longRows.length = 0;
      this.longBytes.length = 0;
      for (const s of segs) {
        const src = s.batch.cols[srcIndex];
        if (src) this.gather(src, s, width);
      }
      duckdb.copy_data_to_vector(vector, 0, scratch.buffer, 0, rows * width);
    }

    if (needsValidity) {
      const bits = this.validity;
      bits.fill(0xff);
      for (const s of segs) {
        const src = s.batch.cols[srcIndex];
        if (!src) {
          for (let i = 0; i < s.n; i++) bits[(s.dst + i) >> 3]! &= ~(1 << ((s.dst + i) & 7));
        } else if (src.nulls) {
          const nb = src.nulls;
          if ((s.start & 7) === 0 && (s.dst & 7) === 0) {
            // Byte-aligned (a chunk's first segment usually is): whole bytes, then the tail row by row.
            const whole = s.n >> 3;
            bits.set(nb.subarray(s.start >> 3, (s.start >> 3) + whole), s.dst >> 3);
            for (let i = whole * 8; i < s.n; i++) {
              const r = s.start + i;
              if ((nb[r >> 3]! & (1 << (r & 7))) === 0) bits[(s.dst + i) >> 3]! &= ~(1 << ((s.dst + i) & 7));
            }
            continue;
          }
          for (let i = 0; i < s.n; i++) {
            const r = s.start + i;
            if ((nb[r >> 3]! & (1 << (r & 7))) === 0) bits[(s.dst + i) >> 3]! &= ~(1 << ((s.dst + i) & 7));
          }
        }
      }
      duckdb.vector_ensure_validity_writable(vector);
      // DuckDB's mask is u64 words of LSB-first bits: on little-endian hosts the same bytes as Arrow's.
      duckdb.copy_data_to_vector_validity(vector, 0, bits.buffer, 0, Math.ceil(rows / 64) * 8);
    }

    // After the struct copy and the mask: assign can only add NULLs (for invalid UTF-8), never lose them.
    for (let i = 0; i < this.longRows.length; i++) {
      duckdb.vector_assign_string_element_len(vector, this.longRows[i]!, this.longBytes[i]!);
    }
    if (this.repeatDst.length > 0) this.copyRepeats(vector, rows);
    this.longRows.length = 0;
    this.longBytes.length = 0;
    for (const slot of this.internTouched) this.internRow[slot] = 0;
    this.internTouched.length = 0;
    this.internBytes.length = 0;
  }

  /** Gives each repeated long string the struct DuckDB wrote for its first row (and its NULL, if refused). */
  private copyRepeats(vector: duckdb.Vector, rows: number): void {
    const data = duckdb.vector_get_data(vector, rows * 16);
    const structs = new Uint32Array(data.buffer, data.byteOffset, rows * 4);
    const mask = duckdb.vector_get_validity(vector, Math.ceil(rows / 64) * 8);
    let masked = false;
    for (let i = 0; i < this.repeatDst.length; i++) {
      const d = this.repeatDst[i]! * 4;
      const f = this.repeatSrc[i]! * 4;
      structs[d] = structs[f]!;
      structs[d + 1] = structs[f + 1]!;
      structs[d + 2] = structs[f + 2]!;
      structs[d + 3] = structs[f + 3]!;
      const fr = this.repeatSrc[i]!;
      if (mask && (mask[fr >> 3]! & (1 << (fr & 7))) === 0) {
        const dr = this.repeatDst[i]!;
        mask[dr >> 3]! &= ~(1 << (dr & 7));
        masked = true;
      }
    }
    duckdb.copy_data_to_vector(vector, 0, structs.buffer as ArrayBuffer, structs.byteOffset, rows * 16);
    if (masked && mask) duckdb.copy_data_to_vector_validity(vector, 0, mask.buffer as ArrayBuffer, mask.byteOffset, mask.byteLength);
    this.repeatDst.length = 0;
    this.repeatSrc.length = 0;
  }

  private gather(src: ColSrc, s: Segment, width: number): void {
    const scratch = this.scratch;
    const w32 = this.scratch32;
    switch (src.tag) {
      case 'fixed': {
        const v = src.values;
        scratch.set(new Uint8Array(v.buffer, v.byteOffset + s.start * width, s.n * width), s.dst * width);
        return;
      }
      case 'ts': {
        // ms → µs (DuckDB TIMESTAMP) as 64-bit two's-complement arithmetic on 32-bit halves, all in
        // exact doubles: no BigInt allocation per row.
        const words = src.words;
        for (let i = 0; i < s.n; i++) {
          const r = (s.start + i) * 2;
          const lo = words[r]! * 1000;
          const d = (s.dst + i) * 2;
          w32[d] = lo >>> 0;
          w32[d + 1] = (words[r + 1]! * 1000 + Math.floor(lo / 4294967296)) >>> 0;
        }
        return;
      }
      case 'bool': {
        const bits = src.bits;
        for (let i = 0; i < s.n; i++) {
          const r = s.start + i;
          scratch[s.dst + i] = (bits[r >> 3]! >> (r & 7)) & 1;
        }
        return;
      }
      case 'dict': {
        const { indices, entries, nulls } = src;
        // Long dictionary strings are assigned once per batch and chunk; their other rows copy the
        // 16-byte struct, whose pointer refers to the same vector-owned bytes.
        const firstRow = new Int32Array(entries.length).fill(-1);
        for (let i = 0; i < s.n; i++) {
          const r = s.start + i;
          if (nulls && (nulls[r >> 3]! & (1 << (r & 7))) === 0) continue;
          const k = indices[r]!;
          const e = entries[k];
          if (!e) throw new RangeError('dictionary index out of range');
          const d = s.dst + i;
          if (e.inline) {
            const o = d * 4;
            w32[o] = e.inline[0]!;
            w32[o + 1] = e.inline[1]!;
            w32[o + 2] = e.inline[2]!;
            w32[o + 3] = e.inline[3]!;
          } else if (firstRow[k]! < 0) {
            firstRow[k] = d;
            this.longRows.push(d);
            this.longBytes.push(e.bytes);
          } else {
            this.repeatDst.push(d);
            this.repeatSrc.push(firstRow[k]!);
          }
        }
        return;
      }
      case 'utf8': {
        const { offsets, bytes, nulls } = src;
        for (let i = 0; i < s.n; i++) {
          const r = s.start + i;
          if (nulls && (nulls[r >> 3]! & (1 << (r & 7))) === 0) continue;
          const a = offsets[r]!;
          const len = offsets[r + 1]! - a;
          const d = s.dst + i;
          if (len <= 12 && isAscii(bytes, a, len)) {
            const base = d * 16;
            w32[d * 4] = len;
            for (let j = 0; j < len; j++) scratch[base + 4 + j] = bytes[a + j]!;
            continue;
          }
          const first = this.internLong(bytes, a, len, d);
          if (first < 0) {
            this.longRows.push(d);
            this.longBytes.push(bytes.subarray(a, a + len));
          } else {
            this.repeatDst.push(d);
            this.repeatSrc.push(first);
          }
        }
        return;
      }
    }
  }

  /**
   * Remembers a long string by its bytes within the current chunk column. Returns the row that first
   * held the same bytes, or -1 when it is new (and now remembered at `row`). Open addressing over
   * FNV-1a hashes; candidates are confirmed byte by byte.
   */
  private internLong(bytes: Uint8Array, at: number, len: number, row: number): number {
    let h = 0x811c9dc5;
    for (let j = 0; j < len; j++) h = Math.imul(h ^ bytes[at + j]!, 0x01000193);
    h >>>= 0;
    const mask = this.internRow.length - 1;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const stored = this.internRow[slot]!;
      if (stored === 0) {
        this.internRow[slot] = row + 1;
        this.internHash[slot] = h;
        this.internBytes[row] = bytes;
        this.internAt[row] = at;
        this.internLen[row] = len;
        this.internTouched.push(slot);
        return -1;
      }
      if (this.internHash[slot] === h && this.internLen[stored - 1] === len) {
        const other = this.internBytes[stored - 1]!;
        const oat = this.internAt[stored - 1]!;
        let same = true;
        for (let j = 0; j < len; j++) {
          if (other[oat + j] !== bytes[at + j]) {
            same = false;
            break;
          }
        }
        if (same) return stored - 1;
      }
    }
  }
}

function isAscii(bytes: Uint8Array, at: number, len: number): boolean {
  for (let j = 0; j < len; j++) if (bytes[at + j]! > 0x7f) return false;
  return true;
}
