// The real server on 127.0.0.1: every refusal of POST /api/v1/batch with its status, error code and
// counter, every drop reason with its counter, and the round trip to a row in the day partition.
import { pack } from 'msgpackr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DROP_REASONS } from '../../../core/event-contract.js';
import { metricValue } from '../../helpers/metrics.js';
import { addSite, postBatch, startServer, type TestServer } from '../../helpers/server.js';

let server: TestServer;
let site: { id: string; publicKey: string };
let other: { id: string; publicKey: string };
let secret: string;
/** A second key: the rate-limit test spends the first one. */
let secret2: string;
const page = 'https://example.com/docs?utm_source=twitter';

beforeAll(async () => {
  server = await startServer({ env: { BEACONRY_SECRET_KEY_RATE: '60', BEACONRY_MAX_PUBLIC_BODY: '4KiB', BEACONRY_STORE_FLUSH_MS: '20' } });
  site = await addSite(server, 'example.com', ['--timezone', 'America/New_York']);
  other = await addSite(server, 'other.org');
  secret = (await server.cli<{ secretKey: string }>(['key', 'create', 'example.com'])).secretKey;
  secret2 = (await server.cli<{ secretKey: string }>(['key', 'create', 'example.com'])).secretKey;
});
afterAll(async () => {
  await server?.stop();
});

async function rejected(status: number, code: string): Promise<number> {
  return metricValue(server.url, 'beaconry_requests_rejected_total', { status: String(status), code }).catch(() => 0);
}

async function expectRefusal(res: Response, status: number, code: string, before: number): Promise<void> {
  expect(res.status).toBe(status);
  const body = (await res.json()) as { error: { code: string; message: string } };
  expect(body.error.code).toBe(code);
  expect(body.error.message.length).toBeGreaterThan(5);
  expect(await rejected(status, code)).toBe(before + 1);
}

describe('POST /api/v1/batch refusals', () => {
  it('401 for an unknown public key, with the same body as a revoked secret key', async () => {
    const b1 = await rejected(401, 'BEACONRY_ERR_UNAUTHORIZED');
    const r1 = await postBatch(server, 'pk_nope', { u: page, e: [{ t: 'pageview' }] });
    await expectRefusal(r1.clone(), 401, 'BEACONRY_ERR_UNAUTHORIZED', b1);
    const k = await server.cli<{ secretKey: string; id: string }>(['key', 'create', 'example.com']);
    await server.cli(['key', 'revoke', k.id]);
    const r2 = await fetch(`${server.url}/api/v1/batch`, { method: 'POST', headers: { authorization: `Bearer ${k.secretKey}` }, body: '{"e":[]}' });
    expect(r2.status).toBe(401);
    expect(await r2.text()).toBe(await r1.text());
  });

  it('413 and the connection closed for a body over the public cap', async () => {
    const before = await rejected(413, 'BEACONRY_ERR_BODY_TOO_LARGE');
    const res = await postBatch(server, site.publicKey, JSON.stringify({ u: page, e: [{ t: 'custom', n: 'x'.repeat(5000) }] }));
    expect(res.headers.get('connection')).toBe('close');
    await expectRefusal(res, 413, 'BEACONRY_ERR_BODY_TOO_LARGE', before);
  });

  it('400 with a reason for a malformed body', async () => {
    const before = await rejected(400, 'BEACONRY_ERR_MALFORMED');
    await expectRefusal(await postBatch(server, site.publicKey, '{"e": [1, 2'), 400, 'BEACONRY_ERR_MALFORMED', before);
    const res = await postBatch(server, site.publicKey, new Uint8Array([0xdd, 0xff, 0xff, 0xff, 0xff]));
    expect(res.status).toBe(400);
  });

  it('403 for a batch naming another site', async () => {
    const before = await rejected(403, 'BEACONRY_ERR_FORBIDDEN_SITE');
    await expectRefusal(await postBatch(server, site.publicKey, { d: 'other.org', u: page, e: [{ t: 'pageview' }] }), 403, 'BEACONRY_ERR_FORBIDDEN_SITE', before);
  });

  it('415 for a content type that would need a preflight anyway', async () => {
    const before = await rejected(415, 'BEACONRY_ERR_UNSUPPORTED_MEDIA');
    await expectRefusal(await postBatch(server, site.publicKey, '{}', { 'content-type': 'image/png' }), 415, 'BEACONRY_ERR_UNSUPPORTED_MEDIA', before);
  });

  it('429 with Retry-After and RateLimit headers when a secret key exceeds its events per minute', async () => {
    const before = await metricValue(server.url, 'beaconry_rate_limited_total', { key_kind: 'secret' }).catch(() => 0);
    const events = Array.from({ length: 61 }, (_, i) => ({ t: 'custom', n: 'api', i: `rl-${i}` }));
    const first = await fetch(`${server.url}/api/v1/batch`, { method: 'POST', headers: { authorization: `Bearer ${secret}` }, body: JSON.stringify({ u: page, e: events }) });
    expect(first.status).toBe(202);
    expect(first.headers.get('ratelimit-limit')).toBe('60');
    const second = await fetch(`${server.url}/api/v1/batch`, { method: 'POST', headers: { authorization: `Bearer ${secret}` }, body: JSON.stringify({ u: page, e: [{ t: 'custom', n: 'api' }] }) });
    expect(second.status).toBe(429);
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(second.headers.get('ratelimit-remaining')).toBe('0');
    expect(((await second.json()) as { error: { code: string } }).error.code).toBe('BEACONRY_ERR_RATE_LIMITED');
    expect(await metricValue(server.url, 'beaconry_rate_limited_total', { key_kind: 'secret' })).toBe(before + 1);
  });

  it('accepts and drops DNT and GPC requests, counted', async () => {
    const before = await metricValue(server.url, 'beaconry_requests_dropped_total', { reason: 'dnt' });
    for (const h of [{ dnt: "1" }, { "sec-gpc": "1" }] as Record<string, string>[]) {
      const res = await postBatch(server, site.publicKey, { u: page, e: [{ t: 'pageview', i: 'dnt-should-not-exist' }] }, h);
      expect(res.status).toBe(202);
      expect(((await res.json()) as { accepted: number }).accepted).toBe(0);
    }
    expect(await metricValue(server.url, 'beaconry_requests_dropped_total', { reason: 'dnt' })).toBe(before + 2);
  });

  it('answers CORS preflights and sets Access-Control-Allow-Origin without credentials', async () => {
    const pre = await fetch(`${server.url}/api/v1/batch`, { method: 'OPTIONS', headers: { origin: 'https://example.com', 'access-control-request-method': 'POST' } });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('*');
    expect(pre.headers.get('access-control-allow-credentials')).toBeNull();
    const res = await postBatch(server, site.publicKey, { u: page, e: [] });
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
  });
});

describe('drop reasons are answered and counted', () => {
  const CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36';
  const cases: Record<(typeof DROP_REASONS)[number], { body: unknown; headers?: Record<string, string>; secret?: boolean } | undefined> = {
    bot: { body: { u: page, e: [{ t: 'pageview' }] }, headers: { 'user-agent': 'curl/8.5.0' } },
    invalid_event: { body: { u: page, e: [{ t: 'warp' }] } },
    invalid_url: { body: { u: 'data:text/html,x', e: [{ t: 'pageview' }] } },
    invalid_props: { body: { u: page, e: [{ t: 'custom', n: 'x', p: { a: { b: 1 } } }] } },
    invalid_email: { body: { u: page, e: [{ t: 'identify', em: 'nope' }] }, secret: true },
    invalid_field: { body: { u: page, e: [{ t: 'engagement', sd: -4 }] } },
    too_old: { body: { u: page, e: [{ t: 'pageview', ts: Date.now() - 3 * 86_400_000 }] } },
    secret_only: { body: { u: page, e: [{ t: 'pageview', uid: 'someone' }] } },
  };
  for (const [reason, c] of Object.entries(cases)) {
    if (!c) continue;
    it(`drops ${reason}`, async () => {
      const before = await metricValue(server.url, 'beaconry_events_dropped_total', { reason });
      const headers = { 'user-agent': CHROME, ...c.headers, ...(c.secret ? { authorization: `Bearer ${secret2}` } : {}) };
      const res = c.secret
        ? await fetch(`${server.url}/api/v1/batch`, { method: 'POST', headers, body: JSON.stringify(c.body) })
        : await postBatch(server, site.publicKey, c.body, headers);
      expect(res.status).toBe(202);
      expect(await res.json()).toMatchObject({ ok: true, accepted: 0, dropped: { [reason]: 1 } });
      expect(await metricValue(server.url, 'beaconry_events_dropped_total', { reason })).toBe(before + 1);
    });
  }
});

describe('round trip', () => {
  it('stores an accepted msgpack batch with its enriched columns in the site-local day partition', async () => {
    const ts = Date.now() - 5000;
    const marker = `rt-${Math.random().toString(36).slice(2)}`;
    const body = pack({ s: 'tab-42', u: `https://www.example.com/pricing?utm_source=newsletter&utm_medium=email`, r: 'https://www.google.com/search?q=x', e: [
      { t: 'pageview', i: `${marker}-1`, ts },
      { t: 'cta_click', i: `${marker}-2`, ts: ts + 10, c: '0b5f2a4e-9c1d-4e8f-8a7b-123456789abc' },
      { t: 'custom', i: `${marker}-3`, ts: ts + 20, n: marker, p: { plan: 'pro' } },
    ] });
    const res = await postBatch(server, site.publicKey, body, { 'x-forwarded-for': '81.2.69.142' });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ ok: true, accepted: 3, dropped: {} });
    let rows: Record<string, unknown>[] = [];
    for (let i = 0; i < 100 && rows.length < 3; i++) {
      rows = await server.query(`SELECT * FROM events WHERE session_id IN (SELECT session_id FROM events WHERE name = '${marker}') ORDER BY ts`);
      if (rows.length < 3) await new Promise((r) => setTimeout(r, 100));
    }
    expect(rows).toHaveLength(3);
    const localDay = new Intl.DateTimeFormat('en-CA', { timeZone: 'America/New_York' }).format(new Date(ts));
    expect(rows[0]).toMatchObject({
      site_id: site.id, type: 'pageview', hostname: 'example.com', pathname: '/pricing', utm_source: 'newsletter', utm_medium: 'email',
      referrer: 'google.com/search', referrer_source: 'Newsletter', channel: 'Email', browser: 'Chrome', os: 'Linux', device: 'Desktop',
      // The test's request comes from 127.0.0.1, which is not a trusted proxy: X-Forwarded-For is ignored.
      country: null,
    });
    expect(String(rows[0]!.day).slice(0, 10)).toBe(localDay);
    expect(rows[1]).toMatchObject({ type: 'cta_click', cta_id: '0b5f2a4e-9c1d-4e8f-8a7b-123456789abc', interactive: true });
    expect(rows[2]).toMatchObject({ type: 'custom', props: '{"plan":"pro"}' });
    expect(new Set(rows.map((r) => String(r.visitor_id))).size).toBe(1);
    const files = await server.query<{ day: string }>(`SELECT '${localDay}' AS day`);
    expect(files).toHaveLength(1);
  });

  it('stores a re-sent batch once', async () => {
    const id = `dup-${Math.random().toString(36).slice(2)}`;
    const body = { u: page, e: [{ t: 'custom', n: id, i: id, ts: Date.now() }] };
    expect((await postBatch(server, site.publicKey, body)).status).toBe(202);
    expect((await postBatch(server, site.publicKey, body)).status).toBe(202);
    await server.cli(['store', 'flush']);
    const rows = await server.query(`SELECT count(*)::INT AS n FROM events WHERE name = '${id}'`);
    expect(rows[0]!.n).toBe(1);
  });
});
