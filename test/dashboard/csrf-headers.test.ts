// Cross-site refusal on every state-changing dashboard route, the security headers on every kind of
// dashboard answer, and the cookie in its production form (Secure, __Host-).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server.js';
import { api, apiJson, setupOwner, type Session } from './helpers.js';
import { ensureDashboardBuilt } from './build-once.js';

let server: TestServer;
let owner: Session;
let siteId: string;

beforeAll(async () => {
  await ensureDashboardBuilt();
  server = await startServer({ env: { BEACONRY_INSECURE_COOKIES: '1' } });
  owner = await setupOwner(server);
  siteId = (await apiJson<{ id: string }>(server, 'POST', '/api/dashboard/sites', { token: owner.accessToken, body: { domain: 'csrf.example' } })).body.id;
});
afterAll(async () => {
  await server?.stop();
});

/** Every state-changing route, with a body that would succeed if the request were allowed. */
const stateChanging = (): { method: string; path: string; body?: unknown }[] => [
  { method: 'POST', path: '/api/dashboard/auth/login', body: { email: 'owner@example.com', password: 'correct horse battery staple' } },
  { method: 'POST', path: '/api/dashboard/auth/setup', body: { token: 'x'.repeat(32), email: 'a@b.example', password: 'long enough pw' } },
  { method: 'POST', path: '/api/dashboard/auth/setup/check', body: { token: 'x'.repeat(32) } },
  { method: 'POST', path: '/api/dashboard/auth/refresh' },
  { method: 'POST', path: '/api/dashboard/auth/logout' },
  { method: 'POST', path: '/api/dashboard/auth/logout-everywhere' },
  { method: 'POST', path: '/api/dashboard/me/password', body: { currentPassword: 'x', newPassword: 'y' } },
  { method: 'POST', path: '/api/dashboard/sites', body: { domain: 'evil.example' } },
  { method: 'PATCH', path: `/api/dashboard/sites/${siteId}`, body: { retentionDays: 20 } },
  { method: 'DELETE', path: `/api/dashboard/sites/${siteId}`, body: { confirm: 'csrf.example' } },
  { method: 'POST', path: `/api/dashboard/sites/${siteId}/ctas`, body: { name: 'x' } },
  { method: 'PATCH', path: '/api/dashboard/ctas/00000000-0000-4000-8000-000000000000', body: { archived: true } },
  { method: 'POST', path: `/api/dashboard/sites/${siteId}/goals`, body: { kind: 'event', value: 'x' } },
  { method: 'DELETE', path: '/api/dashboard/goals/00000000-0000-4000-8000-000000000000' },
  { method: 'POST', path: `/api/dashboard/sites/${siteId}/keys`, body: {} },
  { method: 'DELETE', path: '/api/dashboard/keys/00000000-0000-4000-8000-000000000000' },
];

describe('CSRF', () => {
  it('refuses every state-changing route without the X-Beaconry-CSRF header', async () => {
    for (const r of stateChanging()) {
      const res = await apiJson<{ error: { code: string } }>(server, r.method, r.path, { token: owner.accessToken, cookie: owner.cookie, body: r.body, noCsrf: true });
      expect({ route: `${r.method} ${r.path}`, status: res.status, code: res.body.error.code }).toEqual({ route: `${r.method} ${r.path}`, status: 403, code: 'BEACONRY_ERR_CSRF' });
    }
  });

  it('refuses cross-site and same-site browser requests even with the header', async () => {
    const hostile: Record<string, string>[] = [
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
      { origin: 'https://evil.example' },
      { origin: 'null' },
      { origin: `http://127.0.0.1:${server.port + 1}` },
    ];
    for (const headers of hostile) {
      for (const r of stateChanging()) {
        const res = await api(server, r.method, r.path, { token: owner.accessToken, cookie: owner.cookie, body: r.body, headers });
        expect({ route: `${r.method} ${r.path}`, headers, status: res.status }).toEqual({ route: `${r.method} ${r.path}`, headers, status: 403 });
      }
    }
  });

  it('accepts same-origin requests', async () => {
    const res = await api(server, 'POST', `/api/dashboard/sites/${siteId}/goals`, {
      token: owner.accessToken,
      body: { kind: 'event', value: 'Same origin' },
      headers: { origin: server.url, 'sec-fetch-site': 'same-origin' },
    });
    expect(res.status).toBe(201);
  });

  it('refuses bodies an HTML form could send', async () => {
    const res = await api(server, 'POST', `/api/dashboard/sites/${siteId}/goals`, {
      token: owner.accessToken,
      body: 'kind=event&value=Form',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.status).toBe(415);
  });
});

const HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

function expectSecurityHeaders(res: Response, what: string): void {
  const csp = res.headers.get('content-security-policy') ?? '';
  expect({ what, csp: csp.length > 0 }).toEqual({ what, csp: true });
  const scriptSrc = /script-src ([^;]+)/.exec(csp)?.[1] ?? /default-src ([^;]+)/.exec(csp)?.[1] ?? '';
  expect(scriptSrc, what).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
  expect(csp, what).toMatch(/frame-ancestors 'none'/);
  for (const [k, v] of Object.entries(HEADERS)) expect({ what, [k]: res.headers.get(k) }).toEqual({ what, [k]: v });
}

describe('security headers', () => {
  it('are on pages, assets, API answers and API errors alike', async () => {
    const index = await fetch(`${server.url}/`);
    expect(index.status).toBe(200);
    const html = await index.text();
    // The page itself carries no inline script for the CSP to have to allow.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)![1]!;
    const cases: [string, Promise<Response>][] = [
      ['index', Promise.resolve(index)],
      ['spa route', fetch(`${server.url}/sites/csrf.example?period=7d`)],
      ['asset', fetch(`${server.url}${asset}`)],
      ['missing asset', fetch(`${server.url}/assets/nope.js`)],
      ['api ok', api(server, 'GET', '/api/dashboard/sites', { token: owner.accessToken })],
      ['api 401', api(server, 'GET', '/api/dashboard/sites')],
      ['api 404', api(server, 'GET', '/api/dashboard/sites/00000000-0000-4000-8000-000000000000', { token: owner.accessToken })],
      ['api 403 csrf', api(server, 'POST', '/api/dashboard/sites', { token: owner.accessToken, body: {}, noCsrf: true })],
      ['unknown api path', fetch(`${server.url}/api/dashboard/nothing-here`)],
    ];
    for (const [what, p] of cases) expectSecurityHeaders(await p, what);
  });

  it('sets no cookie on pages and assets (the sign-in cookie is the only one)', async () => {
    const index = await fetch(`${server.url}/`);
    expect(index.headers.get('set-cookie')).toBeNull();
    const spa = await fetch(`${server.url}/sites/x`);
    expect(spa.headers.get('set-cookie')).toBeNull();
  });

  it('caches hashed assets for a year and the page not at all', async () => {
    const index = await fetch(`${server.url}/`);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(await index.text())![1]!;
    const a = await fetch(`${server.url}${asset}`, { headers: { 'accept-encoding': 'br' } });
    expect(a.headers.get('cache-control')).toMatch(/immutable/);
    expect(a.headers.get('content-encoding')).toBe('br');
    expect((await api(server, 'GET', '/api/dashboard/sites', { token: owner.accessToken })).headers.get('cache-control')).toBe('no-store');
  });
});

describe('production cookie', () => {
  it('is __Host- prefixed, Secure, HttpOnly and SameSite=Strict, with HSTS on', async () => {
    const secure = await startServer();
    try {
      const s = await setupOwner(secure);
      expect(s.cookie).toMatch(/^__Host-beaconry_refresh=/);
      const r = await api(secure, 'POST', '/api/dashboard/auth/refresh', { cookie: s.cookie });
      const set = r.headers.get('set-cookie')!;
      expect(set).toMatch(/^__Host-beaconry_refresh=[^;]+; Path=\/; Max-Age=\d+; HttpOnly; Secure; SameSite=Strict$/);
      expect(r.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
    } finally {
      await secure.stop();
    }
  });
});
