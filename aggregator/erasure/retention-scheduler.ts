// Retention on a schedule: at start and then hourly, every site's data past its retention window
// (15–365 days) goes — day files dropped or rewritten whole by the store, rollup rows by rewriting
// rollups.duckdb — so the disk space comes back (invariant 5).
import type { Logger } from '../../core/logger.js';
import type { PurgeResult, Store } from '../store/store.js';
import type { Rollups } from '../rollups/rollups.js';

export interface RetentionRun extends PurgeResult {
  /** (site, day) rollups removed. */
  rollups: number;
}

export class RetentionScheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<RetentionRun> | undefined;
  private closed = false;

  constructor(
    private readonly store: Store,
    private readonly rollups: Rollups,
    private readonly opts: { intervalMs?: number; log?: Pick<Logger, 'info' | 'error'> } = {},
  ) {}

  /** Purges now, then every intervalMs (default one hour). */
  start(): void {
    const tick = (): void => {
      void this.runOnce().catch((err: unknown) => this.opts.log?.error('retention purge failed', { err: String(err) }));
    };
    tick();
    this.timer = setInterval(tick, this.opts.intervalMs ?? 3_600_000);
    this.timer.unref();
  }

  /** One purge at `now` (one at a time: a call while one runs joins it). */
  runOnce(now: number = Date.now()): Promise<RetentionRun> {
    if (this.closed) return Promise.reject(new Error('retention scheduler is closed'));
    this.running ??= (async () => {
      try {
        const purged = await this.store.purgeExpired(now);
        const rollups = await this.rollups.purgeExpired(await this.store.sites.list(), now);
        const run = { ...purged, rollups };
        if (run.dropped.length + run.rewritten.length + rollups > 0) {
          this.opts.log?.info('retention purge', { dropped: run.dropped.length, rewritten: run.rewritten.length, rollups });
        }
        return run;
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }
}
