// POST /api/event on the real server, as Plausible's Events API is called: every field mapping down to
// the stored row, Plausible's answers (202 "ok", x-plausible-dropped, 400 {"errors": …}), domain lists,
// the secret-key backfill path, and the per-site rate limit of keyless requests.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricValue } from '../../helpers/metrics.js';
import { addSite, startServer, type TestServer } from '../../helpers/server.js';
import { CHROME, marker, post, rows, sqlString } from './drop-in.js';

let server: TestServer;
let site: { id: string };
let blog: { id: string };
let secret: string;

beforeAll(async () => {
  server = await startServer({ env: { BEACONRY_STORE_FLUSH_MS: '20' } });
  site = await addSite(server, 'example.com', ['--timezone', 'Europe/Berlin']);
  blog = await addSite(server, 'blog.example.org');
  await addSite(server, 'other.net');
  secret = (await server.cli<{ secretKey: string }>(['key', 'create', 'example.com'])).secretKey;
});
afterAll(async () => {
  await server?.stop();
});

const event = (server: TestServer, body: unknown, headers: Record<string, string> = {}): Promise<Response> => post(server, '/api/event', body, headers);

async function expectOk(res: Response, dropped?: number): Promise<void> {
  expect(res.status).toBe(202);
  expect(await res.text()).toBe('ok');
  expect(res.headers.get('access-control-allow-origin')).toBe('*');
  expect(res.headers.get('x-plausible-dropped')).toBe(dropped === undefined ? null : String(dropped));
}

async function expectErrors(res: Response, errors: Record<string, string[]>): Promise<void> {
  expect(res.status).toBe(400);
  expect(await res.json()).toEqual({ errors });
}

const byPath = (m: string): string => `pathname LIKE ${sqlString(`%${m}%`)}`;

describe('POST /api/event field mapping', () => {
  it('stores a pageview sent with short keys as text/plain: page, UTM, referrer, device', async () => {
    const m = marker('pv');
    await expectOk(await event(server, { n: 'pageview', u: `https://www.example.com/${m}?utm_source=newsletter&utm_medium=email`, d: 'example.com', r: 'https://news.ycombinator.com/item?id=1', w: 1280, v: 36 }));
    const [row, ...more] = await rows(server, byPath(m));
    expect(more).toHaveLength(0);
    expect(row).toMatchObject({
      site_id: site.id, type: 'pageview', name: 'pageview', hostname: 'example.com', pathname: `/${m}`, utm_source: 'newsletter', utm_medium: 'email',
      referrer: 'news.ycombinator.com/item', referrer_source: 'Newsletter', channel: 'Email', browser: 'Chrome', os: 'Linux', device: 'Desktop', interactive: false,
    });
  });

  it('accepts the long keys and application/json', async () => {
    const m = marker('long');
    await expectOk(await event(server, { name: 'Signup', url: `https://example.com/${m}`, domain: 'example.com', referrer: 'https://duckduckgo.com/', props: { plan: 'pro' }, interactive: true }, { 'content-type': 'application/json' }));
    expect(await rows(server, byPath(m))).toMatchObject([{ type: 'custom', name: 'Signup', referrer_source: 'DuckDuckGo', channel: 'Organic Search', props: '{"plan":"pro"}', interactive: true }]);
  });

  it('takes props as an object or a JSON string, keeps scalars as text, drops blanks and nested values, keeps the first 30', async () => {
    const m = marker('props');
    const many = Object.fromEntries(Array.from({ length: 35 }, (_, i) => [`k${i}`, i]));
    await expectOk(await event(server, { n: 'A', u: `https://example.com/${m}/a`, d: 'example.com', p: { n: 3, ok: true, s: 'x', blank: '', nested: { a: 1 }, list: [1], nil: null } }));
    await expectOk(await event(server, { n: 'B', u: `https://example.com/${m}/b`, d: 'example.com', p: JSON.stringify({ from: 'string' }) }));
    await expectOk(await event(server, { n: 'C', u: `https://example.com/${m}/c`, d: 'example.com', m: many }));
    await expectOk(await event(server, { n: 'D', u: `https://example.com/${m}/d`, d: 'example.com', p: 'not json' }));
    const [a, b, c, d] = await rows(server, byPath(m), 'pathname');
    expect(JSON.parse(String(a!.props))).toEqual({ n: '3', ok: 'true', s: 'x' });
    expect(JSON.parse(String(b!.props))).toEqual({ from: 'string' });
    expect(Object.keys(JSON.parse(String(c!.props)) as object)).toEqual(Array.from({ length: 30 }, (_, i) => `k${i}`));
    expect(d!.props).toBeNull();
  });

  it('stores revenue from $ or revenue (amount as number or string) and ignores an invalid one', async () => {
    const m = marker('rev');
    await expectOk(await event(server, { n: 'Purchase', u: `https://example.com/${m}/1`, d: 'example.com', $: { amount: 15.99, currency: 'usd' } }));
    await expectOk(await event(server, { n: 'Purchase', u: `https://example.com/${m}/2`, d: 'example.com', revenue: JSON.stringify({ amount: '20.5', currency: 'EUR' }) }));
    await expectOk(await event(server, { n: 'Purchase', u: `https://example.com/${m}/3`, d: 'example.com', $: { amount: 'lots', currency: 'EUR' } }));
    const r = await rows(server, byPath(m), 'pathname');
    expect(r.map((x) => [x.revenue_amount, x.revenue_currency])).toEqual([[15.99, 'USD'], [20.5, 'EUR'], [null, null]]);
  });

  it('maps interactive: false to a non-interactive event', async () => {
    const m = marker('ni');
    await expectOk(await event(server, { n: 'autoplay', u: `https://example.com/${m}`, d: 'example.com', i: false }));
    expect(await rows(server, byPath(m))).toMatchObject([{ type: 'custom', name: 'autoplay', interactive: false }]);
  });

  it('keeps the fragment in the path in hash mode (h: 1 or hashMode: true) and not otherwise (h: 0)', async () => {
    const m = marker('hash');
    await expectOk(await event(server, { n: 'pageview', u: `https://example.com/${m}/1#/settings`, d: 'example.com', h: 1 }));
    await expectOk(await event(server, { n: 'pageview', u: `https://example.com/${m}/2#/settings`, d: 'example.com', hashMode: true }));
    await expectOk(await event(server, { n: 'pageview', u: `https://example.com/${m}/3#/settings`, d: 'example.com', h: 0 }));
    expect((await rows(server, byPath(m), 'pathname')).map((r) => r.pathname)).toEqual([`/${m}/1#/settings`, `/${m}/2#/settings`, `/${m}/3`]);
  });

  it('maps engagement sd and e to scroll depth and engaged time (integer strings too, sd capped at 100)', async () => {
    const m = marker('eng');
    await expectOk(await event(server, { n: 'engagement', u: `https://example.com/${m}/1`, d: 'example.com', sd: 64, e: 5300 }));
    await expectOk(await event(server, { n: 'engagement', u: `https://example.com/${m}/2`, d: 'example.com', sd: '150' }));
    await expectOk(await event(server, { n: 'engagement', u: `https://example.com/${m}/3`, d: 'example.com', e: '1200', sd: 'x' }));
    const r = await rows(server, byPath(m), 'pathname');
    expect(r.map((x) => [x.type, x.scroll_depth, x.engaged_ms, x.interactive])).toEqual([
      ['engagement', 64, 5300, false], ['engagement', 100, null, false], ['engagement', null, 1200, false],
    ]);
  });

  it('maps Outbound Link: Click and File Download to their types with props.url as the link, 404 and other names to custom events', async () => {
    const m = marker('goals');
    await expectOk(await event(server, { n: 'Outbound Link: Click', u: `https://example.com/${m}/1`, d: 'example.com', p: { url: 'https://github.com/x' } }));
    await expectOk(await event(server, { n: 'File Download', u: `https://example.com/${m}/2`, d: 'example.com', p: { url: 'https://example.com/a.pdf' } }));
    await expectOk(await event(server, { n: 404, u: `https://example.com/${m}/3`, d: 'example.com', p: { path: '/missing' } }));
    await expectOk(await event(server, { n: 'Form: Submission', u: `https://example.com/${m}/4`, d: 'example.com' }));
    await expectOk(await event(server, { n: 'Outbound Link: Click', u: `https://example.com/${m}/5`, d: 'example.com' }));
    const r = await rows(server, byPath(m), 'pathname');
    expect(r.map((x) => [x.type, x.name, x.link_url])).toEqual([
      ['outbound', 'outbound', 'https://github.com/x'],
      ['download', 'download', 'https://example.com/a.pdf'],
      ['custom', '404', null],
      ['custom', 'Form: Submission', null],
      ['custom', 'Outbound Link: Click', null], // no props.url: a goal like any other
    ]);
    expect(r[0]!.props).toBe('{"url":"https://github.com/x"}');
    expect(r[0]!.interactive).toBe(true);
  });
});

describe('POST /api/event sites', () => {
  it('stores the event once for every listed domain that is a site here, and counts the others as dropped', async () => {
    const m = marker('multi');
    await expectOk(await event(server, { n: 'pageview', u: `https://example.com/${m}`, d: 'example.com, www.blog.example.org,unknown.io,example.com' }), 1);
    const r = await rows(server, byPath(m), 'site_id');
    expect(r.map((x) => x.site_id).sort()).toEqual([site.id, blog.id].sort());
    expect(new Set(r.map((x) => x.hostname))).toEqual(new Set(['example.com']));
  });

  it('answers 202 ok with x-plausible-dropped for a domain that is no site, and stores nothing', async () => {
    const m = marker('nosite');
    const before = await metricValue(server.url, 'beaconry_requests_dropped_total', { reason: 'unknown_site' }).catch(() => 0);
    await expectOk(await event(server, { n: 'pageview', u: `https://unknown.io/${m}`, d: 'unknown.io' }), 1);
    expect(await rows(server, byPath(m))).toHaveLength(0);
    expect(await metricValue(server.url, 'beaconry_requests_dropped_total', { reason: 'unknown_site' })).toBe(before + 1);
  });

  it('takes the site from the URL when no domain is given', async () => {
    const m = marker('nodomain');
    await expectOk(await event(server, { n: 'pageview', u: `https://www.blog.example.org/${m}` }));
    expect(await rows(server, byPath(m))).toMatchObject([{ site_id: blog.id, hostname: 'blog.example.org' }]);
  });
});

describe('POST /api/event answers', () => {
  it('400 with Plausible\'s field errors for invalid input', async () => {
    await expectErrors(await event(server, '{"n": "pageview", '), { request: ['Unable to parse request body as json'] });
    await expectErrors(await event(server, '[1, 2]'), { request: ['Unable to parse request body as json'] });
    await expectErrors(await event(server, { n: 'pageview', d: 'example.com' }), { url: ['is required'] });
    await expectErrors(await event(server, { n: 'pageview', u: 'data:text/html,hi', d: 'example.com' }), { url: ['scheme is not allowed'] });
    await expectErrors(await event(server, { n: 'pageview', u: 'https://example.com/', d: ' ' }), { domain: ["can't be blank"] });
    await expectErrors(await event(server, { u: 'https://example.com/', d: 'example.com' }), { event_name: ["can't be blank"] });
    await expectErrors(await event(server, { n: 'x'.repeat(121), u: 'https://example.com/', d: 'example.com' }), { event_name: ['should be at most 120 character(s)'] });
    await expectErrors(await event(server, { n: 'engagement', u: 'https://example.com/', d: 'example.com' }), { event_name: ["engagement event requires a valid integer value for at least one of 'sd' or 'e' fields"] });
    await expectErrors(await event(server, { n: 'A', u: 'https://example.com/', d: 'example.com', p: { k: 'v'.repeat(2001) } }), { props: ['keys should have at most 300 bytes and values 2000 bytes'] });
    await expectErrors(await event(server, { n: 'A', u: 'not a url', d: 'example.com' }), { url: ['must be a valid url'] });
    await expectErrors(await event(server, { n: 'A', u: 'https://example.com/', d: 'example.com', timestamp: 'yesterday' }), {
      timestamp: ['must be milliseconds since the epoch (ts), an ISO 8601 time or Unix seconds (timestamp)'],
    });
  });

  it('drops bots and Do Not Track with 202 ok and x-plausible-dropped, counted', async () => {
    const m = marker('drop');
    const bots = await metricValue(server.url, 'beaconry_events_dropped_total', { reason: 'bot' });
    const dnt = await metricValue(server.url, 'beaconry_requests_dropped_total', { reason: 'dnt' });
    await expectOk(await event(server, { n: 'pageview', u: `https://example.com/${m}`, d: 'example.com' }, { 'user-agent': 'curl/8.5.0' }), 1);
    await expectOk(await event(server, { n: 'pageview', u: `https://example.com/${m}`, d: 'example.com' }, { dnt: '1' }), 1);
    await expectOk(await event(server, { n: 'pageview', u: `https://example.com/${m}`, d: 'example.com' }, { 'sec-gpc': '1' }), 1);
    expect(await metricValue(server.url, 'beaconry_events_dropped_total', { reason: 'bot' })).toBe(bots + 1);
    expect(await metricValue(server.url, 'beaconry_requests_dropped_total', { reason: 'dnt' })).toBe(dnt + 2);
    expect(await rows(server, byPath(m))).toHaveLength(0);
  });

  it('answers the CORS preflight', async () => {
    const res = await fetch(`${server.url}/api/event`, { method: 'OPTIONS', headers: { origin: 'https://example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-headers')).toContain('content-type');
  });

  it('ignores X-Forwarded-For from a keyless sender that is not a trusted proxy', async () => {
    const m = marker('xff');
    await expectOk(await event(server, { n: 'pageview', u: `https://example.com/${m}/1`, d: 'example.com' }, { 'x-forwarded-for': '81.2.69.142' }));
    await expectOk(await event(server, { n: 'pageview', u: `https://example.com/${m}/2`, d: 'example.com' }, { 'x-forwarded-for': '8.8.8.8' }));
    const r = await rows(server, byPath(m), 'pathname');
    expect(r.map((x) => x.country)).toEqual([null, null]);
    expect(r[0]!.visitor_id).toBe(r[1]!.visitor_id);
  });

  it('refuses an event older than 48 hours from a keyless sender (dropped, too_old)', async () => {
    const m = marker('old');
    await expectOk(await event(server, { n: 'pageview', u: `https://example.com/${m}`, d: 'example.com', ts: Date.now() - 3 * 86_400_000 }), 1);
    expect(await rows(server, byPath(m))).toHaveLength(0);
  });
});

describe('POST /api/event with a secret key (server-side and backfill)', () => {
  const auth = (): Record<string, string> => ({ authorization: `Bearer ${secret}` });

  it('replays old events with their original time (ISO timestamp, naive UTC, Unix seconds, ts ms) into their day partitions', async () => {
    const m = marker('backfill');
    const t = Date.UTC(2026, 0, 15, 23, 30, 0); // 00:30 on the 16th in Berlin
    await expectOk(await event(server, { n: 'pageview', u: `https://example.com/${m}/1`, d: 'example.com', timestamp: new Date(t).toISOString() }, auth()));
    await expectOk(await event(server, { n: 'pageview', u: `https://example.com/${m}/2`, d: 'example.com', timestamp: '2026-01-15 23:30:00' }, auth()));
    await expectOk(await event(server, { n: 'pageview', u: `https://example.com/${m}/3`, d: 'example.com', timestamp: t / 1000 }, auth()));
    await expectOk(await event(server, { n: 'pageview', u: `https://example.com/${m}/4`, d: 'example.com', ts: t }, auth()));
    const r = await rows(server, byPath(m), 'pathname');
    expect(r).toHaveLength(4);
    for (const row of r) {
      expect(new Date(String(row.ts)).getTime()).toBe(t);
      expect(String(row.day).slice(0, 10)).toBe('2026-01-16');
    }
  });

  it('takes the visitor address from X-Forwarded-For (first valid entry) as Plausible\'s Events API expects', async () => {
    const m = marker('relay');
    await expectOk(await event(server, { n: 'pageview', u: `https://example.com/${m}/1`, d: 'example.com' }, { ...auth(), 'x-forwarded-for': 'junk, 81.2.69.142, 10.0.0.1' }));
    await expectOk(await event(server, { n: 'pageview', u: `https://example.com/${m}/2`, d: 'example.com' }, { ...auth(), 'x-forwarded-for': '8.8.8.8' }));
    await expectOk(await event(server, { n: 'pageview', u: `https://example.com/${m}/3`, d: 'example.com' }, { ...auth(), 'x-forwarded-for': '81.2.69.142' }));
    const r = await rows(server, byPath(m), 'pathname');
    expect(r.map((x) => x.country)).toEqual(['GB', 'US', 'GB']);
    expect(r[0]!.visitor_id).toBe(r[2]!.visitor_id);
    expect(r[0]!.visitor_id).not.toBe(r[1]!.visitor_id);
  });

  it('stores a replayed event once when it carries an event_id', async () => {
    const m = marker('idem');
    const body = { n: 'Signup', u: `https://example.com/${m}`, d: 'example.com', timestamp: '2026-01-10T10:00:00Z', event_id: `${m}-1` };
    await expectOk(await event(server, body, auth()));
    await expectOk(await event(server, body, auth()));
    expect(await rows(server, byPath(m))).toHaveLength(1);
  });

  it('403 when the body names a site the key does not belong to, 401 for an unknown key, in Plausible\'s shape', async () => {
    const forbidden = await event(server, { n: 'pageview', u: 'https://other.net/', d: 'other.net' }, auth());
    expect(forbidden.status).toBe(403);
    expect(forbidden.headers.get('x-beaconry-error')).toBe('BEACONRY_ERR_FORBIDDEN_SITE');
    expect(await forbidden.json()).toEqual({ errors: { request: ['This key cannot write to the site named in the request.'] } });
    const unknown = await event(server, { n: 'pageview', u: 'https://example.com/', d: 'example.com' }, { authorization: 'Bearer sk_nope' });
    expect(unknown.status).toBe(401);
    expect(await unknown.json()).toEqual({ errors: { request: ['Unknown or revoked key.'] } });
  });
});

describe('rate limit of keyless requests (per site, charged after the pool resolved the site)', () => {
  let limited: TestServer;
  beforeAll(async () => {
    limited = await startServer({ env: { BEACONRY_PUBLIC_KEY_RATE: '3' } });
    await addSite(limited, 'example.com');
    await addSite(limited, 'other.net');
  });
  afterAll(async () => {
    await limited?.stop();
  });

  it('429 with Retry-After once a site has spent its events per minute; other sites are not affected', async () => {
    const before = await metricValue(limited.url, 'beaconry_rate_limited_total', { key_kind: 'public' }).catch(() => 0);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await event(limited, { n: 'pageview', u: `https://example.com/${i}`, d: 'example.com' }, { 'user-agent': CHROME })).status);
    // The burst is three events; the third empties the bucket, so the fourth is refused.
    expect(statuses).toEqual([202, 202, 202, 429, 429]);
    const refused = await event(limited, { n: 'pageview', u: 'https://example.com/x', d: 'example.com' });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await refused.json()).toEqual({ errors: { request: ['Rate limit exceeded for this site; retry after the time in Retry-After.'] } });
    expect((await event(limited, { n: 'pageview', u: 'https://other.net/', d: 'other.net' })).status).toBe(202);
    expect(await metricValue(limited.url, 'beaconry_rate_limited_total', { key_kind: 'public' })).toBe(before + 3);
    await limited.cli(['store', 'flush']);
    expect(await limited.query(`SELECT count(*)::INT AS n FROM events WHERE hostname = 'example.com'`)).toEqual([{ n: 3 }]);
  });
});
