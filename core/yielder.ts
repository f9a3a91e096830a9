// Long synchronous work on the edge's thread (decoding an apply's log records, the dedup pass over its
// rows, coding their columns) gives the event loop a turn every millisecond, so that requests are
// answered in between instead of waiting for the whole apply. (Filling DuckDB's chunks needs no
// yielder: DuckDB pulls them one event-loop task at a time, see aggregator/store/row-source.ts.)
//
// Why one millisecond: an acknowledgement needs about four turns of the event loop after its body
// arrives (the pool's result, the log's writev, its fdatasync, the answer), and during an apply each
// turn can wait one slice. Measured at half load (paced client, 3–6 runs of 10 s each), when the
// appends still ran on this thread in 1024- or 2048-row chunks: with 5 ms slices, 14–35 % of the
// server's acknowledgements took over 25 ms and 3.5–10 % over 50 ms; with 1 ms slices, 9–13 % and
// 0.8–1.3 %.
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
