// The dashboard clicked through in real Chromium against a real server: first-run setup, a site and
// its snippet, a CTA, log out and in, demo traffic through the ingest path, filters, date ranges,
// comparison, CSV export, themes and a phone-sized screen. Screenshots go to test-results/dashboard/.
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, startServer, type TestServer } from '../helpers/server.js';
import { backfill } from '../../dashboard/demo/traffic.js';
import { DEMO_DOMAIN, demoSite } from '../../dashboard/demo/demo-site.js';
import { apiJson, login, setupPath } from './helpers.js';
import { ensureDashboardBuilt } from './build-once.js';

const SHOTS = path.join(ROOT, 'test-results', 'dashboard');
const EMAIL = 'browser-owner@example.com';
const PASSWORD = 'a long browser password';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let server: TestServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
/** Console errors, CSP violations and uncaught exceptions seen by any page. */
const problems: string[] = [];

/** Every panel has answered: no loading placeholders, no faded stale numbers. */
async function settled(p: Page = page): Promise<void> {
  await p.waitForFunction(() => !document.querySelector('main .stale, main .skeleton, main [aria-busy="true"]'), undefined, { timeout: 20_000 });
}

async function shot(name: string, p: Page = page): Promise<void> {
  if (p.url().includes('/sites/') && !p.url().includes('/settings')) await settled(p);
  await p.evaluate(() => scrollTo(0, 0)); // the sticky top bar belongs at the top of a full-page shot
  await p.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

function watch(p: Page): void {
  p.on('console', (m) => {
    const text = m.text();
    // 401s are the app checking for a session; anything else is a problem.
    if ((m.type() === 'error' && !/status of 401/.test(text)) || /Content Security Policy/i.test(text)) problems.push(`${m.type()}: ${text}`);
  });
  p.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
}

beforeAll(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  await ensureDashboardBuilt();
  server = await startServer({ env: { BEACONRY_INSECURE_COOKIES: '1', BEACONRY_TRUSTED_PROXIES: '127.0.0.1', BEACONRY_SECRET_KEY_RATE: '1000000000' } });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true, colorScheme: 'light' });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
  page = await context.newPage();
  watch(page);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('dashboard in Chromium', { timeout: 180_000 }, () => {
  it('creates the owner account from the first-run link', async () => {
    await page.goto(`${server.url}${await setupPath(server)}`);
    await page.getByRole('heading', { name: 'Create the owner account' }).waitFor();
    // The token left the address bar as soon as the page read it.
    expect(page.url()).toBe(`${server.url}/setup`);
    await page.fill('#setup-email', EMAIL);
    await page.fill('#setup-password', PASSWORD);
    await page.fill('#setup-confirm', PASSWORD);
    await shot('01-setup');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(`${server.url}/sites/new`);
    await page.getByRole('heading', { name: 'Add a site' }).waitFor();
  });

  it('adds a site and copies its snippet', async () => {
    await page.fill('#site-domain', 'browser.example');
    await page.selectOption('#site-tz', 'Europe/Berlin');
    await page.fill('#site-retention', '60');
    await shot('02-new-site');
    await page.getByRole('button', { name: 'Add site' }).click();
    await page.waitForURL(/\/sites\/browser\.example\/settings\?added=1$/);
    const snippet = await page.getByTestId('tracker-snippet').textContent();
    expect(snippet).toMatch(new RegExp(`^<script defer src="${server.url}/b\\.js" data-site="pk_[A-Za-z0-9_-]+"></script>$`));
    await page.getByRole('button', { name: 'Copy snippet' }).click();
    await page.getByRole('button', { name: 'Copied' }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(snippet);
    expect(await page.getByTestId('optout-snippet').textContent()).toBe("localStorage.beaconry_optout = '1'");
    await shot('03-snippet');
  });

  it('creates a CTA and shows its UUID and data-cta markup', async () => {
    await page.getByRole('link', { name: 'CTAs' }).click();
    await page.waitForURL(/\/settings\/ctas$/);
    await page.fill('#cta-name', 'Start free trial');
    await page.fill('#cta-url', 'https://browser.example/signup');
    await page.getByRole('button', { name: 'Create CTA' }).click();
    const item = page.getByTestId('cta-item').first();
    await item.waitFor();
    const uuid = (await item.getByTestId('cta-uuid').textContent())!;
    expect(uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(await item.locator('code.code').textContent()).toBe(`<a href="https://browser.example/signup" data-cta="${uuid}">Start free trial</a>`);
    await shot('04-cta');
  });

  it('adds a goal, and creates a secret key shown once then revokes it', async () => {
    await page.getByRole('link', { name: 'Goals' }).click();
    await page.waitForURL(/\/settings\/goals$/);
    await page.fill('#goal-value', 'Signup');
    await page.getByRole('button', { name: 'Add goal' }).click();
    await page.getByRole('cell', { name: 'Signup', exact: true }).waitFor();

    // The page's first list of keys is answered before the key is created and arrives after it (as on
    // a slow network): the list must not lose the new key to that stale answer.
    const keysUrl = /\/api\/dashboard\/sites\/[^/]+\/keys$/;
    const created = page.waitForResponse((r) => keysUrl.test(r.url()) && r.request().method() === 'POST');
    let held = 0;
    await page.route(keysUrl, async (route) => {
      if (route.request().method() !== 'GET' || held++ > 0) return route.continue();
      const stale = await route.fetch();
      await created;
      await route.fulfill({ response: stale });
    });
    await page.getByRole('link', { name: 'Secret keys' }).click();
    await page.waitForURL(/\/settings\/keys$/);
    await page.fill('#key-name', 'billing server');
    await page.getByRole('button', { name: 'Create key' }).click();
    const secret = (await page.getByTestId('new-secret-key').textContent())!;
    expect(secret).toMatch(/^bk_live_/);
    await page.getByRole('cell', { name: 'billing server', exact: true }).waitFor();
    await page.unroute(keysUrl);
    expect(held).toBeGreaterThan(0);
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: /^Revoke key / }).first().click();
    await page.locator('tr.revoked').first().waitFor();
    // The revoked key no longer writes.
    const r = await fetch(`${server.url}/api/v1/batch`, { method: 'POST', headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' }, body: '{"e":[{"t":"custom","n":"x"}]}' });
    expect(r.status).toBe(401);
  });

  it('logs out and back in', async () => {
    await page.getByTestId('logout').click();
    await page.waitForURL(/\/login$/);
    await page.fill('#email', EMAIL);
    await page.fill('#password', 'not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Wrong email or password.' }).waitFor();
    await shot('05-login-error');
    await page.fill('#password', PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Your sites' }).waitFor();
    await page.getByRole('link', { name: 'browser.example' }).first().waitFor();
  });

  it('shows the waiting-for-data state with the snippet for a site without events', async () => {
    await page.goto(`${server.url}/sites/browser.example`);
    await page.getByTestId('install-banner').waitFor();
    await page.getByTestId('figure-visitors').locator('.value').filter({ hasText: '0' }).waitFor();
    await shot('06-empty-site');
  });

  it('shows demo traffic sent through the ingest path, with the numbers the stats API gives', async () => {
    const session = await login(server, EMAIL, PASSWORD);
    const site = await demoSite(server.url, session.accessToken, DEMO_DOMAIN, 'UTC');
    await backfill(server.url, site, { days: 30, scale: 0.25, concurrency: 16 });
    // The store applies the log and the rollups follow within seconds: wait until the rollups'
    // answer equals the raw partitions' answer and stops moving.
    const q = `/api/v1/stats/aggregate?site_id=${DEMO_DOMAIN}&period=30d&metrics=visitors`;
    const value = async (extra = ''): Promise<number> =>
      (await apiJson<{ results: { visitors: { value: number } } }>(server, 'GET', `${q}${extra}`, { token: session.accessToken })).body.results.visitors.value;
    let last = -1;
    for (let i = 0; i < 90; i++) {
      const [rolled, raw] = [await value(), await value('&source=raw')];
      if (rolled > 0 && rolled === raw && rolled === last) break;
      last = rolled === raw ? rolled : -1;
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect(last).toBeGreaterThan(0);

    await page.goto(`${server.url}/sites/${DEMO_DOMAIN}`);
    const visitors = page.getByTestId('figure-visitors').locator('.value');
    await expect.poll(async () => (await visitors.textContent())?.replace(/\D/g, ''), { timeout: 20_000 }).toBe(String(last));
    for (const panel of ['sources', 'pages', 'locations', 'devices', 'goals', 'ctas', 'engagement']) {
      await page.getByTestId(`panel-${panel}`).locator('.rows, table').first().waitFor();
    }
    await page.locator('#main-chart canvas').first().waitFor();
    await page.getByTestId('panel-ctas').getByRole('button', { name: 'Start free trial' }).waitFor();
    await shot('07-dashboard');
  });

  it('applies a filter from a row, shows it as a chip, keeps it in the URL, and removes it', async () => {
    const visitors = page.getByTestId('figure-visitors').locator('.value');
    const before = Number((await visitors.textContent())!.replace(/\D/g, ''));
    const sources = page.getByTestId('panel-sources');
    const first = sources.locator('button.pick').first();
    const channel = (await first.locator('.text').textContent())!;
    await first.click();
    await page.waitForURL((u) => new URL(u).searchParams.getAll('f').includes(`visit:channel==${channel}`));
    const chip = page.getByTestId('filter-chip');
    await expect.poll(() => chip.count()).toBe(1);
    expect(await chip.textContent()).toContain(channel);
    await expect.poll(async () => Number((await visitors.textContent())!.replace(/\D/g, '')), { timeout: 15_000 }).toBeLessThan(before);
    await shot('08-filtered');

    // The back button undoes the filter; forward brings it back (the URL is the state).
    await page.goBack();
    await expect.poll(() => chip.count()).toBe(0);
    await page.goForward();
    await expect.poll(() => chip.count()).toBe(1);

    await chip.getByRole('button', { name: /Remove filter/ }).click();
    await expect.poll(() => chip.count()).toBe(0);
    expect(new URL(page.url()).searchParams.getAll('f')).toEqual([]);
    await expect.poll(async () => Number((await visitors.textContent())!.replace(/\D/g, '')), { timeout: 15_000 }).toBe(before);
  });

  it('shows a CTA over time and the custom properties of events', async () => {
    await page.getByTestId('panel-ctas').getByRole('button', { name: 'Start free trial' }).click();
    await page.waitForURL((u) => new URL(u).searchParams.getAll('f').some((f) => f.startsWith('event:cta==')));
    await expect.poll(() => page.getByTestId('filter-chip').textContent()).toContain('Start free trial');
    await page.getByTestId('panel-ctas').getByRole('img', { name: /Clicks and impressions of Start free trial/ }).locator('canvas').waitFor();
    await shot('09a-cta-over-time');
    await page.getByTestId('filter-chip').getByRole('button', { name: /Remove filter/ }).click();

    const goals = page.getByTestId('panel-goals');
    await goals.getByRole('tab', { name: 'Properties' }).click();
    await page.waitForURL((u) => new URL(u).searchParams.get('goals') === 'props');
    const select = goals.locator('#prop-key');
    await select.waitFor();
    const keys = await select.locator('option').allTextContents();
    expect(keys).toEqual(expect.arrayContaining(['plan', 'billing']));
    await select.selectOption('plan');
    // The list shows the previous key's values until the new breakdown arrives: give it the time
    // the other server round trips here get (expect.poll's default is 1 s).
    await expect.poll(async () => (await goals.locator('button.pick .text').allTextContents()).sort(), { timeout: 15_000 }).toEqual(['free', 'pro', 'team']);
    await goals.getByRole('tab', { name: 'Goals' }).click();
  });

  it('changes the date range by menu and by keyboard shortcut, and compares periods', async () => {
    await page.getByTestId('range-button').click();
    await page.getByRole('menuitemradio', { name: /Last 7 days/ }).click();
    await page.waitForURL((u) => new URL(u).searchParams.get('period') === '7d');
    await expect.poll(() => page.getByTestId('range-button').textContent()).toContain('Last 7 days');

    await page.locator('body').click({ position: { x: 5, y: 600 } });
    await page.keyboard.press('m');
    await page.waitForURL((u) => new URL(u).searchParams.get('period') === 'month');

    await page.getByTestId('range-button').click();
    await page.getByRole('menuitemradio', { name: /Custom range/ }).click();
    const today = new Date().toISOString().slice(0, 10);
    const from = new Date(Date.now() - 13 * 86_400_000).toISOString().slice(0, 10);
    await page.locator('input[type=date]').first().fill(from);
    await page.locator('input[type=date]').nth(1).fill(today);
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL((u) => new URL(u).searchParams.get('period') === 'custom' && new URL(u).searchParams.get('from') === from);

    await page.getByTestId('compare').selectOption('previous_period');
    await page.waitForURL((u) => new URL(u).searchParams.get('compare') === 'previous_period');
    await page.getByTestId('figure-visitors').locator('.change').waitFor();
    await page.getByTestId('figure-pageviews').click();
    await page.waitForURL((u) => new URL(u).searchParams.get('metric') === 'pageviews');
    await page.getByRole('heading', { name: 'Pageviews' }).waitFor();
    await shot('09-custom-range-compare');
  });

  it('exports the current view as CSV', async () => {
    await page.getByTestId('panel-pages').locator('.rows').waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()]);
    expect(download.suggestedFilename()).toMatch(new RegExp(`^beaconry-${DEMO_DOMAIN.replace('.', '\\.')}-\\d{4}-\\d{2}-\\d{2}-\\d{4}-\\d{2}-\\d{2}\\.csv$`));
    const file = path.join(SHOTS, download.suggestedFilename());
    await download.saveAs(file);
    const csv = fs.readFileSync(file, 'utf8');
    expect(csv).toContain('Key figures,Unique visitors,');
    expect(csv).toMatch(/Sources · Channels,/);
    expect(csv).toMatch(/Pages · Top pages,\//);
    expect(csv).toMatch(/^CTAs,Start free trial,/m);
  });

  it('works in the dark theme and on a phone-sized screen', async () => {
    await page.getByRole('button', { name: 'Switch to dark theme' }).click();
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    await page.getByTestId('panel-sources').locator('.rows').waitFor();
    await shot('10-dark');
    await page.getByRole('button', { name: 'Switch to light theme' }).click();

    const phone = await context.newPage();
    watch(phone);
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto(`${server.url}/sites/${DEMO_DOMAIN}?period=7d`);
    await phone.getByTestId('panel-sources').locator('.rows').waitFor();
    // Nothing sticks out sideways.
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot('11-phone', phone);
    await phone.screenshot({ path: path.join(SHOTS, '11-phone-top.png') });
    await phone.getByTestId('panel-sources').scrollIntoViewIfNeeded();
    await phone.screenshot({ path: path.join(SHOTS, '11-phone-panels.png') });
    await phone.close();
  });

  it('is usable with the keyboard: tabs between key figures with arrow keys', async () => {
    await page.getByTestId('figure-visitors').click();
    await page.keyboard.press('ArrowRight');
    await page.waitForURL((u) => new URL(u).searchParams.get('metric') === 'visits');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('figure-visits');
  });

  it('logs out: the session is gone and pages send you to sign in', async () => {
    await page.getByTestId('logout').click();
    await page.waitForURL(/\/login$/);
    await page.goto(`${server.url}/sites/${DEMO_DOMAIN}`);
    await page.waitForURL(/\/login\?next=/);
    await shot('12-logged-out');
    expect(problems).toEqual([]);
  });
});
