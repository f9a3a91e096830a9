// Long synchronous work on the edge's thread (decoding an apply's log records, the dedup pass over its
// rows, filling DuckDB chunks) gives the event loop a turn every millisecond, so that requests are
// answered in between instead of waiting for the whole apply.
//
// Why one millisecond: an acknowledgement needs about four turns of the event loop after its body
// arrives (the pool's result, the log's writev, its fdatasync, the answer), and during an apply each
// turn can wait one slice. Measured at half load (paced client, 3–6 runs of 10 s each): with 5 ms
// slices and 2048-row append chunks, 14–35 % of the server's acknowledgements took over 25 ms and
// 3.5–10 % over 50 ms; with 1 ms slices and 1024-row chunks (CHUNK_ROWS_YIELDING), 9–13 % and
// 0.8–1.3 %. The cost is CPU on this thread: one appender flush per 1024 rows instead of 2048 (see
// bench/micro/duckdb-append.bench.ts), and more, smaller group commits at full load.
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
