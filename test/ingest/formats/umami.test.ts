// POST /api/send and /api/batch on the real server, as Umami's clients call them: website ids, paths
// resolved against the hostname, event data, identify, Umami's answers and error shapes, the CORS
// preflight of its tracker, and the secret-key backfill path.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricValue } from '../../helpers/metrics.js';
import { addSite, startServer, type TestServer } from '../../helpers/server.js';
import { CHROME, marker, post, rows, sqlString } from './drop-in.js';

const UMAMI_ID = '3f1c2b7a-9d4e-4c1a-8b6f-2e5d7c9a1b30';
const OTHER_UMAMI_ID = '7a1d2c3b-4e5f-4a6b-9c8d-0e1f2a3b4c5d';
let server: TestServer;
let site: { id: string };
let other: { id: string };
let secret: string;

beforeAll(async () => {
  server = await startServer({ env: { BEACONRY_STORE_FLUSH_MS: '20' } });
  site = await addSite(server, 'example.com');
  other = await addSite(server, 'other.net');
  await server.cli(['site', 'update', 'example.com', '--umami-id', UMAMI_ID]);
  await server.cli(['site', 'update', 'other.net', '--umami-id', OTHER_UMAMI_ID.toUpperCase()]);
  secret = (await server.cli<{ secretKey: string }>(['key', 'create', 'example.com'])).secretKey;
});
afterAll(async () => {
  await server?.stop();
});

const JSON_TYPE = { 'content-type': 'application/json' };
const send = (body: unknown, headers: Record<string, string> = {}): Promise<Response> => post(server, '/api/send', body, { ...JSON_TYPE, ...headers });
const batch = (body: unknown, headers: Record<string, string> = {}): Promise<Response> => post(server, '/api/batch', body, { ...JSON_TYPE, ...headers });
const byPath = (m: string): string => `pathname LIKE ${sqlString(`%${m}%`)}`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface SendAnswer { cache: string; sessionId?: string; visitId?: string }

async function expectSent(res: Response): Promise<SendAnswer> {
  expect(res.status).toBe(200);
  expect(res.headers.get('access-control-allow-origin')).toBe('*');
  const body = (await res.json()) as SendAnswer;
  expect(body.cache).toMatch(/^[A-Za-z0-9_-]{20,}$/);
  return body;
}

describe('POST /api/send field mapping', () => {
  it('stores a pageview: url path joined to hostname, referrer, UTM from the query; answers cache, sessionId, visitId', async () => {
    const m = marker('pv');
    const body = await expectSent(await send({ type: 'event', payload: {
      website: UMAMI_ID, hostname: 'www.example.com', screen: '1920x1080', language: 'en-US', title: 'Pricing',
      url: `/${m}?utm_source=google&utm_medium=cpc`, referrer: 'https://www.bing.com/search?q=x',
    } }));
    expect(body.sessionId).toMatch(UUID);
    expect(body.visitId).toMatch(UUID);
    const again = await expectSent(await send({ type: 'event', payload: { website: UMAMI_ID, hostname: 'example.com', url: `/${m}/2` } }, { 'x-umami-cache': body.cache }));
    expect(again.sessionId).toBe(body.sessionId); // same visitor, same site, same day
    expect(again.cache).not.toBe(body.cache);
    const r = await rows(server, byPath(m), 'pathname');
    expect(r[0]).toMatchObject({
      site_id: site.id, type: 'pageview', name: 'pageview', hostname: 'example.com', pathname: `/${m}`, utm_source: 'google', utm_medium: 'cpc',
      referrer: 'bing.com/search', referrer_source: 'Google', channel: 'Paid Search', browser: 'Chrome', device: 'Desktop',
    });
    expect(r[1]).toMatchObject({ pathname: `/${m}/2`, referrer: null });
  });

  it('takes a full URL as it is, and a path-only referrer as the site\'s own page (no referrer stored)', async () => {
    const m = marker('full');
    await expectSent(await send({ type: 'event', payload: { website: UMAMI_ID, url: `https://shop.example.com/${m}`, referrer: '/previous' } }));
    expect(await rows(server, byPath(m))).toMatchObject([{ hostname: 'shop.example.com', pathname: `/${m}`, referrer: null, channel: 'Direct' }]);
  });

  it('uses the site\'s domain when the payload has no hostname, and "/" when it has no url', async () => {
    const m = marker('bare');
    await expectSent(await send({ type: 'event', payload: { website: UMAMI_ID, name: m } }));
    expect(await rows(server, `name = ${sqlString(m)}`)).toMatchObject([{ type: 'custom', hostname: 'example.com', pathname: '/' }]);
  });

  it('stores a named event as a custom event with its data flattened to props', async () => {
    const m = marker('ev');
    await expectSent(await send({ type: 'event', payload: {
      website: UMAMI_ID, hostname: 'example.com', url: `/${m}`, name: 'signup-button',
      data: { plan: 'pro', seats: 3, annual: true, nested: { level: 2, deep: { x: 'y' } }, tags: ['a', 'b'], none: null },
    } }));
    const [row] = await rows(server, byPath(m));
    expect(row).toMatchObject({ type: 'custom', name: 'signup-button', interactive: true });
    expect(JSON.parse(String(row!.props))).toEqual({ plan: 'pro', seats: '3', annual: 'true', 'nested.level': '2', 'nested.deep.x': 'y', tags: '["a","b"]' });
  });

  it('finds the site by its Umami id in any case, or by its Beaconry id', async () => {
    const m = marker('ids');
    await expectSent(await send({ type: 'event', payload: { website: OTHER_UMAMI_ID.toUpperCase(), hostname: 'other.net', url: `/${m}/1` } }));
    await expectSent(await send({ type: 'event', payload: { website: site.id, hostname: 'example.com', url: `/${m}/2` } }));
    const r = await rows(server, byPath(m), 'pathname');
    expect(r.map((x) => x.site_id)).toEqual([other.id, site.id]);
  });

  it('accepts its engagement type, and its performance type without storing anything', async () => {
    const m = marker('types');
    await expectSent(await send({ type: 'engagement', payload: { website: UMAMI_ID, url: `/${m}/1`, engagement: 4200 } }));
    const perf = await expectSent(await send({ type: 'performance', payload: { website: UMAMI_ID, url: `/${m}/2`, lcp: 1200 } }));
    expect(perf.sessionId).toBeUndefined();
    expect(await rows(server, byPath(m))).toMatchObject([{ type: 'engagement', engaged_ms: 4200, pathname: `/${m}/1` }]);
  });

  it('drops identify from a browser (our identify is secret-only): 200, nothing stored, counted as secret_only', async () => {
    const before = await metricValue(server.url, 'beaconry_events_dropped_total', { reason: 'secret_only' });
    const m = marker('ident');
    const res = await send({ type: 'identify', payload: { website: UMAMI_ID, url: `/${m}`, id: 'user-1', data: { email: 'a@example.com', plan: 'pro' } } });
    expect(res.headers.get('x-beaconry-dropped')).toBe('secret_only=1');
    expect((await expectSent(res)).sessionId).toBeUndefined();
    expect(await metricValue(server.url, 'beaconry_events_dropped_total', { reason: 'secret_only' })).toBe(before + 1);
    expect(await rows(server, byPath(m))).toHaveLength(0);
  });

  it('ignores the distinct id of a browser\'s events (a browser may not claim a user)', async () => {
    const m = marker('distinct');
    await expectSent(await send({ type: 'event', payload: { website: UMAMI_ID, url: `/${m}`, id: 'user-1' } }));
    expect(await rows(server, byPath(m))).toMatchObject([{ type: 'pageview', user_id: null }]);
  });
});

describe('POST /api/send answers', () => {
  it('400 in Umami\'s error shape for an unknown website and invalid input', async () => {
    const unknown = await send({ type: 'event', payload: { website: '00000000-0000-4000-8000-000000000000', url: '/' } });
    expect(unknown.status).toBe(400);
    expect(unknown.headers.get('x-beaconry-error')).toBe('BEACONRY_ERR_UNKNOWN_SITE');
    expect(await unknown.json()).toEqual({ error: { message: 'Website not found.', code: 'bad-request', status: 400 } });
    for (const body of ['{"type":', { type: 'event' }, { type: 'click', payload: { website: UMAMI_ID } }, { type: 'event', payload: { url: '/' } }, [{ type: 'event' }]]) {
      const res = await send(body);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: 'bad-request', status: 400 } });
    }
    const bad = await send({ type: 'event', payload: { website: UMAMI_ID, url: '/', data: { k: 1 }, timestamp: 'never' } });
    expect(bad.status).toBe(400);
  });

  it('answers bots with {"beep":"boop"} and stores nothing', async () => {
    const m = marker('bot');
    const res = await send({ type: 'event', payload: { website: UMAMI_ID, url: `/${m}` } }, { 'user-agent': 'Googlebot/2.1 (+http://www.google.com/bot.html)' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ beep: 'boop' });
    expect(await rows(server, byPath(m))).toHaveLength(0);
  });

  it('answers the preflight of Umami\'s tracker (application/json and its x-umami-* headers)', async () => {
    for (const path of ['/api/send', '/api/batch']) {
      const res = await fetch(`${server.url}${path}`, { method: 'OPTIONS', headers: {
        origin: 'https://example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-umami-cache,x-umami-website-id,x-umami-hostname',
      } });
      expect(res.status).toBe(204);
      const allowed = (res.headers.get('access-control-allow-headers') ?? '').split(',').map((h) => h.trim());
      expect(allowed).toEqual(expect.arrayContaining(['content-type', 'x-umami-cache', 'x-umami-website-id', 'x-umami-hostname']));
    }
  });
});

describe('POST /api/batch', () => {
  it('stores every valid item and answers Umami\'s {size, processed, errors, details}', async () => {
    const m = marker('batch');
    const res = await batch([
      { type: 'event', payload: { website: UMAMI_ID, hostname: 'example.com', url: `/${m}/1` } },
      { type: 'event', payload: { website: '00000000-0000-4000-8000-000000000000', url: `/${m}/x` } },
      { type: 'event', payload: { website: OTHER_UMAMI_ID, hostname: 'other.net', url: `/${m}/2`, name: 'click', data: { a: 1 } } },
      { nonsense: true },
      { type: 'event', payload: { website: UMAMI_ID, url: `/${m}/3`, name: 'buy' } },
    ]);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      size: 5, processed: 3, errors: 2, details: [
        { index: 1, response: { error: { message: 'Website not found.', code: 'bad-request', status: 400 } } },
        { index: 3, response: { error: { message: 'Invalid request: expected {type, payload}.', code: 'bad-request', status: 400 } } },
      ],
    });
    const r = await rows(server, byPath(m), 'pathname');
    expect(r.map((x) => [x.pathname, x.site_id, x.type, x.name])).toEqual([
      [`/${m}/1`, site.id, 'pageview', 'pageview'], [`/${m}/2`, other.id, 'custom', 'click'], [`/${m}/3`, site.id, 'custom', 'buy'],
    ]);
  });

  it('400 for a body that is not an array', async () => {
    const res = await batch({ type: 'event', payload: { website: UMAMI_ID } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'bad-request' } });
  });
});

describe('Umami endpoints with a secret key (server-side and backfill)', () => {
  const auth = (): Record<string, string> => ({ authorization: `Bearer ${secret}` });

  it('replays a batch of old events with their original timestamps (seconds), visitor ip and user agent', async () => {
    const m = marker('replay');
    const t = Math.floor(Date.UTC(2026, 1, 3, 10, 0, 0) / 1000);
    const firefox = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0';
    const res = await batch([
      { type: 'event', payload: { website: UMAMI_ID, hostname: 'example.com', url: `/${m}/1`, timestamp: t, ip: '81.2.69.142', userAgent: firefox, event_id: `${m}-1` } },
      { type: 'event', payload: { website: UMAMI_ID, hostname: 'example.com', url: `/${m}/2`, timestamp: t + 60, ip: '81.2.69.142', userAgent: firefox, event_id: `${m}-2` } },
      { type: 'event', payload: { website: UMAMI_ID, hostname: 'example.com', url: `/${m}/3`, timestamp: t + 120, ip: '8.8.8.8', event_id: `${m}-3` } },
    ], auth());
    expect(await res.json()).toEqual({ size: 3, processed: 3, errors: 0, details: [] });
    // A re-run of the same import stores nothing twice.
    await batch([{ type: 'event', payload: { website: UMAMI_ID, hostname: 'example.com', url: `/${m}/1`, timestamp: t, event_id: `${m}-1` } }], auth());
    const r = await rows(server, byPath(m), 'pathname');
    expect(r.map((x) => [x.pathname, new Date(String(x.ts)).getTime(), x.country, x.browser])).toEqual([
      [`/${m}/1`, t * 1000, 'GB', 'Firefox'], [`/${m}/2`, (t + 60) * 1000, 'GB', 'Firefox'], [`/${m}/3`, (t + 120) * 1000, 'US', 'Chrome'],
    ]);
    expect(r[0]!.visitor_id).toBe(r[1]!.visitor_id);
    expect(r[0]!.visitor_id).not.toBe(r[2]!.visitor_id);
  });

  it('stores identify (email from data, distinct id as user id, the rest as traits) and the distinct id on events', async () => {
    const m = marker('who');
    await expectSent(await send({ type: 'identify', payload: { website: UMAMI_ID, url: `/${m}/1`, id: 'user-42', data: { email: 'Ada@Example.com', plan: 'pro' } } }, auth()));
    await expectSent(await send({ type: 'event', payload: { website: UMAMI_ID, url: `/${m}/2`, id: 'user-42', name: 'upgrade' } }, auth()));
    const r = await rows(server, byPath(m), 'pathname');
    expect(r.map((x) => [x.type, x.email, x.user_id, x.traits])).toEqual([
      ['identify', 'ada@example.com', 'user-42', '{"plan":"pro"}'], ['custom', null, 'user-42', null],
    ]);
  });

  it('refuses a website the key does not belong to (403 for send, per item for batch)', async () => {
    const res = await send({ type: 'event', payload: { website: OTHER_UMAMI_ID, url: '/' } }, auth());
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: { message: 'This key cannot write to the site named in the request.', code: 'forbidden', status: 403 } });
    const b = await batch([{ type: 'event', payload: { website: OTHER_UMAMI_ID, url: '/' } }], auth());
    expect(await b.json()).toMatchObject({ size: 1, processed: 0, errors: 1, details: [{ index: 0, response: { error: { status: 403 } } }] });
  });

  it('keyless events older than 48 hours are dropped (too_old), not stored', async () => {
    const m = marker('old');
    const res = await send({ type: 'event', payload: { website: UMAMI_ID, url: `/${m}`, timestamp: Math.floor(Date.now() / 1000) - 3 * 86_400 } });
    expect(res.headers.get('x-beaconry-dropped')).toBe('too_old=1');
    await expectSent(res);
    expect(await rows(server, byPath(m))).toHaveLength(0);
  });

  it('401 in Umami\'s shape for an unknown key', async () => {
    const res = await send({ type: 'event', payload: { website: UMAMI_ID, url: '/' } }, { authorization: 'Bearer sk_nope' });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: { message: 'Unknown or revoked key.', code: 'unauthorized', status: 401 } });
  });
});

describe('beaconry site update --umami-id', () => {
  it('takes a UUID (stored lower-case), refuses anything else and an id another site uses, and clears with "none"', async () => {
    await expect(server.cli(['site', 'update', 'other.net', '--umami-id', 'not-a-uuid'])).rejects.toThrow(/must be the Umami website id/);
    await expect(server.cli(['site', 'update', 'other.net', '--umami-id', UMAMI_ID])).rejects.toThrow(/example\.com already uses/);
    const updated = await server.cli<{ umamiId: string | null }>(['site', 'update', 'other.net', '--umami-id', 'none']);
    expect(updated.umamiId).toBeNull();
    expect((await send({ type: 'event', payload: { website: OTHER_UMAMI_ID, url: '/' } })).status).toBe(400);
    const back = await server.cli<{ umamiId: string | null }>(['site', 'update', 'other.net', '--umami-id', OTHER_UMAMI_ID.toUpperCase()]);
    expect(back.umamiId).toBe(OTHER_UMAMI_ID);
  });
});

describe('Do Not Track on the Umami endpoints', () => {
  it('answers 200 and stores nothing', async () => {
    const m = marker('dnt');
    const res = await send({ type: 'event', payload: { website: UMAMI_ID, url: `/${m}` } }, { dnt: '1', 'user-agent': CHROME });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-beaconry-dropped')).toBe('dnt=all');
    expect(await res.json()).toEqual({});
    expect(await rows(server, byPath(m))).toHaveLength(0);
  });
});
