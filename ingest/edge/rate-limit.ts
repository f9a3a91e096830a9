// Per-key rate limits with GCRA (generic cell rate algorithm): one number per key, the theoretical
// arrival time. The cost of a batch is its event count, known only after decoding, so the edge
// checks that a key has room before the pool (cheap refusal) and charges the real cost after: a key
// can overshoot by at most one batch, and then waits it off. Keys are bounded by the key registry.

export interface RateDecision {
  ok: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the bucket is full again. */
  resetSeconds: number;
  /** Seconds to wait when refused. */
  retryAfterSeconds: number;
}

export class Gcra {
  private readonly tat = new Map<string, number>();
  private readonly interval: number; // ms per event
  private readonly tolerance: number; // ms of burst

  constructor(readonly perMinute: number, burst = perMinute) {
    this.interval = 60_000 / perMinute;
    this.tolerance = this.interval * burst;
  }

  /** Would one more event be admitted now? Does not charge. */
  peek(key: string, now: number): RateDecision {
    const tat = Math.max(this.tat.get(key) ?? now, now);
    const next = tat + this.interval;
    const ok = next - now <= this.tolerance;
    return this.decision(ok, tat, now, next);
  }

  /** Charges `cost` events (may overshoot by one batch; the next peek then refuses). */
  charge(key: string, cost: number, now: number): RateDecision {
    const tat = Math.max(this.tat.get(key) ?? now, now) + cost * this.interval;
    this.tat.set(key, tat);
    if (this.tat.size > 100_000) this.prune(now);
    return this.decision(true, tat, now, tat);
  }

  private decision(ok: boolean, tat: number, now: number, next: number): RateDecision {
    const used = Math.max(0, tat - now);
    return {
      ok,
      limit: this.perMinute,
      remaining: Math.max(0, Math.floor((this.tolerance - used) / this.interval)),
      resetSeconds: Math.ceil(used / 1000),
      retryAfterSeconds: ok ? 0 : Math.max(1, Math.ceil((next - this.tolerance - now) / 1000)),
    };
  }

  private prune(now: number): void {
    for (const [k, t] of this.tat) if (t <= now) this.tat.delete(k);
  }
}

export function rateLimitHeaders(d: RateDecision): Record<string, string> {
  const h: Record<string, string> = {
    'RateLimit-Limit': String(d.limit),
    'RateLimit-Remaining': String(d.remaining),
    'RateLimit-Reset': String(d.resetSeconds),
  };
  if (!d.ok) h['Retry-After'] = String(d.retryAfterSeconds);
  return h;
}
