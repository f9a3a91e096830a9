// Long synchronous work on the edge's thread (decoding an apply's log records, the dedup pass over its
// rows, filling DuckDB chunks) gives the event loop a turn every millisecond, so that requests are
// answered in between instead of waiting for the whole apply.
//
// Why one millisecond: an acknowledgement needs about four turns of the event loop after its body
// arrives (the pool's result, the log's writev, its fdatasync, the answer), and during an apply each
// turn can wait one slice. Measured at half load (9 runs of 10 s, paced client): with 5 ms slices and
// 2048-row append chunks, 16–35 % of the server's acknowledgements took over 25 ms and 4–10 % over
// 50 ms; with 1 ms slices and 512-row chunks (CHUNK_ROWS_YIELDING), 4–7 % and 0.3–1.8 %. The cost is
// a little more CPU per appended row (one appender flush per 512 rows; see
// bench/micro/duckdb-append.bench.ts) and more, smaller group commits at full load.
export const SLICE_MS = 1;

export class Yielder {
  private last = performance.now();

  constructor(private readonly sliceMs = SLICE_MS) {}

  /** Whether this slice is used up; then `await yielder.yield()`. */
  get due(): boolean {
    return performance.now() - this.last >= this.sliceMs;
  }

  async yield(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.last = performance.now();
  }
}
