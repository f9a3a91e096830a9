// Generated traffic shaped like the pool's output, visit by visit: tracker sessions and session-less
// runs (gaps around the 30-minute cut), bounces, engagement, CTAs, custom events with props,
// non-interactive events, referrers that change inside a visit, several sites in several time zones.
// Deterministic for a seed. Used by the rollup, stats API, export and retention tests and the bench.
import type { EventRecord } from '../../../core/event-contract.js';
import { localDayHour, tzOffsetMs } from '../../../ingest/pipeline/local-time.js';
import { encodeEventBatch } from '../../../ingest/pipeline/arrow-batch.js';
import type { LogRecord, Store } from '../../../aggregator/store/store.js';
import { rng } from '../store/generate-events.js';
import { DIRECT, NOT_SET } from '../../../aggregator/rollups/properties.js';

export interface TrafficSite {
  id: string;
  timezone: string;
}

export interface TrafficOptions {
  /** Site-local days (YYYY-MM-DD) to fill. */
  days: readonly string[];
  /** Visits per site and day (±50 %). */
  visitsPerDay: number;
  seed: number;
  /** Give every event this pathname one time in `markerEvery` (erasure tests). */
  marker?: { pathname: string; every: number };
}

const DAY_MS = 86_400_000;
const PAGES = ['/', '/pricing', '/blog', '/blog/duckdb-day-partitions', '/blog/privacy-first', '/docs/install', '/about', '/über-uns', '/a_b%c'];
const HOSTS = ['example.com', 'example.com', 'example.com', 'blog.example.com'];
const SOURCES: readonly (readonly [string | undefined, string | undefined, string])[] = [
  [undefined, undefined, 'Direct'],
  [undefined, undefined, 'Direct'],
  ['Google', 'google.com', 'Organic Search'],
  ['Google', 'google.com/search', 'Organic Search'],
  ['Hacker News', 'news.ycombinator.com/item', 'Referral'],
  ['newsletter', undefined, 'Email'],
  ['Twitter', 't.co/abc', 'Organic Social'],
];
const UTM_CAMPAIGNS = [undefined, undefined, undefined, 'spring', 'launch'];
const COUNTRIES = ['DE', 'US', 'FR', 'BR', undefined];
const DEVICES = ['Desktop', 'Mobile', 'Tablet'];
const BROWSERS: readonly (readonly [string, string])[] = [['Chrome', '124'], ['Chrome', '125'], ['Firefox', '125'], ['Safari', '17'], ['Unknown', '']];
const OSES: readonly (readonly [string, string])[] = [['Windows', '10'], ['macOS', '14'], ['iOS', '17'], ['Android', '14']];
const CTAS = ['7d0f8a4e-3a1b-4c55-9a7e-0e2b8f1c2d3e', '0b6e3f1a-9c2d-4e5f-8a7b-6c5d4e3f2a1b'];
const GOALS = ['signup', 'Download PDF', 'newsletter'];
const PLANS = ['pro', 'free', 'team'];

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const u64 = (r: () => number): bigint => (BigInt(Math.floor(r() * 2 ** 32)) << 32n) | BigInt(Math.floor(r() * 2 ** 32));

/** UTC ms of the site-local midnight starting `day` (good to the minute across DST changes). */
export function localMidnight(day: string, tz: string): number {
  const utcMidnight = Date.parse(`${day}T00:00:00Z`);
  let t = utcMidnight;
  for (let i = 0; i < 3; i++) t = utcMidnight - tzOffsetMs(t, tz);
  return t;
}

/** One site-day of visits, as events in time order. */
export function generateSiteDay(site: TrafficSite, day: string, opts: TrafficOptions, seed: number): EventRecord[] {
  const r = rng(seed);
  const dayNum = Date.parse(`${day}T00:00:00Z`) / DAY_MS;
  const start = localMidnight(day, site.timezone);
  const visits = Math.max(1, Math.round(opts.visitsPerDay * (0.5 + r())));
  const out: EventRecord[] = [];
  let markerCount = 0;
  // A pool of visitors for the day: some come back for a second visit.
  const visitors: bigint[] = [];
  for (let v = 0; v < visits; v++) {
    const visitor = visitors.length > 0 && r() < 0.25 ? pick(r, visitors) : u64(r);
    visitors.push(visitor);
    const sessionLess = r() < 0.3;
    const session = sessionLess ? 0n : u64(r);
    let [source, referrer, channel] = pick(r, SOURCES);
    const utmSource = source === 'newsletter' ? 'newsletter' : undefined;
    const campaign = pick(r, UTM_CAMPAIGNS);
    const country = pick(r, COUNTRIES);
    let device: string | null | undefined = pick(r, DEVICES);
    let [browser, browserVersion]: (string | null | undefined)[] = [...pick(r, BROWSERS)];
    let [os, osVersion]: (string | undefined)[] = [...pick(r, OSES)];
    // Some visitors' labelled fields are missing, empty, or the label itself (all three show as the
    // label), one way in odd visits and another in even ones, so that a returning visitor can count
    // under all of them and must still count once. Decided by the visitor and the visit's number, not
    // drawn, so that the random draws, and so the rest of the traffic, stay as they were.
    const odd = v % 2 === 1;
    const kind = Number(visitor % 7n);
    if (kind === 0) [device, browser, browserVersion] = odd ? [null, NOT_SET, ''] : ['', '', NOT_SET];
    if (kind === 1) [source, referrer, channel] = odd ? [DIRECT, undefined, NOT_SET] : [undefined, undefined, ''];
    if (kind === 2) [os, osVersion] = odd ? [NOT_SET, undefined] : [undefined, NOT_SET];
    const host = pick(r, HOSTS);
    let ts = start + Math.floor(r() * (DAY_MS - 600_000));
    const pages = r() < 0.35 ? 1 : 1 + Math.floor(r() * 5);
    const bouncy = r() < 0.5;
    const push = (type: string, extra: Partial<EventRecord>): boolean => {
      const { day: d, hour } = localDayHour(ts, site.timezone);
      if (d !== dayNum) return false; // the visit ran past midnight: the day's traffic ends here
      const e: EventRecord = {
        event_id: u64(r), site_id: site.id, ts, day: dayNum, hour, type, name: type, visitor_id: visitor, session_id: session,
        hostname: host, pathname: '/', referrer, referrer_source: source, channel, utm_source: utmSource, utm_campaign: campaign,
        country, device, browser, browser_version: browserVersion, os, os_version: osVersion,
        interactive: !['pageview', 'engagement', 'cta_impression', 'cta_hover'].includes(type),
        ...extra,
      };
      if (opts.marker && ++markerCount % opts.marker.every === 0) e.pathname = opts.marker.pathname;
      out.push(e);
      return true;
    };
    visit: for (let p = 0; p < pages; p++) {
      const path = pick(r, PAGES);
      // An SPA navigation can carry a different referrer; the visit keeps its first one.
      const extra: Partial<EventRecord> = p > 0 && r() < 0.2 ? { referrer_source: 'Bing', referrer: 'bing.com', channel: 'Organic Search' } : {};
      if (!push('pageview', { pathname: path, ...extra })) break;
      if (r() < 0.3) {
        ts += 1000 + Math.floor(r() * 5000);
        const cta = pick(r, CTAS);
        if (!push('cta_impression', { pathname: path, cta_id: cta })) break;
        if (r() < 0.5) {
          ts += 500;
          if (!push('cta_hover', { pathname: path, cta_id: cta })) break;
          if (!bouncy && r() < 0.5) {
            ts += 300;
            if (!push('cta_click', { pathname: path, cta_id: cta })) break;
          }
        }
      }
      if (!bouncy && r() < 0.25) {
        ts += 2000;
        const name = pick(r, GOALS);
        const props = r() < 0.7 ? JSON.stringify(r() < 0.5 ? { plan: pick(r, PLANS) } : { plan: pick(r, PLANS), 'b/c': 'x~y' }) : undefined;
        // Sometimes sent with `ni` (interactive: false): a conversion that does not end a bounce.
        if (!push('custom', { pathname: path, name, props, interactive: r() >= 0.2 })) break;
      }
      if (r() < 0.6) {
        ts += 3000 + Math.floor(r() * 90_000);
        const sd = r() < 0.9 ? Math.floor(r() * 101) : undefined;
        const et = r() < 0.9 ? Math.floor(r() * 120_000) : undefined;
        if (!push('engagement', { pathname: path, scroll_depth: sd, engaged_ms: et })) break;
      }
      if (!bouncy && r() < 0.1) {
        ts += 1000;
        if (!push('outbound', { pathname: path, link_url: 'https://github.com/duckdb/duckdb' })) break visit;
      }
      // Gaps near the 30-minute cut, so session-less runs split (or not) right at the edge.
      const gap = r() < 0.1 ? (r() < 0.5 ? 30 * 60_000 : 30 * 60_000 + 1) : 5000 + Math.floor(r() * 240_000);
      ts += gap;
    }
  }
  out.sort((a, b) => (a.ts as number) - (b.ts as number));
  return out;
}

/** Every site-day of `opts` as records of at most `perRecord` events, LSNs from `firstLsn`. */
export function trafficRecords(sites: readonly TrafficSite[], opts: TrafficOptions, firstLsn = 1, perRecord = 2000): { records: LogRecord[]; events: number } {
  const records: LogRecord[] = [];
  let events = 0;
  let lsn = firstLsn;
  opts.days.forEach((day, d) => {
    sites.forEach((site, s) => {
      const evs = generateSiteDay(site, day, opts, opts.seed * 1_000_003 + d * 101 + s);
      events += evs.length;
      for (let i = 0; i < evs.length; i += perRecord) records.push({ lsn: lsn++, payload: encodeEventBatch(evs.slice(i, i + perRecord)) });
    });
  });
  return { records, events };
}

/** Writes the traffic into the store through Store.apply (the applier's path). Returns events written. */
export async function writeTraffic(store: Store, sites: readonly TrafficSite[], opts: TrafficOptions): Promise<number> {
  const { records, events } = trafficRecords(sites, opts, store.appliedLsn + 1);
  for (let i = 0; i < records.length; i += 50) await store.apply(records.slice(i, i + 50));
  return events;
}

/** `n` consecutive days ending with `last` (YYYY-MM-DD). */
export function dayRange(last: string, n: number): string[] {
  const end = Date.parse(`${last}T00:00:00Z`);
  return Array.from({ length: n }, (_, i) => new Date(end - (n - 1 - i) * DAY_MS).toISOString().slice(0, 10));
}
