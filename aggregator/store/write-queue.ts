// The store's single writer: DuckDB lets one transaction write at a time per database, and the
// store's multi-step writes (apply a day, rewrite a file, swap meta) must not interleave, so every
// write runs here, one after another, in call order.

export class WriteQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private waiting = 0;

  /** Runs `fn` after every write queued before it; a failed write does not stop the next one. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    this.waiting++;
    const next = this.tail.then(
      () => fn(),
      () => fn(),
    );
    this.tail = next.then(
      () => this.waiting--,
      () => this.waiting--,
    );
    return next;
  }

  /** Writes queued or running. */
  get depth(): number {
    return this.waiting;
  }

  /** Resolves when everything queued so far has finished. */
  async idle(): Promise<void> {
    await this.tail;
  }
}
