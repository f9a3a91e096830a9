// One coded day file's dictionary in memory: string → code for its `dims` table (see day-layout.ts).
// The store codes each batch's low-cardinality columns here before appending, inside the day's
// transaction: codes handed out during it are written to `dims` by `flush` in that same transaction,
// and forgotten by `rollback` if it fails, so the file's codes and rows always agree.
import type { DuckDBConnection } from '@duckdb/node-api';
import { COLUMNS } from '../../core/event-contract.js';
import type { BatchColumns, ColSrc } from './append-chunk.js';
import { isCoded } from './day-layout.js';

const CODED = COLUMNS.map((col, i) => (isCoded(col) ? i : -1)).filter((i) => i >= 0);
const TEXT = new TextDecoder();

export class DimCodes {
  private readonly codes = new Map<string, number>();
  /** Values coded since the last commit, in code order (their codes are committed + index). */
  private pending: string[] = [];

  private constructor(private committed: number) {}

  /** The dictionary of the file attached as `alias` (its `dims` must be dense from 0). */
  static async load(conn: DuckDBConnection, alias: string): Promise<DimCodes> {
    const rows = (await conn.runAndReadAll(`SELECT code, value FROM ${alias}.main.dims ORDER BY code`)).getRowsJS();
    const dims = new DimCodes(rows.length);
    rows.forEach(([code, value], i) => {
      if (Number(code) !== i) throw new Error(`${alias}: dims codes are not dense (code ${String(code)} at position ${i})`);
      // A blanked code (after an erasure) maps no string: a value seen again gets a new code.
      if (value !== null) dims.codes.set(String(value), i);
    });
    return dims;
  }

  /** Codes in the file plus those pending. */
  get size(): number {
    return this.committed + this.pending.length;
  }

  private codeOf(value: string): number {
    let code = this.codes.get(value);
    if (code === undefined) {
      code = this.size;
      this.codes.set(value, code);
      this.pending.push(value);
    }
    return code;
  }

  /** The batch with each coded column as u32 codes (NULLs stay NULL; their code slot is 0). */
  code(batch: BatchColumns): BatchColumns {
    const cols = batch.cols.slice();
    for (const c of CODED) {
      const src = cols[c];
      if (src) cols[c] = this.codeColumn(src, batch.length);
    }
    return { length: batch.length, cols };
  }

  private codeColumn(src: ColSrc, n: number): ColSrc {
    const out = new Uint32Array(n);
    const nulls = src.nulls;
    const isNull = (r: number): boolean => nulls !== null && (nulls[r >> 3]! & (1 << (r & 7))) === 0;
    if (src.tag === 'dict') {
      // Each dictionary entry is looked up once per batch, each row is one array read.
      const byEntry = new Int32Array(src.entries.length).fill(-1);
      for (let r = 0; r < n; r++) {
        if (isNull(r)) continue;
        const k = src.indices[r]!;
        let code = byEntry[k];
        if (code === undefined) throw new RangeError('dictionary index out of range');
        if (code < 0) byEntry[k] = code = this.codeOf(TEXT.decode(src.entries[k]!.bytes));
        out[r] = code;
      }
    } else if (src.tag === 'utf8') {
      for (let r = 0; r < n; r++) {
        if (!isNull(r)) out[r] = this.codeOf(TEXT.decode(src.bytes.subarray(src.offsets[r]!, src.offsets[r + 1]!)));
      }
    } else {
      throw new TypeError(`a coded column must be text, got ${src.tag}`);
    }
    return { tag: 'fixed', values: out, width: 4, nulls };
  }

  /** Writes the pending codes to the file's `dims`; call inside the transaction that appends their rows. */
  async flush(conn: DuckDBConnection, alias: string): Promise<void> {
    if (this.pending.length === 0) return;
    const ap = await conn.createAppender('dims', 'main', alias);
    try {
      this.pending.forEach((value, i) => {
        ap.appendUInteger(this.committed + i);
        ap.appendVarchar(value);
        ap.endRow();
      });
      ap.flushSync();
    } finally {
      ap.closeSync();
    }
  }

  /** The transaction committed: the pending codes are the file's now. */
  commit(): void {
    this.committed += this.pending.length;
    this.pending = [];
  }

  /** The transaction rolled back: the pending codes never existed. */
  rollback(): void {
    for (const v of this.pending) this.codes.delete(v);
    this.pending = [];
  }
}
