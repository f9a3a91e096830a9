// Sets up the demo through the dashboard's own API, as a person would through the pages: the owner
// account from the setup link (or a login when it exists), a site, its CTAs, goals and a secret key.
import type { DemoSite } from './traffic.js';

export const DEMO_LOGIN = { email: 'demo@beaconry.test', password: 'beaconry-demo-password' };
export const DEMO_DOMAIN = 'acme.example';

interface Grant {
  accessToken: string;
}

async function call<T>(baseUrl: string, method: string, path: string, body?: unknown, token?: string): Promise<T> {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: {
      'x-beaconry-csrf': '1',
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** The access token of the demo owner: creates the account through `setupToken` when given. */
export async function demoSession(baseUrl: string, setupToken: string | undefined): Promise<string> {
  if (setupToken) {
    return (await call<Grant>(baseUrl, 'POST', '/api/dashboard/auth/setup', { token: setupToken, ...DEMO_LOGIN })).accessToken;
  }
  return (await call<Grant>(baseUrl, 'POST', '/api/dashboard/auth/login', DEMO_LOGIN)).accessToken;
}

/** The demo site with its CTAs, goals and a fresh secret key (reusing the site when it exists). */
export async function demoSite(baseUrl: string, token: string, domain = DEMO_DOMAIN, timezone = 'UTC'): Promise<DemoSite> {
  const { sites } = await call<{ sites: { id: string; domain: string; publicKey: string; timezone: string }[] }>(baseUrl, 'GET', '/api/dashboard/sites', undefined, token);
  const site =
    sites.find((s) => s.domain === domain) ??
    (await call<{ id: string; domain: string; publicKey: string; timezone: string }>(baseUrl, 'POST', '/api/dashboard/sites', { domain, timezone, retentionDays: 180 }, token));
  const existing = (await call<{ ctas: { id: string; name: string }[] }>(baseUrl, 'GET', `/api/dashboard/sites/${site.id}/ctas`, undefined, token)).ctas;
  const cta = async (name: string, targetUrl: string): Promise<string> =>
    existing.find((c) => c.name === name)?.id ?? (await call<{ id: string }>(baseUrl, 'POST', `/api/dashboard/sites/${site.id}/ctas`, { name, targetUrl }, token)).id;
  const trial = await cta('Start free trial', `https://${domain}/signup`);
  const demo = await cta('Book a demo', `https://${domain}/contact`);
  const news = await cta('Subscribe to the newsletter', `https://${domain}/blog/`);
  const goals = (await call<{ goals: { kind: string; value: string }[] }>(baseUrl, 'GET', `/api/dashboard/sites/${site.id}/goals`, undefined, token)).goals;
  for (const g of [{ kind: 'event', value: 'Signup' }, { kind: 'page', value: '/thank-you' }, { kind: 'event', value: 'Newsletter signup' }]) {
    if (!goals.some((x) => x.kind === g.kind && x.value === g.value)) await call(baseUrl, 'POST', `/api/dashboard/sites/${site.id}/goals`, g, token);
  }
  const key = await call<{ secretKey: string }>(baseUrl, 'POST', `/api/dashboard/sites/${site.id}/keys`, { name: 'demo backfill', scopes: ['ingest'] }, token);
  return {
    domain: site.domain,
    timezone: site.timezone,
    publicKey: site.publicKey,
    secretKey: key.secretKey,
    ctas: [
      { id: trial, name: 'Start free trial', pages: ['/', '/pricing', '/features'], to: '/signup' },
      { id: demo, name: 'Book a demo', pages: ['/pricing'], to: '/contact' },
      { id: news, name: 'Subscribe to the newsletter', pages: ['/blog/privacy-first-analytics', '/blog/cookieless-tracking'], to: '/blog/privacy-first-analytics' },
    ],
  };
}
