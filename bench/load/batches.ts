// Realistic generated beacon batches: what the tracker sends (msgpack, 50 events: page views,
// engagement, CTA signals, clicks, custom events) across many pages, referrers and browsers.
import { pack } from 'msgpackr';

const PAGES = ['/', '/pricing', '/blog', '/blog/duckdb-partitions', '/blog/privacy-first', '/docs', '/docs/install', '/docs/api', '/signup', '/about'];
const REFERRERS = ['', '', '', 'https://www.google.com/', 'https://news.ycombinator.com/', 'https://t.co/abc', 'https://duckduckgo.com/', 'https://github.com/beaconry'];
const UAS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36',
];
const CTAS = ['0b5f2a4e-9c1d-4e8f-8a7b-123456789abc', '7e1d6c3b-2a4f-4b8e-9c0d-abcdef012345'];

/** A deterministic pseudo-random generator so every run sends the same traffic. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export interface GeneratedRequest {
  body: Buffer;
  json: string;
  userAgent: string;
  events: number;
}

export function generateBatches(count: number, eventsPerBatch = 50, seed = 42): GeneratedRequest[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const out: GeneratedRequest[] = [];
  for (let b = 0; b < count; b++) {
    const url = `https://bench.example${pick(PAGES)}${r() < 0.2 ? '?utm_source=newsletter&utm_medium=email' : ''}`;
    const e: Record<string, unknown>[] = [];
    for (let i = 0; i < eventsPerBatch; i++) {
      const x = r();
      // No event ids: autocannon repeats bodies, and ids would (rightly) be deduplicated.
      if (x < 0.35) e.push({ t: 'pageview', u: `https://bench.example${pick(PAGES)}` });
      else if (x < 0.6) e.push({ t: 'engagement', sd: Math.floor(r() * 100), et: Math.floor(r() * 60000) });
      else if (x < 0.75) e.push({ t: 'cta_impression', c: pick(CTAS) });
      else if (x < 0.82) e.push({ t: 'cta_hover', c: pick(CTAS) });
      else if (x < 0.88) e.push({ t: 'cta_click', c: pick(CTAS) });
      else if (x < 0.93) e.push({ t: 'outbound', h: 'https://github.com/beaconry/beaconry' });
      else if (x < 0.97) e.push({ t: 'custom', n: 'Signup', p: { plan: pick(['free', 'pro', 'team']) } });
      else e.push({ t: 'copy', x: 'npm install beaconry' });
    }
    const batch = { s: `tab-${b}`, u: url, r: pick(REFERRERS), e };
    out.push({ body: Buffer.from(pack(batch)), json: JSON.stringify(batch), userAgent: pick(UAS), events: eventsPerBatch });
  }
  return out;
}

/** Batches a visitor sends before the next visitor arrives (a page view or two with their signals). */
const BATCHES_PER_VISITOR = 4;

/**
 * The client address of the i-th request, as a proxy in front of Beaconry forwards it (the server
 * trusts 127.0.0.1): visitors come and go as on a real site, BATCHES_PER_VISITOR batches each,
 * 16M distinct ones before they repeat. Sent from one address, the whole run would be a handful of
 * visitors (one per user agent), which no site has and which keeps every visitor's day in play.
 */
export function visitorAddress(i: number): string {
  const v = Math.floor(i / BATCHES_PER_VISITOR) % 2 ** 24;
  return `10.${v >>> 16}.${(v >>> 8) & 255}.${v & 255}`;
}
