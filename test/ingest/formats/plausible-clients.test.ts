// Plausible's own browser clients, unmodified, pointed at Beaconry: the current npm library
// (@plausible-analytics/tracker) and the older plausible-tracker, bundled with esbuild into pages
// that real Chromium loads from a real origin. Assertions read the rows Beaconry stored.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { build } from 'esbuild';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addSite, ROOT, startServer, type TestServer } from '../../helpers/server.js';
import { byValue, statsUntil, type BreakdownRow } from '../../helpers/stats.js';
import { rows, type StoredRow } from './drop-in.js';

const USER_AGENT = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/150.0.0.0 Safari/537.36';
const OTHER_AGENT = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/149.0.0.0 Safari/537.36';
const CHROMIUM_ARGS = [
  `--user-agent=${USER_AGENT}`,
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  // Pages live on real-looking hosts (Plausible's clients ignore localhost), served from 127.0.0.1.
  '--host-resolver-rules=MAP *.example 127.0.0.1',
  // Plausible's clients ignore browsers that say they are automated (navigator.webdriver).
  '--disable-blink-features=AutomationControlled',
];
const HN = 'https://news.ycombinator.com/item?id=42';
const ROWS = { timeout: 20_000, interval: 250 };

/** Only glue: each library's own exports, put on window for the page's inline snippet. */
const ENTRIES = {
  'current.js': "import * as plausible from '@plausible-analytics/tracker'; window.PlausibleNpm = plausible;",
  'legacy.js': "import Plausible from 'plausible-tracker'; window.PlausibleTracker = Plausible;",
};

let server: TestServer;
let pages: http.Server;
let origin: (host: string) => string;
let browser: Browser;
const bundles = new Map<string, string>();
const html = new Map<string, string>();

function page(title: string, bundle: string, snippet: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body style="margin:0">
<div style="height:2600px">
  <a id="out" href="https://github.com/plausible/analytics">GitHub</a>
  <a id="dl" href="/files/report.pdf?v=2">Report</a>
  <button id="signup">Sign up</button>
  <button id="spa">Docs</button>
  <button id="hash">Settings</button>
</div>
<script src="/${bundle}"></script>
<script>
window.results = [];
document.getElementById('spa').addEventListener('click', () => history.pushState({}, '', '/docs'));
document.getElementById('hash').addEventListener('click', () => { location.hash = '#/settings'; });
${snippet}
</script></body></html>`;
}

beforeAll(async () => {
  server = await startServer({ env: { BEACONRY_STORE_FLUSH_MS: '20' } });
  for (const d of ['tracker-current.example', 'tracker-legacy.example']) await addSite(server, d);
  for (const [name, contents] of Object.entries(ENTRIES)) {
    const out = await build({ stdin: { contents, resolveDir: ROOT, loader: 'js' }, bundle: true, write: false, format: 'iife', logLevel: 'silent' });
    bundles.set(name, out.outputFiles[0]!.text);
  }
  const endpoint = `${server.url}/api/event`;
  const current = (extra: string): string => `
const { init, track } = window.PlausibleNpm;
init({ domain: 'tracker-current.example', endpoint: '${endpoint}', outboundLinks: true, fileDownloads: true, customProperties: { author: 'ada' }${extra} });
document.getElementById('signup').addEventListener('click', () =>
  track('Signup', { props: { plan: 'pro' }, revenue: { amount: 29, currency: 'EUR' }, callback: (r) => window.results.push(r) }));`;
  const legacy = (extra: string): string => `
const p = window.PlausibleTracker({ domain: 'tracker-legacy.example', apiHost: '${server.url}'${extra} });
p.enableAutoPageviews();
p.enableAutoOutboundTracking();
document.getElementById('signup').addEventListener('click', () =>
  p.trackEvent('Signup', { props: { plan: 'pro', seats: 3 }, callback: (r) => window.results.push(r) }));`;
  html.set('/current/pricing', page('Pricing', 'current.js', current('')));
  html.set('/current/app', page('App', 'current.js', current(', hashBasedRouting: true')));
  html.set('/legacy/pricing', page('Pricing', 'legacy.js', legacy('')));
  html.set('/legacy/app', page('App', 'legacy.js', legacy(', hashMode: true')));

  pages = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const bundle = bundles.get(url.pathname.slice(1));
    if (bundle) return res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
    if (url.pathname.startsWith('/files/')) return res.writeHead(200, { 'content-type': 'application/pdf', 'content-disposition': 'attachment' }).end('%PDF-1.4');
    // /pricing and /app under a per-library prefix; the SPA's pushState to /docs never reloads.
    const body = html.get(url.pathname);
    if (body) return res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(body);
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => pages.listen(0, '127.0.0.1', resolve));
  const port = (pages.address() as AddressInfo).port;
  origin = (host) => `http://${host}:${port}`;
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => pages?.close(resolve));
  await server?.stop();
});

interface Visitor {
  context: BrowserContext;
  page: Page;
  /** Every event the library sent to Beaconry, with the status it was answered with. */
  sent: { body: Record<string, unknown>; status: number }[];
}

async function newVisitor(userAgent = USER_AGENT): Promise<Visitor> {
  const context = await browser.newContext({ userAgent, viewport: { width: 1000, height: 700 } });
  // The outbound link's target: answered locally (this machine has no internet).
  await context.route('https://github.com/**', (route) => route.fulfill({ status: 200, contentType: 'text/html', body: '<title>GitHub</title>' }));
  const sent: Visitor['sent'] = [];
  context.on('response', (res) => {
    if (res.url() === `${server.url}/api/event`) sent.push({ body: JSON.parse(res.request().postData() ?? '{}') as Record<string, unknown>, status: res.status() });
  });
  const page = await context.newPage();
  return { context, page, sent };
}

/** Clicks and waits until Beaconry has answered the event the click sends. */
async function clickAndSend(v: Visitor, selector: string, eventName: string): Promise<void> {
  // Watched on the context: a link's event may be answered after its page has navigated away.
  const answered = v.context.waitForEvent('response', {
    predicate: (r) => r.url() === `${server.url}/api/event` && (r.request().postData() ?? '').includes(`"n":"${eventName}"`),
    timeout: 15_000,
  });
  await v.page.click(selector);
  expect((await answered).status()).toBe(202);
}

async function waitForRows(where: string, count: number): Promise<StoredRow[]> {
  let found: StoredRow[] = [];
  await expect.poll(async () => (found = await rows(server, where, 'ts, type')).length, ROWS).toBeGreaterThanOrEqual(count);
  return found;
}

const ofType = (r: StoredRow[], type: string): StoredRow[] => r.filter((x) => x.type === type);
const parse = (props: unknown): unknown => (props === null ? null : JSON.parse(String(props)));

/** One visit: land from Hacker News, scroll, sign up, download, navigate in the SPA, leave by an outbound link. */
async function fullVisit(prefix: string, library: 'current' | 'legacy'): Promise<Visitor> {
  const v = await newVisitor();
  await v.page.goto(`${origin(`www.${prefix}.example`)}/${library}/pricing`, { referer: HN });
  await v.page.mouse.wheel(0, 1500);
  await clickAndSend(v, '#signup', 'Signup');
  if (library === 'current') {
    const download = v.page.waitForEvent('download');
    await clickAndSend(v, '#dl', 'File Download');
    await download;
  }
  await v.page.click('#spa');
  await v.page.waitForURL(/\/docs$/);
  // The page unloads as the link is followed: its event's answer is not observable, its row is.
  await v.page.click('#out');
  await v.page.waitForURL('https://github.com/plausible/analytics');
  await v.context.close();
  return v;
}

describe('@plausible-analytics/tracker (current npm library) in Chromium', () => {
  const where = `hostname = 'tracker-current.example' AND pathname NOT LIKE '%/app%'`;

  it('stores its pageviews, custom event with props and revenue, file download, engagement and outbound click', async () => {
    const first = await fullVisit('tracker-current', 'current');
    expect(first.sent.every((e) => e.status === 202)).toBe(true);
    // A second visitor (another browser) lands without a referrer.
    const second = await newVisitor(OTHER_AGENT);
    await second.page.goto(`${origin('tracker-current.example')}/current/pricing`);
    const r = await waitForRows(`${where} AND type <> 'engagement'`, 6);
    await second.context.close();

    const views = ofType(r, 'pageview');
    expect(views.map((v) => v.pathname).sort()).toEqual(['/current/pricing', '/current/pricing', '/docs']);
    const fromHn = views.filter((v) => v.referrer !== null);
    expect(fromHn.map((v) => [v.pathname, v.referrer, v.referrer_source, v.channel])).toEqual([
      ['/current/pricing', 'news.ycombinator.com/item', 'Hacker News', 'Organic Social'],
      ['/docs', 'news.ycombinator.com/item', 'Hacker News', 'Organic Social'],
    ]);
    expect(new Set(views.map((v) => String(v.visitor_id))).size).toBe(2);
    for (const v of views) expect(parse(v.props)).toEqual({ author: 'ada' });

    const [signup, ...moreSignups] = ofType(r, 'custom');
    expect(moreSignups).toHaveLength(0);
    expect(signup).toMatchObject({ name: 'Signup', pathname: '/current/pricing', revenue_amount: 29, revenue_currency: 'EUR', interactive: true });
    expect(parse(signup!.props)).toEqual({ author: 'ada', plan: 'pro' });

    const downloads = ofType(r, 'download');
    expect(downloads.map((d) => [d.pathname, d.link_url])).toEqual([['/current/pricing', `${origin('www.tracker-current.example')}/files/report.pdf`]]);
    const outbound = ofType(r, 'outbound');
    expect(outbound.map((o) => [o.pathname, o.link_url])).toEqual([['/docs', 'https://github.com/plausible/analytics']]);

    const engagement = await waitForRows(`${where} AND type = 'engagement' AND pathname = '/current/pricing'`, 1);
    expect(Number(engagement[0]!.scroll_depth)).toBeGreaterThan(0);
    expect(engagement[0]!.interactive).toBe(false);
    expect(r.every((x) => x.hostname === 'tracker-current.example' && x.browser === 'Chrome')).toBe(true);

    // The same visits through the stats API: pages, source and the goal's property.
    const key = (await server.cli<{ secretKey: string }>(['key', 'create', 'tracker-current.example', '--scopes', 'stats'])).secretKey;
    const q = { site_id: 'tracker-current.example', period: 'day' };
    const pages = await statsUntil<{ results: BreakdownRow[] }>(server, key, '/api/v1/stats/breakdown', { ...q, property: 'event:page', metrics: 'visitors,pageviews', filters: 'event:page!=/current/app*' },
      (b) => byValue(b, 'page')['/current/pricing']?.pageviews === 2);
    expect(byValue(pages, 'page')).toMatchObject({ '/current/pricing': { visitors: 2, pageviews: 2 }, '/docs': { visitors: 1, pageviews: 1 } });
    const sources = await statsUntil<{ results: BreakdownRow[] }>(server, key, '/api/v1/stats/breakdown', { ...q, property: 'visit:source', metrics: 'visitors' }, (b) => (b.results ?? []).length > 0);
    expect(byValue(sources, 'source')['Hacker News']).toMatchObject({ visitors: 1 });
    const plan = await statsUntil<{ results: BreakdownRow[] }>(server, key, '/api/v1/stats/breakdown', { ...q, property: 'event:props:plan', metrics: 'visitors', filters: 'event:name==Signup' }, (b) => (b.results ?? []).length > 0);
    expect(byValue(plan, 'plan')).toMatchObject({ pro: { visitors: 1 } });
  });

  it('keeps the fragment in the path with hashBasedRouting', async () => {
    const v = await newVisitor();
    await v.page.goto(`${origin('tracker-current.example')}/current/app`);
    await clickAndSend(v, '#hash', 'pageview');
    const r = await waitForRows(`hostname = 'tracker-current.example' AND pathname LIKE '/current/app%' AND type = 'pageview'`, 2);
    await v.context.close();
    expect(r.map((x) => x.pathname)).toEqual(['/current/app', '/current/app#/settings']);
  });
});

describe('plausible-tracker (the older npm package) in Chromium', () => {
  const where = `hostname = 'tracker-legacy.example' AND pathname NOT LIKE '%/app%'`;

  it('stores its pageviews, custom event with props sent as a JSON string, and outbound click', async () => {
    const visit = await fullVisit('tracker-legacy', 'legacy');
    expect(visit.sent.map((e) => [e.body.n, e.status]).slice(0, 3)).toEqual([['pageview', 202], ['Signup', 202], ['pageview', 202]]);
    expect(visit.sent[0]!.body).toMatchObject({ h: 0, w: 1000, d: 'tracker-legacy.example' });
    const r = await waitForRows(where, 4);
    expect(ofType(r, 'pageview').map((v) => [v.pathname, v.referrer, v.referrer_source])).toEqual([
      ['/legacy/pricing', 'news.ycombinator.com/item', 'Hacker News'],
      ['/docs', 'news.ycombinator.com/item', 'Hacker News'],
    ]);
    const custom = ofType(r, 'custom');
    expect(custom.map((c) => [c.name, c.pathname, parse(c.props)])).toEqual([['Signup', '/legacy/pricing', { plan: 'pro', seats: '3' }]]);
    expect(ofType(r, 'outbound').map((o) => [o.pathname, o.link_url])).toEqual([['/docs', 'https://github.com/plausible/analytics']]);
    expect(r).toHaveLength(4);
    expect(new Set(r.map((x) => String(x.visitor_id))).size).toBe(1);
  });

  it('keeps the fragment in the path with hashMode', async () => {
    const v = await newVisitor();
    await v.page.goto(`${origin('tracker-legacy.example')}/legacy/app`);
    await v.page.click('#hash');
    // This library sends a hash change twice (its hashchange and popstate listeners both fire):
    // every event it sends is stored, nothing more.
    await expect.poll(() => v.sent.length, ROWS).toBe(3);
    const r = await waitForRows(`hostname = 'tracker-legacy.example' AND pathname LIKE '/legacy/app%'`, 3);
    await v.context.close();
    expect(v.sent.map((e) => [e.body.h, e.status])).toEqual([[1, 202], [1, 202], [1, 202]]);
    expect(r.map((x) => [x.type, x.pathname])).toEqual([['pageview', '/legacy/app'], ['pageview', '/legacy/app#/settings'], ['pageview', '/legacy/app#/settings']]);
  });
});
