// Umami's own Node client (@umami/node), unmodified, pointed at Beaconry with the site's Umami website
// id: its pageviews, custom events with data and identify calls, read back from the stored rows.
import { Umami } from '@umami/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addSite, startServer, type TestServer } from '../../helpers/server.js';
import { rows } from './drop-in.js';
import { byValue, statsUntil, type BreakdownRow } from '../../helpers/stats.js';

const WEBSITE_ID = 'c0a8014e-6f1d-4b7a-9e3c-5d2f8a6b4c21';
let server: TestServer;
let site: { id: string };
let other: { id: string };

beforeAll(async () => {
  server = await startServer({ env: { BEACONRY_STORE_FLUSH_MS: '20' } });
  site = await addSite(server, 'node-app.example');
  other = await addSite(server, 'second-app.example');
  await server.cli(['site', 'update', 'node-app.example', '--umami-id', WEBSITE_ID]);
});
afterAll(async () => {
  await server?.stop();
});

interface Answer { cache?: string; sessionId?: string; visitId?: string }

describe('@umami/node', () => {
  it('sends pageviews and events whose page, referrer, data and counts are stored', async () => {
    // The package's default export is `new Umami()`; under NodeNext typings only the class is reachable.
    const umami = new Umami();
    umami.init({ websiteId: WEBSITE_ID, hostUrl: server.url });
    const answers: Answer[] = [];
    const sent = [
      await umami.track({ hostname: 'node-app.example', url: '/home', referrer: 'https://github.com/umami-software/umami', title: 'Home', language: 'en-US', screen: '1920x1080' }),
      await umami.track({ hostname: 'node-app.example', url: '/pricing?utm_source=newsletter', title: 'Pricing' }),
      await umami.track('signup', { plan: 'pro', seats: 3 }),
      await umami.track({ hostname: 'node-app.example', url: '/checkout', name: 'purchase', data: { total: 49.5, currency: 'EUR' } }),
    ];
    for (const res of sent) {
      expect(res.status).toBe(200);
      answers.push((await res.json()) as Answer);
    }
    for (const a of answers) expect(a.cache).toEqual(expect.any(String));
    // One Node process is one visitor (same address and agent): one session id throughout.
    expect(new Set(answers.map((a) => a.sessionId)).size).toBe(1);

    const r = await rows(server, `site_id = '${site.id}'`, 'ts, pathname');
    expect(r.map((x) => [x.type, x.name, x.pathname, x.referrer, x.utm_source, x.props])).toEqual([
      ['pageview', 'pageview', '/home', 'github.com/umami-software/umami', null, null],
      ['pageview', 'pageview', '/pricing', null, 'newsletter', null],
      ['custom', 'signup', '/', null, null, '{"plan":"pro","seats":"3"}'],
      ['custom', 'purchase', '/checkout', null, null, '{"total":"49.5","currency":"EUR"}'],
    ]);
    expect(r.every((x) => x.hostname === 'node-app.example')).toBe(true);
    expect(r[0]).toMatchObject({ referrer_source: 'GitHub', channel: 'Referral' });
    expect(new Set(r.map((x) => String(x.visitor_id))).size).toBe(1);

    // And the stats API shows them: pages, source, entry page and events, with the right counts.
    const key = (await server.cli<{ secretKey: string }>(['key', 'create', 'node-app.example', '--scopes', 'stats'])).secretKey;
    const q = { site_id: 'node-app.example', period: 'day' };
    const pages = await statsUntil<{ results: BreakdownRow[] }>(server, key, '/api/v1/stats/breakdown', { ...q, property: 'event:page', metrics: 'visitors,pageviews' },
      (b) => (b.results ?? []).length >= 2);
    expect(byValue(pages, 'page')).toMatchObject({ '/home': { visitors: 1, pageviews: 1 }, '/pricing': { visitors: 1, pageviews: 1 } });
    const sources = await statsUntil<{ results: BreakdownRow[] }>(server, key, '/api/v1/stats/breakdown', { ...q, property: 'visit:source', metrics: 'visitors' }, (b) => (b.results ?? []).length > 0);
    expect(byValue(sources, 'source')).toMatchObject({ GitHub: { visitors: 1 } });
    // One visit (one Node process): it entered at /home, so that is its entry page.
    const entry = await statsUntil<{ results: BreakdownRow[] }>(server, key, '/api/v1/stats/breakdown', { ...q, property: 'visit:entry_page', metrics: 'visitors,visits' }, (b) => (b.results ?? []).length > 0);
    expect(byValue(entry, 'entry_page')).toEqual({ '/home': { entry_page: '/home', visitors: 1, visits: 1 } });
    const goals = await statsUntil<{ results: BreakdownRow[] }>(server, key, '/api/v1/stats/breakdown', { ...q, property: 'event:name', metrics: 'events' }, (b) => (b.results ?? []).length >= 2);
    expect(byValue(goals, 'name')).toMatchObject({ signup: { events: 1 }, purchase: { events: 1 } });
  });

  it('identify from a keyless client is answered and dropped (identify is secret-only here)', async () => {
    const client = new Umami({ websiteId: WEBSITE_ID, hostUrl: server.url });
    const res = await client.identify({ email: 'ada@example.com', plan: 'pro' });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-beaconry-dropped')).toBe('secret_only=1');
    expect(await rows(server, `type = 'identify'`)).toHaveLength(0);
  });

  it('addresses a site by its Beaconry id as the website id, and sees Umami\'s error for an unknown one', async () => {
    const client = new Umami({ websiteId: other.id, hostUrl: server.url });
    expect((await client.track({ hostname: 'second-app.example', url: '/welcome' })).status).toBe(200);
    expect(await rows(server, `site_id = '${other.id}'`)).toMatchObject([{ type: 'pageview', pathname: '/welcome' }]);
    const unknown = new Umami({ websiteId: '00000000-0000-4000-8000-000000000000', hostUrl: server.url });
    const res = await unknown.track({ url: '/' });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: { message: 'Website not found.', code: 'bad-request', status: 400 } });
  });
});
