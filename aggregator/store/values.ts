// JS ⇄ DuckDB values at the store's query boundary: parameters in, plain JSON-friendly rows out.
import {
  DuckDBTimestampValue, DuckDBTypeId, listValue, type DuckDBConnection, type DuckDBResultReader, type DuckDBValue,
} from '@duckdb/node-api';

export type Params = Record<string, unknown> | unknown[];

function toDuck(v: unknown): DuckDBValue {
  if (v === undefined || v === null) return null;
  switch (typeof v) {
    case 'string':
    case 'boolean':
    case 'bigint':
      return v;
    case 'number':
      if (!Number.isFinite(v)) throw new TypeError(`query parameter is not a finite number: ${v}`);
      return v;
    case 'object':
      if (v instanceof Date) return new DuckDBTimestampValue(BigInt(v.getTime()) * 1000n);
      if (Array.isArray(v)) return listValue(v.map(toDuck));
      break;
  }
  throw new TypeError(`unsupported query parameter type: ${typeof v}`);
}

export function toDuckParams(params: Params | undefined): DuckDBValue[] | Record<string, DuckDBValue> | undefined {
  if (params === undefined) return undefined;
  if (Array.isArray(params)) return params.map(toDuck);
  const out: Record<string, DuckDBValue> = {};
  for (const [k, v] of Object.entries(params)) out[k] = toDuck(v);
  return out;
}

/** bigint → number when exactly representable, else its decimal string (JSON cannot carry bigints). */
function plain(v: unknown): unknown {
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === 'object' && !(v instanceof Date) && !(v instanceof Uint8Array)) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = plain(x);
    return o;
  }
  return v;
}

/**
 * Rows as objects: integers as numbers (or strings past 2^53), DECIMAL as numbers, TIMESTAMP as Date,
 * and top-level DATE columns as 'YYYY-MM-DD' strings — a site-local day is a calendar date, not an
 * instant, and a Date at UTC midnight invites off-by-one-day bugs in other time zones.
 */
export function plainRows(reader: DuckDBResultReader): Record<string, unknown>[] {
  const names = reader.columnNames();
  const dateCols = reader
    .columnTypes()
    .map((t, i) => (t.typeId === DuckDBTypeId.DATE ? names[i] : undefined))
    .filter((n): n is string => n !== undefined);
  return reader.getRowObjectsJS().map((row) => {
    const out = plain(row) as Record<string, unknown>;
    for (const c of dateCols) {
      const d = out[c];
      if (d instanceof Date) out[c] = d.toISOString().slice(0, 10);
    }
    return out;
  });
}

/** Runs one statement and returns its rows as plainRows does. */
export async function exec(conn: DuckDBConnection, sql: string, params?: Params): Promise<Record<string, unknown>[]> {
  return plainRows(await conn.runAndReadAll(sql, toDuckParams(params)));
}
