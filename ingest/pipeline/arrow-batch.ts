// Last step of the pool: the accepted events of one task become one Arrow record batch (IPC stream
// bytes), built column by column from the contract. These bytes are what the log stores and the
// store appends; the raw IP never reaches here.
import {
  Bool, DateDay, Dictionary, Field, Float64, Int32, Schema, TimestampMillisecond, Uint32, Uint64, Uint8, Utf8,
  type DataType,
} from 'apache-arrow';
import { COLUMNS, type Column, type ColumnKind, type EventRecord } from '../../core/event-contract.js';
import { schemaMessage, writeStream, type ColumnBuffers } from './arrow-ipc-writer.js';

function arrowType(kind: ColumnKind, index: number): DataType {
  switch (kind) {
    case 'u64': return new Uint64();
    case 'timestamp': return new TimestampMillisecond();
    case 'date': return new DateDay();
    case 'u8': return new Uint8();
    case 'u32': return new Uint32();
    case 'f64': return new Float64();
    case 'bool': return new Bool();
    // The column's index as the dictionary id: stable, so every payload's schema message is the same
    // bytes (the store caches the decoded schema by them: aggregator/store/ipc-reader.ts).
    case 'dict': return new Dictionary(new Utf8(), new Int32(), index);
    case 'text': return new Utf8();
  }
}

/** The contract's schema, every field nullable (the store checks nullability itself). */
const EVENT_SCHEMA = new Schema(COLUMNS.map((c, i) => new Field(c.name, arrowType(c.kind, i), true)));

/** The encapsulated schema message every payload starts with, encoded once. */
const SCHEMA_MESSAGE = schemaMessage(EVENT_SCHEMA);

/** A record with every column present, in contract order, so all records share one hidden class. */
export const newRecord = new Function(`return {${COLUMNS.map((c) => `${JSON.stringify(c.name)}: undefined`).join(', ')}};`) as () => EventRecord;

type ColumnValue = EventRecord[keyof EventRecord];
type Transpose = (records: readonly EventRecord[], out: ColumnValue[][]) => void;

// Rows → columns in one generated loop: `r["name"]` with a literal name is a monomorphic property load
// when every record has the same shape (newRecord), and the loop is one call per batch. Before, a
// compiled getter per column was called once per value: the call site saw 39 different functions,
// so nothing was inlined, and those calls were about a tenth of the pool's busy time in a profile.
const TRANSPOSE = new Function('records', 'out', [
  'const n = records.length;',
  ...COLUMNS.map((_, j) => `const c${j} = out[${j}];`),
  'for (let i = 0; i < n; i++) {',
  '  const r = records[i];',
  ...COLUMNS.map((c, j) => `  c${j}[i] = r[${JSON.stringify(c.name)}];`),
  '}',
].join('\n')) as Transpose;

interface Values {
  values: ColumnValue[];
  validity: Uint8Array | null;
  nullCount: number;
}

/** A column's values with its validity bitmap (null when nothing is null). */
function withValidity(values: ColumnValue[]): Values {
  const n = values.length;
  let nullCount = 0;
  const bits = new Uint8Array((n + 7) >> 3);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === undefined || v === null) nullCount++;
    else bits[i >> 3]! |= 1 << (i & 7);
  }
  return { values, validity: nullCount === 0 ? null : bits, nullCount };
}

const bytesOf = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

function numericColumn(col: Column, raw: ColumnValue[]): ColumnBuffers {
  const n = raw.length;
  const { values, validity, nullCount } = withValidity(raw);
  const column = (data: ArrayBufferView): ColumnBuffers => ({ length: n, nullCount, validity, buffers: [bytesOf(data)] });
  switch (col.kind) {
    case 'u64': {
      const a = new BigUint64Array(n);
      for (let i = 0; i < n; i++) a[i] = (values[i] as bigint | undefined) ?? 0n;
      return column(a);
    }
    case 'timestamp': {
      // Written as two little-endian 32-bit halves: BigInt(ms) per row was a visible share of the pool.
      const w = new Uint32Array(n * 2);
      for (let i = 0; i < n; i++) {
        const ms = (values[i] as number | undefined) ?? 0;
        w[2 * i] = ms >>> 0;
        w[2 * i + 1] = Math.floor(ms / 4294967296) >>> 0;
      }
      return column(w);
    }
    case 'date': {
      const a = new Int32Array(n);
      for (let i = 0; i < n; i++) a[i] = (values[i] as number | undefined) ?? 0;
      return column(a);
    }
    case 'u8': {
      const a = new Uint8Array(n);
      for (let i = 0; i < n; i++) a[i] = (values[i] as number | undefined) ?? 0;
      return column(a);
    }
    case 'u32': {
      const a = new Uint32Array(n);
      for (let i = 0; i < n; i++) a[i] = (values[i] as number | undefined) ?? 0;
      return column(a);
    }
    case 'f64': {
      const a = new Float64Array(n);
      for (let i = 0; i < n; i++) a[i] = (values[i] as number | undefined) ?? 0;
      return column(a);
    }
    case 'bool': {
      const bits = new Uint8Array((n + 7) >> 3);
      for (let i = 0; i < n; i++) if (values[i] === true) bits[i >> 3]! |= 1 << (i & 7);
      return column(bits);
    }
    default:
      throw new Error(`not numeric: ${col.kind}`);
  }
}

/** A Utf8 column of `values` (nulls stored as empty strings under the validity bitmap). */
function utf8Column(values: readonly unknown[], validity: Uint8Array | null, nullCount: number): ColumnBuffers {
  const n = values.length;
  const offsets = new Int32Array(n + 1);
  const strings = values.map((v) => (v === undefined || v === null ? '' : typeof v === 'string' ? v : String(v)));
  let cap = 0;
  for (const v of strings) cap += v.length * 3;
  const bytes = Buffer.allocUnsafe(cap);
  let pos = 0;
  for (let i = 0; i < n; i++) {
    const v = strings[i]!;
    // Buffer#write: no result object per value (TextEncoder#encodeInto allocates one).
    if (v.length > 0) pos += bytes.write(v, pos, 'utf8');
    offsets[i + 1] = pos;
  }
  return { length: n, nullCount, validity, buffers: [bytesOf(offsets), bytes.subarray(0, pos)] };
}

/** A text column: Utf8, or (kind dict) int32 codes plus its dictionary's distinct values. */
function textColumn(col: Column, raw: ColumnValue[]): { column: ColumnBuffers; dictionary?: ColumnBuffers } {
  const n = raw.length;
  const { values, validity, nullCount } = withValidity(raw);
  if (col.kind === 'text') return { column: utf8Column(values, validity, nullCount) };
  const codes = new Int32Array(n);
  const dict = new Map<string, number>();
  const distinct: string[] = [];
  // Neighbouring rows mostly share a value, and usually the same string object (per-request memos):
  // comparing with the previous row first skips hashing a fresh string for the Map.
  let last: unknown;
  let lastCode = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === undefined || v === null) continue;
    if (v === last) {
      codes[i] = lastCode;
      continue;
    }
    const s = String(v);
    let code = dict.get(s);
    if (code === undefined) {
      code = distinct.length;
      dict.set(s, code);
      distinct.push(s);
    }
    codes[i] = code;
    last = v;
    lastCode = code;
  }
  return {
    column: { length: n, nullCount, validity, buffers: [bytesOf(codes)] },
    dictionary: utf8Column(distinct, null, 0),
  };
}

/** Builds the IPC stream bytes of one record batch holding `records`, with the contract's schema. */
export function encodeEventBatch(records: readonly EventRecord[]): Uint8Array {
  const columns: ColumnBuffers[] = [];
  const dictionaries: [number, ColumnBuffers][] = [];
  const values = COLUMNS.map(() => new Array<ColumnValue>(records.length));
  TRANSPOSE(records, values);
  COLUMNS.forEach((col, i) => {
    if (col.kind === 'dict' || col.kind === 'text') {
      const { column, dictionary } = textColumn(col, values[i]!);
      columns.push(column);
      if (dictionary) dictionaries.push([i, dictionary]);
    } else {
      columns.push(numericColumn(col, values[i]!));
    }
  });
  return writeStream(SCHEMA_MESSAGE, dictionaries, records.length, columns);
}
