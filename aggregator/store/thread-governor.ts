// How many threads DuckDB may use, decided from ingest's pressure (BEACONRY_DUCKDB_THREADS=0, the
// default). On a small machine DuckDB's threads (appends, commits, rollup refreshes) compete for the
// same cores as the edge and the pool, and a refresh that takes every core delays acknowledgements.
// So while events arrive fast and the store keeps up, DuckDB gets one thread and the edge and pool
// the other cores; when the store falls behind (more than two applies' rows waiting at some point in
// the last 5 s) or ingest is quiet (queries then deserve every core), it gets DuckDB's default, one
// per core.
//
// Measured on 2 cores, paced at 48k events/s (dev runs, interleaved): one thread gave p99 35–57 ms and
// 0.01–0.8 % of acknowledgements over 50 ms in four runs, every core 80–270 ms and 1.9–5.4 %. But with
// one thread fixed, a 256-connection overload run applied 67k rows/s against 120k: hence the switch
// back when the store is behind, not a fixed 1.
import type { Logger } from '../../core/logger.js';
import { metrics } from '../../core/metrics.js';

export interface GovernorInputs {
  /** Rows acknowledged and not yet applied. */
  pendingRows(): number;
  /** Rows acknowledged since start (a counter). */
  arrivedRows(): number;
  /** Sets DuckDB's threads. */
  setThreads(n: number): Promise<void>;
}

export interface GovernorOptions {
  /** DuckDB's default (every core). */
  maxThreads: number;
  /** Ingest counts as busy from this many rows a second, over the last `windowMs`. */
  busyRowsPerSec?: number;
  /** The store counts as behind from this many waiting rows. */
  behindRows: number;
  windowMs?: number;
  /** A setting stays at least this long before the next change. */
  dwellMs?: number;
  log?: Pick<Logger, 'warn'>;
}

export class ThreadGovernor {
  private readonly samples: { at: number; rows: number; pending: number }[] = [];
  private readonly windowMs: number;
  private readonly dwellMs: number;
  private readonly busyRowsPerSec: number;
  private current: number;
  private changedAt = -Infinity;
  private timer: NodeJS.Timeout | undefined;
  private changing: Promise<void> | undefined;

  constructor(
    private readonly inputs: GovernorInputs,
    private readonly opts: GovernorOptions,
  ) {
    this.windowMs = opts.windowMs ?? 5000;
    this.dwellMs = opts.dwellMs ?? 5000;
    this.busyRowsPerSec = opts.busyRowsPerSec ?? 5000;
    this.current = opts.maxThreads;
    metrics.duckdbThreads.set(this.current);
  }

  get threads(): number {
    return this.current;
  }

  /** Samples the inputs every second and changes the setting when the decision changes. */
  start(intervalMs = 1000): void {
    this.timer = setInterval(() => void this.tick(), intervalMs);
    this.timer.unref();
  }

  /** The threads DuckDB should have now, given the samples so far. */
  want(now: number): number {
    const inWindow = this.samples.filter((s) => s.at >= now - this.windowMs);
    const first = inWindow[0] ?? this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last || last.at <= first.at) return this.opts.maxThreads;
    const rate = ((last.rows - first.rows) * 1000) / (last.at - first.at);
    const busy = rate >= this.busyRowsPerSec;
    // Over the window, not now: right after a long apply the queue is briefly short while the store
    // is still behind, and reading that as caught up made the setting swing every dwell.
    const behind = Math.max(...inWindow.map((s) => s.pending)) >= this.opts.behindRows;
    return busy && !behind ? 1 : this.opts.maxThreads;
  }

  /** One sample and, past the dwell time, the change it calls for. Resolves when a change is applied. */
  async tick(now = Date.now()): Promise<void> {
    this.samples.push({ at: now, rows: this.inputs.arrivedRows(), pending: this.inputs.pendingRows() });
    while (this.samples.length > 2 && this.samples[1]!.at <= now - this.windowMs) this.samples.shift();
    if (this.changing) return;
    const want = this.want(now);
    if (want === this.current || now - this.changedAt < this.dwellMs) return;
    this.changing = this.inputs
      .setThreads(want)
      .then(() => {
        this.current = want;
        this.changedAt = now;
        metrics.duckdbThreads.set(want);
      })
      .catch((err: unknown) => this.opts.log?.warn('could not change DuckDB threads', { threads: want, err: String(err) }))
      .finally(() => {
        this.changing = undefined;
      });
    await this.changing;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
