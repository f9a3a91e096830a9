// Generated events shaped like the pool's output, for the store's tests and its append benchmark.
// Deterministic for a seed, so a failing test can be replayed.
import { randomUUID } from 'node:crypto';
import type { EventRecord } from '../../../core/event-contract.js';
import { rng } from '../../../core/seeded-random.js';

const DAY_MS = 86_400_000;

export { rng };

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const u64 = (r: () => number): bigint => (BigInt(Math.floor(r() * 2 ** 32)) << 32n) | BigInt(Math.floor(r() * 2 ** 32));

export interface GenOptions {
  siteId?: string;
  /** UTC ms of the first event; events follow 1 s apart unless `spreadMs` is given. */
  startMs?: number;
  spreadMs?: number;
  seed?: number;
  /** Fixed `day` (days since epoch) for every event; default: the UTC day of its ts. */
  day?: number;
}

/** `n` events with realistic column shapes: short dictionary strings, longer paths, some NULLs. */
export function generateEvents(n: number, opts: GenOptions = {}): EventRecord[] {
  const r = rng(opts.seed ?? 1);
  const site = opts.siteId ?? randomUUID();
  const start = opts.startMs ?? Date.UTC(2024, 4, 1, 8);
  const spread = opts.spreadMs ?? 1000;
  const out: EventRecord[] = [];
  for (let i = 0; i < n; i++) {
    const ts = start + i * spread;
    const type = pick(r, ['pageview', 'pageview', 'pageview', 'engagement', 'cta_click', 'custom'] as const);
    const hasRef = r() < 0.4;
    out.push({
      event_id: u64(r),
      site_id: site,
      ts,
      day: opts.day ?? Math.floor(ts / DAY_MS),
      hour: new Date(ts).getUTCHours(),
      type,
      name: type === 'custom' ? pick(r, ['signup', 'download-pdf', 'newsletter']) : type,
      visitor_id: u64(r),
      session_id: u64(r),
      hostname: 'www.example.com',
      pathname: pick(r, ['/', '/pricing', '/blog/duckdb-day-partitions-for-analytics', '/docs/getting-started/install', '/about']),
      referrer: hasRef ? pick(r, ['https://www.google.com/', 'https://news.ycombinator.com/item?id=1']) : undefined,
      referrer_source: hasRef ? pick(r, ['Google', 'Hacker News']) : undefined,
      channel: hasRef ? 'Organic Search' : 'Direct',
      utm_source: r() < 0.1 ? 'newsletter' : undefined,
      country: pick(r, ['DE', 'US', 'FR', 'BR']),
      device: pick(r, ['desktop', 'mobile', 'tablet']),
      browser: pick(r, ['Chrome', 'Firefox', 'Safari']),
      browser_version: pick(r, ['124', '125', '17.4']),
      os: pick(r, ['Windows', 'macOS', 'Android', 'iOS']),
      os_version: pick(r, ['10', '14.4', '14']),
      scroll_depth: type === 'engagement' ? Math.floor(r() * 101) : undefined,
      engaged_ms: type === 'engagement' ? Math.floor(r() * 120_000) : undefined,
      cta_id: type === 'cta_click' ? '7d0f8a4e-3a1b-4c55-9a7e-0e2b8f1c2d3e' : undefined,
      props: type === 'custom' ? '{"plan":"pro"}' : undefined,
      revenue_amount: type === 'custom' && r() < 0.2 ? Math.round(r() * 10000) / 100 : undefined,
      revenue_currency: undefined,
      interactive: type !== 'engagement',
    });
  }
  return out;
}
