// Last step of the pool: the accepted events of one task become one Arrow record batch (IPC stream
// bytes), built column by column from the contract. These bytes are what the log stores and the
// store appends; the raw IP never reaches here.
import {
  Bool, DateDay, Dictionary, Float64, Int32, makeData, makeVector, Table, TimestampMillisecond,
  Uint32, Uint64, Uint8, Utf8, tableToIPC, type DataType, type Vector,
} from 'apache-arrow';
import { COLUMNS, type Column, type ColumnKind, type EventRecord } from '../../core/event-contract.js';

export function arrowType(kind: ColumnKind): DataType {
  switch (kind) {
    case 'u64': return new Uint64();
    case 'timestamp': return new TimestampMillisecond();
    case 'date': return new DateDay();
    case 'u8': return new Uint8();
    case 'u32': return new Uint32();
    case 'f64': return new Float64();
    case 'bool': return new Bool();
    case 'dict': return new Dictionary(new Utf8(), new Int32());
    case 'text': return new Utf8();
  }
}

type Getter = (r: EventRecord) => EventRecord[keyof EventRecord];

// One compiled getter per column: `r["name"]` with a literal name is a monomorphic property load when
// every record has the same shape (newRecord), where `r[col.name]` in a loop over columns is a
// megamorphic keyed load — the difference was most of this module's time in a profile.
const GETTERS: ReadonlyMap<string, Getter> = new Map(
  COLUMNS.map((c) => [c.name, new Function('r', `return r[${JSON.stringify(c.name)}];`) as Getter]),
);

/** A record with every column present, in contract order, so all records share one hidden class. */
export const newRecord = new Function(`return {${COLUMNS.map((c) => `${JSON.stringify(c.name)}: undefined`).join(', ')}};`) as () => EventRecord;

/** The column's values and its validity bitmap (undefined when nothing is null). */
function columnValues(records: readonly EventRecord[], name: string): { values: EventRecord[keyof EventRecord][]; nullBitmap: Uint8Array | undefined } {
  const get = GETTERS.get(name)!;
  const n = records.length;
  const values = new Array<EventRecord[keyof EventRecord]>(n);
  let nulls = 0;
  const bits = new Uint8Array((n + 7) >> 3);
  for (let i = 0; i < n; i++) {
    const v = get(records[i]!);
    values[i] = v;
    if (v === undefined || v === null) nulls++;
    else bits[i >> 3]! |= 1 << (i & 7);
  }
  return { values, nullBitmap: nulls === 0 ? undefined : bits };
}

function numericColumn(col: Column, records: readonly EventRecord[]): Vector {
  const n = records.length;
  const { values, nullBitmap } = columnValues(records, col.name);
  switch (col.kind) {
    case 'u64': {
      const a = new BigUint64Array(n);
      for (let i = 0; i < n; i++) a[i] = (values[i] as bigint | undefined) ?? 0n;
      return makeVector(makeData({ type: new Uint64(), length: n, data: a, nullBitmap }));
    }
    case 'timestamp': {
      const a = new BigInt64Array(n);
      for (let i = 0; i < n; i++) a[i] = BigInt((values[i] as number | undefined) ?? 0);
      return makeVector(makeData({ type: new TimestampMillisecond(), length: n, data: a, nullBitmap }));
    }
    case 'date': {
      const a = new Int32Array(n);
      for (let i = 0; i < n; i++) a[i] = (values[i] as number | undefined) ?? 0;
      return makeVector(makeData({ type: new DateDay(), length: n, data: a, nullBitmap }));
    }
    case 'u8': {
      const a = new Uint8Array(n);
      for (let i = 0; i < n; i++) a[i] = (values[i] as number | undefined) ?? 0;
      return makeVector(makeData({ type: new Uint8(), length: n, data: a, nullBitmap }));
    }
    case 'u32': {
      const a = new Uint32Array(n);
      for (let i = 0; i < n; i++) a[i] = (values[i] as number | undefined) ?? 0;
      return makeVector(makeData({ type: new Uint32(), length: n, data: a, nullBitmap }));
    }
    case 'f64': {
      const a = new Float64Array(n);
      for (let i = 0; i < n; i++) a[i] = (values[i] as number | undefined) ?? 0;
      return makeVector(makeData({ type: new Float64(), length: n, data: a, nullBitmap }));
    }
    case 'bool': {
      const bits = new Uint8Array((n + 7) >> 3);
      for (let i = 0; i < n; i++) if (values[i] === true) bits[i >> 3]! |= 1 << (i & 7);
      return makeVector(makeData({ type: new Bool(), length: n, data: bits, nullBitmap }));
    }
    default:
      throw new Error(`not numeric: ${col.kind}`);
  }
}

const encoder = new TextEncoder();

/** UTF-8 bytes + offsets of `values` (nulls as empty), the layout of an Arrow Utf8 array. */
function utf8Data(values: readonly (string | null)[]): { offsets: Int32Array; bytes: Uint8Array } {
  const offsets = new Int32Array(values.length + 1);
  let cap = 0;
  for (const v of values) cap += v === null ? 0 : v.length * 3;
  const bytes = new Uint8Array(cap);
  let pos = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v) pos += encoder.encodeInto(v, bytes.subarray(pos)).written;
    offsets[i + 1] = pos;
  }
  return { offsets, bytes: bytes.subarray(0, pos) };
}

function utf8Vector(values: readonly (string | null)[], nullBitmap: Uint8Array | undefined): Vector<Utf8> {
  const { offsets, bytes } = utf8Data(values);
  return makeVector(makeData({ type: new Utf8(), length: values.length, valueOffsets: offsets, data: bytes, nullBitmap }));
}

// Built straight from typed arrays: apache-arrow's generic builders (vectorFromArray) cost ~10 µs a
// row here; this costs well under 1 µs (bench/micro/arrow-build.bench.ts keeps the naive twin).
function textColumn(col: Column, records: readonly EventRecord[]): Vector {
  const n = records.length;
  const { values, nullBitmap } = columnValues(records, col.name);
  if (col.kind === 'text') {
    return utf8Vector(values.map((v) => (v === undefined || v === null ? null : String(v))), nullBitmap);
  }
  // Dictionary: low-cardinality text travels as int32 codes plus each distinct value once.
  const codes = new Int32Array(n);
  const dict = new Map<string, number>();
  const distinct: string[] = [];
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === undefined || v === null) continue;
    const s = String(v);
    let code = dict.get(s);
    if (code === undefined) {
      code = distinct.length;
      dict.set(s, code);
      distinct.push(s);
    }
    codes[i] = code;
  }
  const type = arrowType('dict') as Dictionary<Utf8, Int32>;
  const dictionary = utf8Vector(distinct, undefined);
  return makeVector(makeData({ type, length: n, data: codes, nullBitmap, dictionary }));
}

/** Builds the IPC stream bytes of one record batch holding `records`, with the contract's schema. */
export function encodeEventBatch(records: readonly EventRecord[]): Uint8Array {
  const vectors: Record<string, Vector> = {};
  for (const col of COLUMNS) {
    vectors[col.name] = col.kind === 'dict' || col.kind === 'text' ? textColumn(col, records) : numericColumn(col, records);
  }
  return tableToIPC(new Table(vectors), 'stream');
}
