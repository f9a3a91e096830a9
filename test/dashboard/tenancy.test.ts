// Tenant isolation: a second account tries every dashboard and stats route with the first account's
// site, CTA, goal and key ids, and gets exactly the answer an id that never existed gets (404); the
// first account's things are unchanged afterwards.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server.js';
import { addAccount, apiJson, setupOwner, type Session } from './helpers.js';

let server: TestServer;
let a: Session;
let b: Session;
const ids = { site: '', domain: 'tenant-a.example', cta: '', goal: '', key: '' };

beforeAll(async () => {
  server = await startServer({ env: { BEACONRY_INSECURE_COOKIES: '1' } });
  a = await setupOwner(server);
  b = await addAccount(server, 'b@example.com', 'b account password');
  const site = await apiJson<{ id: string }>(server, 'POST', '/api/dashboard/sites', { token: a.accessToken, body: { domain: ids.domain, retentionDays: 30 } });
  ids.site = site.body.id;
  ids.cta = (await apiJson<{ id: string }>(server, 'POST', `/api/dashboard/sites/${ids.site}/ctas`, { token: a.accessToken, body: { name: 'Buy now' } })).body.id;
  ids.goal = (await apiJson<{ id: string }>(server, 'POST', `/api/dashboard/sites/${ids.site}/goals`, { token: a.accessToken, body: { kind: 'event', value: 'Signup' } })).body.id;
  ids.key = (await apiJson<{ id: string }>(server, 'POST', `/api/dashboard/sites/${ids.site}/keys`, { token: a.accessToken, body: { name: 'server' } })).body.id;
  await apiJson(server, 'POST', '/api/dashboard/sites', { token: b.accessToken, body: { domain: 'tenant-b.example' } });
});
afterAll(async () => {
  await server?.stop();
});

type Ids = { site: string; cta: string; goal: string; key: string };

/** Every route that takes an id, as a function of the ids to try. */
function routes(x: Ids): { method: string; path: string; body?: unknown }[] {
  const stats = (p: string, extra = ''): { method: string; path: string } => ({ method: 'GET', path: `/api/v1/stats/${p}?site_id=${encodeURIComponent(x.site)}&period=30d${extra}` });
  return [
    { method: 'GET', path: `/api/dashboard/sites/${x.site}` },
    { method: 'PATCH', path: `/api/dashboard/sites/${x.site}`, body: { retentionDays: 20 } },
    { method: 'DELETE', path: `/api/dashboard/sites/${x.site}`, body: { confirm: 'tenant-a.example' } },
    { method: 'GET', path: `/api/dashboard/sites/${x.site}/ctas` },
    { method: 'POST', path: `/api/dashboard/sites/${x.site}/ctas`, body: { name: 'Injected' } },
    { method: 'GET', path: `/api/dashboard/sites/${x.site}/goals` },
    { method: 'POST', path: `/api/dashboard/sites/${x.site}/goals`, body: { kind: 'event', value: 'Injected' } },
    { method: 'GET', path: `/api/dashboard/sites/${x.site}/keys` },
    { method: 'POST', path: `/api/dashboard/sites/${x.site}/keys`, body: {} },
    { method: 'GET', path: `/api/dashboard/sites/${x.site}/property-keys?from=2020-01-01&to=2030-01-01` },
    { method: 'PATCH', path: `/api/dashboard/ctas/${x.cta}`, body: { archived: true } },
    { method: 'DELETE', path: `/api/dashboard/goals/${x.goal}` },
    { method: 'DELETE', path: `/api/dashboard/keys/${x.key}` },
    stats('aggregate', '&metrics=visitors'),
    stats('timeseries'),
    stats('breakdown', '&property=visit:source'),
    stats('realtime/visitors'),
    stats('realtime/pages'),
    stats('ctas'),
    stats('engagement'),
    { method: 'GET', path: `/api/v1/export?site_id=${encodeURIComponent(x.site)}&period=30d` },
  ];
}

describe('tenant isolation', () => {
  it("answers another account's ids exactly like ids that do not exist", async () => {
    const missing: Ids = { site: randomUUID(), cta: randomUUID(), goal: randomUUID(), key: randomUUID() };
    const missingDomain: Ids = { ...missing, site: 'never-existed.example' };
    const foreignById: Ids = { site: ids.site, cta: ids.cta, goal: ids.goal, key: ids.key };
    const foreignByDomain: Ids = { ...foreignById, site: ids.domain };
    const checks: [Ids, Ids][] = [
      [foreignById, missing],
      [foreignByDomain, missingDomain],
    ];
    let tried = 0;
    for (const [foreign, absent] of checks) {
      const fr = routes(foreign);
      const ab = routes(absent);
      for (let i = 0; i < fr.length; i++) {
        const f = await apiJson(server, fr[i]!.method, fr[i]!.path, { token: b.accessToken, body: fr[i]!.body });
        const n = await apiJson(server, ab[i]!.method, ab[i]!.path, { token: b.accessToken, body: ab[i]!.body });
        const route = `${fr[i]!.method} ${fr[i]!.path}`;
        expect({ route, status: f.status }).toEqual({ route, status: 404 });
        expect({ route, body: f.body }).toEqual({ route, body: n.body });
        tried++;
      }
    }
    expect(tried).toBeGreaterThanOrEqual(40);
  });

  it("leaves the first account's site, CTA, goal and key as they were", async () => {
    const site = await apiJson<{ retentionDays: number }>(server, 'GET', `/api/dashboard/sites/${ids.site}`, { token: a.accessToken });
    expect(site.status).toBe(200);
    expect(site.body.retentionDays).toBe(30);
    const ctas = await apiJson<{ ctas: { id: string; name: string; archivedAt: number | null }[] }>(server, 'GET', `/api/dashboard/sites/${ids.site}/ctas`, { token: a.accessToken });
    expect(ctas.body.ctas).toMatchObject([{ id: ids.cta, name: 'Buy now', archivedAt: null }]);
    const goals = await apiJson<{ goals: { id: string }[] }>(server, 'GET', `/api/dashboard/sites/${ids.site}/goals`, { token: a.accessToken });
    expect(goals.body.goals.map((g) => g.id)).toEqual([ids.goal]);
    const keys = await apiJson<{ keys: { id: string; revokedAt: string | null }[] }>(server, 'GET', `/api/dashboard/sites/${ids.site}/keys`, { token: a.accessToken });
    expect(keys.body.keys).toMatchObject([{ id: ids.key, revokedAt: null }]);
  });

  it('lists only the sites of the own account, and the owner reads its stats', async () => {
    const listB = await apiJson<{ sites: { domain: string }[] }>(server, 'GET', '/api/dashboard/sites', { token: b.accessToken });
    expect(listB.body.sites.map((s) => s.domain)).toEqual(['tenant-b.example']);
    const listA = await apiJson<{ sites: { domain: string }[] }>(server, 'GET', '/api/dashboard/sites', { token: a.accessToken });
    expect(listA.body.sites.map((s) => s.domain)).toEqual(['tenant-a.example']);
    const own = await apiJson(server, 'GET', `/api/v1/stats/aggregate?site_id=${ids.domain}&period=30d&metrics=visitors`, { token: a.accessToken });
    expect(own.status).toBe(200);
  });

  it('refuses the stats API without a session, and with a session of no account', async () => {
    expect((await apiJson(server, 'GET', `/api/v1/stats/aggregate?site_id=${ids.domain}&period=30d`)).status).toBe(401);
    const forged = `${a.accessToken.slice(0, -4)}AAAA`;
    expect((await apiJson(server, 'GET', `/api/v1/stats/aggregate?site_id=${ids.domain}&period=30d`, { token: forged })).status).toBe(401);
  });
});
