// Keeps the rollups current: the applier reports the days it appended to (onApplied), they are marked
// dirty, and shortly after (gathering a burst into one pass) each dirty day is refreshed — only the
// sites whose rows changed are recomputed. `beaconry_rollup_lag_seconds` is the age of the oldest
// applied change the rollups do not show yet (0 when they are current).
import type { Logger } from '../../core/logger.js';
import { metrics } from '../../core/metrics.js';
import type { RefreshResult, Rollups } from './rollups.js';

const BATCH_DAYS = 7;
const IDLE_FACTOR = 3;

export interface RollupMaintainerOptions {
  /** Wait this long after the first dirty mark before refreshing, to gather a burst of appends. */
  delayMs?: number;
  log?: Pick<Logger, 'error'>;
  /** Called after each refreshed day (tests, metrics). */
  onRefreshed?: (r: RefreshResult) => void;
}

export class RollupMaintainer {
  /** Dirty day → when its oldest not-yet-rolled-up change was applied (ms epoch). */
  private readonly dirty = new Map<string, number>();
  /** Days being refreshed right now, with the same timestamps (they count toward the lag). */
  private readonly inFlight = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly gauge: NodeJS.Timeout;
  private closed = false;
  private readonly delayMs: number;
  /**
   * The last pass's duration: the next one waits at least IDLE_FACTOR times as long, so that
   * recomputing big days under steady ingest takes at most a quarter of the writer (and of DuckDB's
   * threads, which ingest shares): the rollups lag a little more on a big day instead.
   */
  private lastPassMs = 0;

  constructor(
    private readonly rollups: Rollups,
    private readonly opts: RollupMaintainerOptions = {},
  ) {
    this.delayMs = opts.delayMs ?? 1000;
    this.gauge = setInterval(() => metrics.rollupLag.set(this.lagSeconds()), 1000);
    this.gauge.unref();
  }

  /** The applier's onApplied hook: `days` got rows (or may have) at `appliedAt`. */
  markDirty(days: readonly string[], appliedAt: number = Date.now()): void {
    if (this.closed) return;
    for (const d of days) if (!this.dirty.has(d)) this.dirty.set(d, appliedAt);
    if (this.dirty.size > 0) this.schedule(this.delayMs);
  }

  /** Seconds since the oldest applied change that the rollups do not reflect yet. */
  lagSeconds(now: number = Date.now()): number {
    let oldest = Infinity;
    for (const at of this.dirty.values()) oldest = Math.min(oldest, at);
    for (const at of this.inFlight.values()) oldest = Math.min(oldest, at);
    return oldest === Infinity ? 0 : Math.max(0, (now - oldest) / 1000);
  }

  /**
   * Refreshes every dirty day now and resolves when none is left (tests, shutdown, erasure); rejects
   * with the error of a day that failed to refresh.
   */
  async flush(): Promise<void> {
    for (;;) {
      if (this.running) await this.running;
      if (this.dirty.size === 0) return;
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      const failed = await this.pass();
      if (failed) throw failed;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    clearInterval(this.gauge);
    if (this.running) await this.running;
  }

  private schedule(delay: number): void {
    if (this.timer || this.running || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.pass();
    }, Math.max(delay, IDLE_FACTOR * this.lastPassMs));
    this.timer.unref();
  }

  /** One refresh of every day dirty now; resolves with the last error, if a day failed. */
  private pass(): Promise<Error | undefined> {
    if (this.running) return this.running.then(() => undefined);
    let failed: Error | undefined;
    const run = (async () => {
      const started = performance.now();
      const batch = [...this.dirty].sort(([a], [b]) => (a < b ? -1 : 1));
      this.dirty.clear();
      for (const [day, at] of batch) this.inFlight.set(day, at);
      // A week at a time: one pass per batch is much cheaper than one per day after a backlog.
      for (let i = 0; i < batch.length; i += BATCH_DAYS) {
        const part = batch.slice(i, i + BATCH_DAYS);
        try {
          for (const r of await this.rollups.refreshDays(part.map(([day]) => day))) this.opts.onRefreshed?.(r);
        } catch (err) {
          // Keep them dirty (with their original age, so the lag shows the trouble) and try again later.
          for (const [day, at] of part) this.dirty.set(day, Math.min(at, this.dirty.get(day) ?? at));
          failed = err as Error;
          this.opts.log?.error('rollup refresh failed', { days: part.map(([day]) => day), err: String(err) });
        } finally {
          for (const [day] of part) this.inFlight.delete(day);
        }
      }
      this.lastPassMs = performance.now() - started;
      metrics.rollupLag.set(this.lagSeconds());
    })().finally(() => {
      this.running = undefined;
      if (this.dirty.size > 0) this.schedule(this.delayMs);
    });
    this.running = run;
    return run.then(() => failed);
  }
}
