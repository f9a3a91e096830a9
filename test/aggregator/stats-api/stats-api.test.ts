// The stats API on the real server (127.0.0.1, real pool, log, DuckDB): the round trip beacon → 2xx →
// row in the day partition → rollup → API number; authentication (401, and the same 404 for missing
// and foreign sites); Plausible's error shape; time series in the site's time zone; comparisons;
// realtime; the CTA and engagement reports; and the latency and rollup-lag metrics.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricValue } from '../../helpers/metrics.js';
import { addSite, postBatch, startServer, type TestServer } from '../../helpers/server.js';

let server: TestServer;
let statsKey: string;
let ingestOnlyKey: string;
let otherKey: string;
const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36';
const CTA = '5f0c2a9e-1b3d-4c5e-8f7a-9b0c1d2e3f4a';

beforeAll(async () => {
  server = await startServer({ env: { BEACONRY_STORE_FLUSH_MS: '20', BEACONRY_SECRET_KEY_RATE: '100000' } });
  await addSite(server, 'stats.example', ['--timezone', 'America/New_York', '--retention', '365']);
  await addSite(server, 'other.example');
  statsKey = (await server.cli<{ secretKey: string }>(['key', 'create', 'stats.example'])).secretKey;
  ingestOnlyKey = (await server.cli<{ secretKey: string }>(['key', 'create', 'stats.example', '--scopes', 'ingest'])).secretKey;
  otherKey = (await server.cli<{ secretKey: string }>(['key', 'create', 'other.example'])).secretKey;
});

afterAll(async () => {
  await server?.stop();
});

async function stats(path: string, params: Record<string, string>, key: string | null = statsKey): Promise<{ status: number; body: unknown; headers: Headers }> {
  const res = await fetch(`${server.url}/api/v1/stats/${path}?${new URLSearchParams(params).toString()}`, {
    headers: key === null ? {} : { authorization: `Bearer ${key}` },
  });
  return { status: res.status, body: (await res.json()) as unknown, headers: res.headers };
}

/** Polls until `fn` stops throwing (the applier and the rollup maintainer work a moment behind the 2xx). */
async function eventually<T>(fn: () => Promise<T>, ms = 20_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** A server-side batch (secret key): backfilled timestamps, and ip/ua to make distinct visitors. */
async function backfill(ip: string, events: unknown[], url = 'https://stats.example/'): Promise<void> {
  const res = await fetch(`${server.url}/api/v1/batch`, {
    method: 'POST',
    headers: { authorization: `Bearer ${statsKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ ip, ua: UA, u: url, e: events }),
  });
  expect(res.status, await res.clone().text()).toBe(202);
}

describe('stats API on the real server', () => {
  it('round trip: beacon → 2xx → row in the day partition → rollup → stats API number', async () => {
    const site = await server.cli<{ publicKey: string }[]>(['site', 'list']).then((l) => l.find((s) => (s as { domain?: string }).domain === 'stats.example')!);
    const page = `/round-trip-${Date.now()}`;
    const res = await postBatch(server, site.publicKey, { s: 'tab-1', u: `https://stats.example${page}`, e: [{ t: 'pageview', i: 'rt-1' }, { t: 'engagement', i: 'rt-2', sd: 80, et: 4200 }] });
    expect(res.status).toBe(202);
    const rows = await eventually(async () => {
      const r = await server.query<{ day: string; n: number }>(`SELECT day, count(*) AS n FROM events WHERE pathname = '${page}' GROUP BY day`);
      if (r.length === 0) throw new Error('not applied yet');
      return r;
    });
    expect(rows[0]!.n).toBe(2);
    await eventually(async () => {
      const r = await server.query(`SELECT visitors, pageviews FROM rollups.main.dims WHERE property = 'event:page' AND value = '${page}'`);
      expect(r).toEqual([{ visitors: 1, pageviews: 1 }]);
    });
    const answer = await stats('aggregate', {
      site_id: 'stats.example', period: 'day', date: rows[0]!.day, filters: `event:page==${page}`, metrics: 'visitors,pageviews,bounce_rate,time_on_page,scroll_depth',
    });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('x-beaconry-source')).toBe('rollups');
    expect(answer.body).toEqual({ results: { visitors: { value: 1 }, pageviews: { value: 1 }, bounce_rate: { value: 100 }, time_on_page: { value: 4 }, scroll_depth: { value: 80 } } });
    const breakdown = await stats('breakdown', { site_id: 'stats.example', period: 'day', date: rows[0]!.day, property: 'event:page', filters: `event:page==${page}` });
    expect(breakdown.body).toEqual({ results: [{ page, visitors: 1 }] });
  });

  it('401 without a usable key, the same 404 for a missing and a foreign site, 400 in Plausible’s shape', async () => {
    const none = await stats('aggregate', { site_id: 'stats.example' }, null);
    expect(none.status).toBe(401);
    expect(none.headers.get('x-beaconry-error')).toBe('BEACONRY_ERR_UNAUTHORIZED');
    expect(typeof (none.body as { error: string }).error).toBe('string');
    expect((await stats('aggregate', { site_id: 'stats.example' }, 'bk_live_nope')).status).toBe(401);
    const ingestOnly = await stats('aggregate', { site_id: 'stats.example' }, ingestOnlyKey);
    expect(ingestOnly.status).toBe(401);
    expect(ingestOnly.body).toEqual(none.body);

    const foreign = await stats('aggregate', { site_id: 'other.example' });
    const missing = await stats('aggregate', { site_id: 'missing.example' });
    expect(foreign.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(foreign.body).toEqual(missing.body);
    expect((await stats('aggregate', { site_id: 'other.example' }, otherKey)).status).toBe(200);

    for (const [path, params, needle] of [
      ['aggregate', { period: 'fortnight' }, 'period'],
      ['aggregate', { metrics: 'visitors,visitors' }, 'multiple'],
      ['aggregate', { metrics: 'nope' }, 'nope'],
      ['aggregate', { filters: 'visit:nope==1' }, 'visit:nope'],
      ['aggregate', { metrics: 'conversion_rate' }, 'goal'],
      ['aggregate', { period: 'custom', date: '2024-02-30,2024-03-01' }, 'date'],
      ['breakdown', {}, 'property'],
      ['breakdown', { property: 'event:page', limit: '1001' }, 'limit'],
      ['timeseries', { interval: 'minute' }, 'interval'],
    ] as const) {
      const r = await stats(path, { site_id: 'stats.example', ...params });
      expect(r.status, `${path} ${JSON.stringify(params)}`).toBe(400);
      expect((r.body as { error: string }).error).toContain(needle);
    }
    const noSite = await stats('aggregate', {});
    expect(noSite.status).toBe(400);
  });

  it('time series in the site’s time zone, comparisons, CTAs and engagement', async () => {
    // 2024-03-10 in New York (EST until 07:00 UTC, then EDT): 06:30 UTC is 01:30 local, and
    // 2024-03-11 03:00 UTC is still 23:00 on the 10th locally. The 9th has one visitor.
    const at = (iso: string): number => Date.parse(iso);
    await backfill('192.0.2.1', [{ t: 'pageview', i: 'tz-1', ts: at('2024-03-10T06:30:00Z') }]);
    await backfill('192.0.2.2', [
      { t: 'pageview', i: 'tz-2', ts: at('2024-03-11T03:00:00Z') },
      { t: 'cta_impression', i: 'tz-3', c: CTA, ts: at('2024-03-11T03:00:01Z') },
      { t: 'cta_click', i: 'tz-4', c: CTA, ts: at('2024-03-11T03:00:05Z') },
      { t: 'engagement', i: 'tz-5', sd: 40, et: 10_000, ts: at('2024-03-11T03:00:20Z') },
    ], 'https://stats.example/pricing');
    await backfill('192.0.2.3', [{ t: 'pageview', i: 'tz-6', ts: at('2024-03-09T15:00:00Z') }, { t: 'cta_impression', i: 'tz-7', c: CTA, ts: at('2024-03-09T15:00:01Z') }]);
    const q = { site_id: 'stats.example', period: 'day', date: '2024-03-10' };
    const series = await eventually(async () => {
      const r = await stats('timeseries', { ...q, interval: 'hour', metrics: 'visitors,pageviews' });
      const nonZero = (r.body as { results: { date: string; visitors: number }[] }).results.filter((x) => x.visitors > 0);
      expect(nonZero.map((x) => x.date)).toEqual(['2024-03-10 01:00:00', '2024-03-10 23:00:00']);
      return r;
    });
    expect((series.body as { results: unknown[] }).results).toHaveLength(24);
    expect(series.headers.get('x-beaconry-source')).toBe('rollups');

    const days = await stats('timeseries', { site_id: 'stats.example', period: 'custom', date: '2024-03-09,2024-03-11', interval: 'day' });
    expect(days.body).toEqual({ results: [{ date: '2024-03-09', visitors: 1 }, { date: '2024-03-10', visitors: 2 }, { date: '2024-03-11', visitors: 0 }] });

    const cmp = await stats('aggregate', { ...q, metrics: 'visitors,pageviews,bounce_rate', compare: 'previous_period' });
    expect(cmp.body).toEqual({
      results: {
        visitors: { value: 2, comparison_value: 1, change: 100 },
        pageviews: { value: 2, comparison_value: 1, change: 100 },
        // The 9th's only visit has a pageview and a CTA impression (not interactive): a bounce. On the
        // 10th one visit bounced and one clicked.
        bounce_rate: { value: 50, comparison_value: 100, change: -50 },
      },
    });
    const yoy = await stats('aggregate', { ...q, compare: 'year_over_year' });
    expect(yoy.body).toEqual({ results: { visitors: { value: 2, comparison_value: 0, change: 100 } } });

    const ctas = await stats('ctas', { site_id: 'stats.example', period: 'custom', date: '2024-03-09,2024-03-10' });
    expect(ctas.body).toEqual({ results: [{ cta: CTA, impressions: 2, hovers: 0, clicks: 1, unique_clickers: 1, ctr: 50 }] });
    const goals = await stats('breakdown', { ...q, property: 'event:goal', metrics: 'visitors,events,conversion_rate' });
    expect(goals.body).toEqual({ results: [{ goal: 'cta_click', visitors: 1, events: 1, conversion_rate: 50 }] });
    const engagement = await stats('engagement', q);
    expect(engagement.body).toEqual({
      results: [
        { page: '/', visitors: 1, pageviews: 1, time_on_page: null, scroll_depth: null },
        { page: '/pricing', visitors: 1, pageviews: 1, time_on_page: 10, scroll_depth: 40 },
      ],
    });
    const pages = await stats('breakdown', { ...q, property: 'event:page', metrics: 'visitors,pageviews', compare: 'previous_period' });
    expect(pages.body).toEqual({
      results: [
        { page: '/', visitors: 1, pageviews: 1, comparison: { visitors: 1, pageviews: 1, change: { visitors: 0, pageviews: 0 } } },
        { page: '/pricing', visitors: 1, pageviews: 1, comparison: { visitors: 0, pageviews: 0, change: { visitors: 100, pageviews: 100 } } },
      ],
    });
    const filtered = await stats('breakdown', { ...q, property: 'visit:browser', filters: 'event:page==/pricing;visit:device!=Mobile' });
    expect(filtered.headers.get('x-beaconry-source')).toBe('raw');
    expect(filtered.body).toEqual({ results: [{ browser: 'Chrome', visitors: 1 }] });
  });

  it('realtime: visitors in the last five minutes and their pages', async () => {
    const site = (await server.cli<{ domain: string; publicKey: string }[]>(['site', 'list'])).find((s) => s.domain === 'stats.example')!;
    expect((await postBatch(server, site.publicKey, { s: 'rt', u: 'https://stats.example/live', e: [{ t: 'pageview', i: 'live-1' }] })).status).toBe(202);
    await eventually(async () => {
      const v = await stats('realtime/visitors', { site_id: 'stats.example' });
      expect(v.status).toBe(200);
      expect(v.body).toBeGreaterThanOrEqual(1);
      const p = await stats('realtime/pages', { site_id: 'stats.example' });
      expect((p.body as { results: { page: string }[] }).results.map((r) => r.page)).toContain('/live');
    });
  });

  it('records latency per endpoint and the rollup lag', async () => {
    await stats('aggregate', { site_id: 'stats.example' });
    expect(await metricValue(server.url, 'beaconry_stats_request_seconds_count', { endpoint: 'aggregate' })).toBeGreaterThan(0);
    expect(await metricValue(server.url, 'beaconry_stats_request_seconds_count', { endpoint: 'breakdown' })).toBeGreaterThan(0);
    expect(await metricValue(server.url, 'beaconry_rollup_lag_seconds')).toBeGreaterThanOrEqual(0);
  });
});
