// Long synchronous work on the edge's thread (decoding an apply's log records, the dedup pass over its
// rows, filling DuckDB chunks) gives the event loop a turn every few milliseconds, so that requests
// are answered in between instead of waiting for the whole apply.
export class Yielder {
  private last = performance.now();

  constructor(private readonly sliceMs = 5) {}

  /** Whether this slice is used up; then `await yielder.yield()`. */
  get due(): boolean {
    return performance.now() - this.last >= this.sliceMs;
  }

  async yield(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.last = performance.now();
  }
}
