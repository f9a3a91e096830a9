// Realistic generated traffic for `npm run demo`, sent through the real ingest path: the native batch
// wire format (one visit per batch, as the tracker sends), secret-key batches with `ts`, `ip` and
// `ua` to backfill past days, and public-key batches for live visits (client address and browser in
// the X-Forwarded-For and User-Agent headers, as a proxy in front of Beaconry would pass them).
// A seeded generator, so two runs show the same shapes: sources, pages, countries, devices, CTAs,
// goals, custom properties, engagement, a weekly rhythm and a slow upward trend.
import { rng } from '../../core/seeded-random.js';

export interface DemoCta {
  id: string;
  name: string;
  /** Pages that show it. */
  pages: readonly string[];
  /** Where a click leads (a page path of the site). */
  to: string;
}

export interface DemoSite {
  domain: string;
  timezone: string;
  publicKey: string;
  secretKey: string;
  ctas: readonly DemoCta[];
}

export interface DemoEvent {
  t: string;
  i: string;
  ts: number;
  u?: string;
  r?: string;
  n?: string;
  p?: Record<string, string>;
  c?: string;
  sd?: number;
  et?: number;
  h?: string;
  f?: string;
  x?: string;
  $?: { a: number; c: string };
}

export interface DemoBatch {
  s: string;
  u: string;
  r?: string;
  ip?: string;
  ua?: string;
  e: DemoEvent[];
}


type Weighted<T> = readonly (readonly [T, number])[];

function pick<T>(r: () => number, table: Weighted<T>): T {
  const total = table.reduce((s, [, w]) => s + w, 0);
  let x = r() * total;
  for (const [v, w] of table) {
    x -= w;
    if (x < 0) return v;
  }
  return table[table.length - 1]![0];
}

/** Address blocks the bundled geo database places in each country (checked against it). */
const COUNTRY_BLOCKS: Weighted<readonly string[]> = [
  [['8.8.8', '2.0.0'], 30],
  [['85.214.132', '91.0.0', '176.0.0', '77.0.0'], 12],
  [['81.2.69', '80.0.0', '86.0.0', '92.0.0'], 9],
  [['90.84.0', '109.0.0', '93.0.0'], 7],
  [['1.6.0'], 7],
  [['24.48.0'], 5],
  [['145.53.0', '2.16.0'], 4],
  [['177.0.0', '189.0.0'], 4],
  [['126.0.0'], 3],
  [['1.128.0', '103.0.0'], 3],
  [['88.0.0'], 3],
  [['79.0.0', '5.2.0'], 3],
  [['78.64.0'], 2],
  [['83.0.0'], 2],
  [['41.0.0'], 1],
  [['95.0.0'], 1],
  [['200.0.0'], 1],
  [['84.0.0'], 1],
  [['185.0.0'], 1],
];

const UAS: Weighted<string> = [
  ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36', 24],
  ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36', 14],
  ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15', 10],
  ['Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0', 7],
  ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0', 6],
  ['Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0', 3],
  ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36', 2],
  ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1', 16],
  ['Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36', 9],
  ['Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36', 4],
  ['Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1', 3],
];

interface Source {
  referrer?: string;
  utm?: string;
  landing: Weighted<string>;
}

const SOURCES: Weighted<Source> = [
  [{ referrer: 'https://www.google.com/', landing: [['/', 4], ['/blog/privacy-first-analytics', 3], ['/blog/cookieless-tracking', 2], ['/pricing', 1], ['/docs/getting-started', 2]] }, 33],
  [{ landing: [['/', 6], ['/pricing', 2], ['/docs', 1]] }, 24],
  [{ referrer: 'https://news.ycombinator.com/', landing: [['/blog/cookieless-tracking', 5], ['/', 2]] }, 8],
  [{ referrer: 'https://t.co/', landing: [['/', 2], ['/blog/privacy-first-analytics', 2]] }, 5],
  [{ referrer: 'https://www.reddit.com/r/selfhosted/', landing: [['/', 3], ['/docs/getting-started', 2]] }, 6],
  [{ referrer: 'https://github.com/beaconry/beaconry', landing: [['/docs', 3], ['/docs/getting-started', 3], ['/', 1]] }, 5],
  [{ referrer: 'https://duckduckgo.com/', landing: [['/', 2], ['/blog/privacy-first-analytics', 2]] }, 4],
  [{ referrer: 'https://www.bing.com/', landing: [['/', 2], ['/pricing', 1]] }, 3],
  [{ referrer: 'https://www.linkedin.com/', landing: [['/', 1], ['/features', 1]] }, 2],
  [{ utm: 'utm_source=newsletter&utm_medium=email&utm_campaign=spring-launch', landing: [['/features', 2], ['/pricing', 1]] }, 4],
  [{ utm: 'utm_source=producthunt&utm_medium=referral&utm_campaign=launch-day', referrer: 'https://www.producthunt.com/', landing: [['/', 1]] }, 2],
  [{ utm: 'utm_source=google&utm_medium=cpc&utm_campaign=brand', referrer: 'https://www.google.com/', landing: [['/pricing', 2], ['/', 1]] }, 3],
];

/** Where visitors go next from each page. */
const NEXT: Record<string, Weighted<string>> = {
  '/': [['/features', 3], ['/pricing', 4], ['/blog/privacy-first-analytics', 1], ['/docs', 2], ['/about', 1]],
  '/features': [['/pricing', 4], ['/docs', 1], ['/', 1]],
  '/pricing': [['/signup', 4], ['/features', 1], ['/contact', 1], ['/docs', 1]],
  '/signup': [['/thank-you', 1]],
  '/thank-you': [['/docs/getting-started', 3], ['/', 1]],
  '/docs': [['/docs/getting-started', 4], ['/docs/api', 2], ['/pricing', 1]],
  '/docs/getting-started': [['/docs/api', 2], ['/pricing', 1], ['/docs', 1]],
  '/docs/api': [['/docs', 1], ['/pricing', 1]],
  '/blog/privacy-first-analytics': [['/', 2], ['/blog/cookieless-tracking', 2], ['/pricing', 1]],
  '/blog/cookieless-tracking': [['/', 2], ['/features', 1], ['/blog/privacy-first-analytics', 1]],
  '/about': [['/contact', 2], ['/', 1]],
  '/contact': [['/', 1]],
};

/** How long people stay on a kind of page, and how far they scroll (reading takes longer). */
function pageHabits(path: string): { dwell: number; scroll: number } {
  if (path.startsWith('/blog/')) return { dwell: 2.4, scroll: 0.75 };
  if (path.startsWith('/docs')) return { dwell: 1.8, scroll: 0.6 };
  if (path === '/pricing') return { dwell: 1.1, scroll: 0.85 };
  if (path === '/signup' || path === '/contact') return { dwell: 0.9, scroll: 0.95 };
  if (path === '/thank-you') return { dwell: 0.4, scroll: 1 };
  return { dwell: 0.8, scroll: 0.45 };
}

/** Hour-of-day weights (site-local): quiet nights, busy office hours. */
const HOURS = [2, 1, 1, 1, 1, 2, 4, 6, 9, 11, 12, 12, 11, 12, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3];

export class TrafficGenerator {
  private readonly r: () => number;
  private n = 0;

  constructor(
    private readonly site: DemoSite,
    seed = 42,
  ) {
    this.r = rng(seed);
  }

  private id(prefix: string): string {
    this.n++;
    return `${prefix}${this.n.toString(36)}${Math.floor(this.r() * 2 ** 32).toString(36)}`;
  }

  /** Visits on a day: weekdays busier than weekends, a slow rise over the last 90 days, some noise. */
  visitsOn(dayStart: number, now: number): number {
    const daysAgo = Math.max(0, (now - dayStart) / 86_400_000);
    const dow = new Date(dayStart).getUTCDay();
    const weekend = dow === 0 || dow === 6 ? 0.62 : 1;
    const trend = 1 + 0.45 * (1 - Math.min(90, daysAgo) / 90);
    const spike = Math.abs(daysAgo - 34) < 1 ? 2.6 : 1; // a launch day people talked about
    return Math.round(150 * weekend * trend * spike * (0.85 + 0.3 * this.r()));
  }

  /** Start times of a day's visits (ms), following the hourly profile in the site's zone offset. */
  startsOn(dayStart: number, count: number, offsetMs: number, until: number): number[] {
    const table: Weighted<number> = HOURS.map((w, h) => [h, w] as const);
    const out: number[] = [];
    for (let i = 0; i < count; i++) {
      const h = pick(this.r, table);
      const ts = dayStart - offsetMs + h * 3_600_000 + Math.floor(this.r() * 3_600_000);
      if (ts < until) out.push(ts);
    }
    return out.sort((a, b) => a - b);
  }

  /** One visit as one batch. `withClient` puts ip/ua in the body (secret keys only). */
  visit(start: number, withClient: boolean): { batch: DemoBatch; ip: string; ua: string } {
    const r = this.r;
    const block = pick(r, COUNTRY_BLOCKS);
    const ip = `${block[Math.floor(r() * block.length)]}.${1 + Math.floor(r() * 254)}`;
    const ua = pick(r, UAS);
    const source = pick(r, SOURCES);
    const base = `https://${this.site.domain}`;
    let path = pick(r, source.landing);
    const landing = `${base}${path}${source.utm ? `?${source.utm}` : ''}`;
    const events: DemoEvent[] = [];
    const bounce = r() < 0.42;
    const pages = bounce ? 1 : 2 + Math.floor(r() * r() * 6);
    let ts = start;
    let prevUrl = source.referrer;
    for (let p = 0; p < pages; p++) {
      const url = p === 0 ? landing : `${base}${path}`;
      events.push({ t: 'pageview', i: this.id('pv'), ts, u: url, ...(prevUrl ? { r: prevUrl } : {}) });
      const habits = pageHabits(path);
      const dwell = Math.round((4_000 + r() * r() * 150_000) * habits.dwell);
      let nextPath: string | undefined;
      for (const cta of this.site.ctas) {
        if (!cta.pages.includes(path) || r() > 0.78) continue;
        events.push({ t: 'cta_impression', i: this.id('ci'), ts: ts + 1_200, u: url, c: cta.id });
        if (r() < 0.3) events.push({ t: 'cta_hover', i: this.id('ch'), ts: ts + 2_500, u: url, c: cta.id });
        if (r() < (path === '/pricing' ? 0.16 : 0.08)) {
          events.push({ t: 'cta_click', i: this.id('cc'), ts: ts + 3_000, u: url, c: cta.id });
          nextPath = cta.to;
        }
      }
      if (path === '/signup' && r() < 0.55) {
        const plan = pick(r, [['free', 6], ['pro', 3], ['team', 1]] as const);
        events.push({
          t: 'custom', i: this.id('su'), ts: ts + dwell * 0.8, u: url, n: 'Signup', p: { plan, billing: r() < 0.3 ? 'yearly' : 'monthly' },
          ...(plan !== 'free' ? { $: { a: plan === 'pro' ? 29 : 99, c: 'USD' } } : {}),
        });
        nextPath = '/thank-you';
      }
      if (path.startsWith('/blog/') && r() < 0.06) events.push({ t: 'custom', i: this.id('nl'), ts: ts + dwell * 0.9, u: url, n: 'Newsletter signup', p: { position: r() < 0.5 ? 'footer' : 'inline' } });
      if (path.startsWith('/docs') && r() < 0.07) events.push({ t: 'outbound', i: this.id('ob'), ts: ts + dwell * 0.7, u: url, h: 'https://github.com/beaconry/beaconry' });
      if (path === '/docs' && r() < 0.05) events.push({ t: 'download', i: this.id('dl'), ts: ts + dwell * 0.6, u: url, h: `${base}/files/beaconry-guide.pdf` });
      if (path === '/docs/getting-started' && r() < 0.18) {
        events.push({ t: 'copy', i: this.id('cp'), ts: ts + dwell * 0.5, u: url, x: `<script defer src="${base}/b.js" data-site="pk_…"></script>` });
      }
      if (path === '/contact' && r() < 0.45) events.push({ t: 'form_submit', i: this.id('fs'), ts: ts + dwell * 0.7, u: url, f: 'contact' });
      const depth = Math.min(100, Math.round(10 + 90 * habits.scroll * (0.5 + 0.5 * r()) + (dwell > 60_000 ? 10 : 0)));
      events.push({ t: 'engagement', i: this.id('en'), ts: ts + dwell, u: url, sd: depth, et: Math.round(dwell * (0.55 + r() * 0.4)) });
      prevUrl = url;
      ts += dwell + 500;
      const options = NEXT[path];
      if (!nextPath && !options) break;
      path = nextPath ?? pick(r, options!);
    }
    const batch: DemoBatch = { s: this.id('s'), u: landing, ...(source.referrer ? { r: source.referrer } : {}), ...(withClient ? { ip, ua } : {}), e: events };
    return { batch, ip, ua };
  }
}

/** Offset of the zone from UTC at `at`, in ms (positive east of Greenwich). */
export function zoneOffsetMs(timezone: string, at = Date.now()): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: timezone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(new Date(at));
  const get = (t: string): number => Number(parts.find((p) => p.type === t)?.value ?? 0);
  return Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second')) - Math.floor(at / 1000) * 1000;
}

async function post(url: string, headers: Record<string, string>, body: DemoBatch): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'text/plain', ...headers }, body: JSON.stringify(body) });
    await res.arrayBuffer();
    // Backpressure is part of the contract: wait as told and send again.
    if ((res.status === 503 || res.status === 429) && attempt < 20) {
      await new Promise((r) => setTimeout(r, 1000 * Number(res.headers.get('retry-after') ?? 1)));
      continue;
    }
    return res.status;
  }
}

export interface BackfillProgress {
  day: number;
  days: number;
  visits: number;
  events: number;
}

/**
 * Sends `days` days of visits up to `now` with the site's secret key (which may set `ts`, `ip` and
 * `ua`), many requests in flight so the log's group commit carries several per fsync. The last 30
 * days go first (the dashboard's default range is full soonest), then the older ones.
 */
export async function backfill(
  baseUrl: string,
  site: DemoSite,
  opts: { days: number; now?: number; seed?: number; concurrency?: number; scale?: number; onProgress?: (p: BackfillProgress) => void },
): Promise<BackfillProgress> {
  const now = opts.now ?? Date.now();
  const gen = new TrafficGenerator(site, opts.seed ?? 42);
  const offset = zoneOffsetMs(site.timezone, now);
  const localMidnight = Math.floor((now + offset) / 86_400_000) * 86_400_000; // today 00:00 as if UTC
  const progress: BackfillProgress = { day: 0, days: opts.days, visits: 0, events: 0 };
  const url = `${baseUrl}/api/v1/batch`;
  const headers = { authorization: `Bearer ${site.secretKey}` };
  const recent = Array.from({ length: Math.min(30, opts.days) }, (_, i) => i).reverse();
  const older = Array.from({ length: Math.max(0, opts.days - 30) }, (_, i) => 30 + i);
  for (const d of [...recent, ...older]) {
    const dayStart = localMidnight - d * 86_400_000;
    const starts = gen.startsOn(dayStart, Math.round(gen.visitsOn(dayStart, localMidnight) * (opts.scale ?? 1)), offset, now - 5 * 60_000);
    const batches = starts.map((ts) => gen.visit(ts, true).batch).map((b) => ({ ...b, e: b.e.filter((e) => e.ts <= now) }));
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < batches.length) {
        const b = batches[next++]!;
        const status = await post(url, headers, b);
        if (status !== 202) throw new Error(`backfill batch answered ${status}`);
        progress.visits++;
        progress.events += b.e.length;
      }
    };
    await Promise.all(Array.from({ length: opts.concurrency ?? 32 }, worker));
    progress.day++;
    opts.onProgress?.({ ...progress });
  }
  return progress;
}

/**
 * Live visits with the site's public key, the way browsers send them, about `perMinute` of them,
 * until stopped. Each visit's events are spread over the last minutes so realtime counts move.
 */
export function liveTraffic(baseUrl: string, site: DemoSite, opts: { perMinute?: number; seed?: number; onError?: (err: unknown) => void } = {}): { stop(): void } {
  const gen = new TrafficGenerator(site, opts.seed ?? 7);
  const r = rng((opts.seed ?? 7) + 1);
  const perMinute = opts.perMinute ?? 12;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const tick = (): void => {
    if (stopped) return;
    const start = Date.now() - Math.floor(r() * 90_000);
    const { batch, ip, ua } = gen.visit(start, false);
    batch.e = batch.e.filter((e) => e.ts <= Date.now());
    post(`${baseUrl}/api/v1/batch?k=${encodeURIComponent(site.publicKey)}`, { 'x-forwarded-for': ip, 'user-agent': ua }, batch).catch((err: unknown) => opts.onError?.(err));
    timer = setTimeout(tick, (60_000 / perMinute) * (0.4 + 1.2 * r()));
  };
  tick();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
