// Managing sites, CTAs, goals and secret keys through the dashboard API, and what that does to the
// running ingest: a new site's public key works at once, a revoked key stops at once, a deleted site
// is gone with its data.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, startServer, tempDataDir, type TestServer } from '../helpers/server.js';
import { api, apiJson, login, setupOwner, type Session } from './helpers.js';

let server: TestServer;
let owner: Session;

beforeAll(async () => {
  server = await startServer({ env: { BEACONRY_INSECURE_COOKIES: '1' } });
  owner = await setupOwner(server);
});
afterAll(async () => {
  await server?.stop();
});

interface SiteView {
  id: string;
  domain: string;
  timezone: string;
  retentionDays: number;
  publicKey: string;
  snippet: string;
  optOut: string;
}

const post = <T = Record<string, unknown>>(path: string, body: unknown) => apiJson<T>(server, 'POST', path, { token: owner.accessToken, body });

function batch(key: { public?: string; secret?: string }, domain: string, id: string): Promise<Response> {
  const url = `${server.url}/api/v1/batch${key.public ? `?k=${encodeURIComponent(key.public)}` : ''}`;
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'text/plain',
      'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36',
      ...(key.secret ? { authorization: `Bearer ${key.secret}` } : {}),
    },
    body: JSON.stringify({ s: `s-${id}`, u: `https://${domain}/pricing`, e: [{ t: 'pageview', i: id }] }),
  });
}

describe('sites', () => {
  let site: SiteView;

  it('adds a site with the snippet to copy and the opt-out line, and its key ingests at once', async () => {
    const r = await post<SiteView>('/api/dashboard/sites', { domain: 'https://Shop.Example/', timezone: 'Europe/Berlin', retentionDays: 90 });
    expect(r.status).toBe(201);
    site = r.body;
    expect(site).toMatchObject({ domain: 'shop.example', timezone: 'Europe/Berlin', retentionDays: 90 });
    expect(site.snippet).toBe(`<script defer src="${server.url}/b.js" data-site="${site.publicKey}"></script>`);
    expect(site.optOut).toBe("localStorage.beaconry_optout = '1'");
    expect((await batch({ public: site.publicKey }, 'shop.example', 'ev-mgmt-1')).status).toBe(202);
  });

  it('refuses bad input clearly', async () => {
    expect((await post('/api/dashboard/sites', { domain: 'not a domain/with path' })).status).toBe(400);
    expect((await post('/api/dashboard/sites', { domain: 'ok.example', retentionDays: 14 })).status).toBe(400);
    expect((await post('/api/dashboard/sites', { domain: 'ok.example', retentionDays: 366 })).status).toBe(400);
    expect((await post('/api/dashboard/sites', { domain: 'ok.example', timezone: 'Mars/Olympus' })).status).toBe(400);
    expect((await post('/api/dashboard/sites', { domain: 'shop.example' })).status).toBe(409);
  });

  it('edits time zone and retention', async () => {
    const r = await apiJson<SiteView>(server, 'PATCH', `/api/dashboard/sites/${site.id}`, { token: owner.accessToken, body: { timezone: 'America/New_York', retentionDays: 15 } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ timezone: 'America/New_York', retentionDays: 15 });
  });

  it('deletes only with the domain typed as confirmation, and the site and its key are gone', async () => {
    const cta = await post<{ id: string }>(`/api/dashboard/sites/${site.id}/ctas`, { name: 'Gone soon' });
    expect((await apiJson(server, 'DELETE', `/api/dashboard/sites/${site.id}`, { token: owner.accessToken, body: { confirm: 'shop' } })).status).toBe(400);
    expect((await apiJson(server, 'DELETE', `/api/dashboard/sites/${site.id}`, { token: owner.accessToken })).status).toBe(400);
    const del = await apiJson(server, 'DELETE', `/api/dashboard/sites/${site.id}`, { token: owner.accessToken, body: { confirm: 'shop.example' } });
    expect(del.status).toBe(200);
    expect((await apiJson(server, 'GET', `/api/dashboard/sites/${site.id}`, { token: owner.accessToken })).status).toBe(404);
    expect((await batch({ public: site.publicKey }, 'shop.example', 'ev-mgmt-2')).status).toBe(401);
    const leftovers = await server.query<{ n: number }>(
      `SELECT (SELECT count(*) FROM meta.main.ctas WHERE site_id = '${site.id}') + (SELECT count(*) FROM meta.main.site_owners WHERE site_id = '${site.id}')
        + (SELECT count(*) FROM meta.main.sites WHERE id = '${site.id}') + (SELECT count(*) FROM events WHERE site_id = '${site.id}') AS n`,
    );
    expect(Number(leftovers[0]!.n)).toBe(0);
    expect(cta.status).toBe(201);
  });
});

describe('CTAs, goals and keys', () => {
  let siteId: string;

  beforeAll(async () => {
    siteId = (await post<{ id: string }>('/api/dashboard/sites', { domain: 'ctas.example' })).body.id;
  });

  it('creates CTAs with their UUID and data-cta markup, archives and restores them', async () => {
    const r = await post<{ id: string; snippet: string; targetUrl: string }>(`/api/dashboard/sites/${siteId}/ctas`, { name: 'Start <free> trial', targetUrl: 'https://ctas.example/signup' });
    expect(r.status).toBe(201);
    expect(r.body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.body.snippet).toBe(`<a href="https://ctas.example/signup" data-cta="${r.body.id}">Start &lt;free&gt; trial</a>`);
    expect((await post(`/api/dashboard/sites/${siteId}/ctas`, { name: '' })).status).toBe(400);
    expect((await post(`/api/dashboard/sites/${siteId}/ctas`, { name: 'x', targetUrl: 'javascript:alert(1)' })).status).toBe(400);
    const archived = await apiJson<{ archivedAt: number | null }>(server, 'PATCH', `/api/dashboard/ctas/${r.body.id}`, { token: owner.accessToken, body: { archived: true } });
    expect(archived.body.archivedAt).toEqual(expect.any(Number));
    const restored = await apiJson<{ archivedAt: number | null }>(server, 'PATCH', `/api/dashboard/ctas/${r.body.id}`, { token: owner.accessToken, body: { archived: false } });
    expect(restored.body.archivedAt).toBeNull();
    const list = await apiJson<{ ctas: { id: string }[] }>(server, 'GET', `/api/dashboard/sites/${siteId}/ctas`, { token: owner.accessToken });
    expect(list.body.ctas.map((c) => c.id)).toEqual([r.body.id]);
  });

  it('creates event and page goals, refuses bad or duplicate ones, deletes them', async () => {
    const e = await post<{ id: string }>(`/api/dashboard/sites/${siteId}/goals`, { kind: 'event', value: 'Signup' });
    const p = await post<{ id: string }>(`/api/dashboard/sites/${siteId}/goals`, { kind: 'page', value: '/thank-you*' });
    expect([e.status, p.status]).toEqual([201, 201]);
    expect((await post(`/api/dashboard/sites/${siteId}/goals`, { kind: 'event', value: 'Signup' })).status).toBe(409);
    expect((await post(`/api/dashboard/sites/${siteId}/goals`, { kind: 'page', value: 'no-slash' })).status).toBe(400);
    expect((await post(`/api/dashboard/sites/${siteId}/goals`, { kind: 'visit', value: '/x' })).status).toBe(400);
    expect((await apiJson(server, 'DELETE', `/api/dashboard/goals/${e.body.id}`, { token: owner.accessToken })).status).toBe(200);
    const list = await apiJson<{ goals: { kind: string; value: string }[] }>(server, 'GET', `/api/dashboard/sites/${siteId}/goals`, { token: owner.accessToken });
    expect(list.body.goals).toMatchObject([{ kind: 'page', value: '/thank-you*' }]);
  });

  it('shows a secret key once, lists it by prefix only, and a revoked key stops working at once', async () => {
    const created = await post<{ id: string; secretKey: string; prefix: string; scopes: string[] }>(`/api/dashboard/sites/${siteId}/keys`, { name: 'backend', scopes: ['ingest'] });
    expect(created.status).toBe(201);
    expect(created.body.secretKey).toMatch(/^bk_live_/);
    expect(created.body.secretKey.slice(8, 16)).toBe(created.body.prefix);
    const list = await apiJson<{ keys: Record<string, unknown>[] }>(server, 'GET', `/api/dashboard/sites/${siteId}/keys`, { token: owner.accessToken });
    const text = JSON.stringify(list.body);
    expect(text).not.toContain(created.body.secretKey);
    expect(list.body.keys[0]).not.toHaveProperty('hash');
    expect(list.body.keys[0]).toMatchObject({ prefix: created.body.prefix, scopes: ['ingest'], revokedAt: null });

    expect((await batch({ secret: created.body.secretKey }, 'ctas.example', 'ev-key-1')).status).toBe(202);
    const revoked = await apiJson<{ revokedAt: string | null }>(server, 'DELETE', `/api/dashboard/keys/${created.body.id}`, { token: owner.accessToken });
    expect(revoked.body.revokedAt).not.toBeNull();
    expect((await batch({ secret: created.body.secretKey }, 'ctas.example', 'ev-key-2')).status).toBe(401);
    expect((await post(`/api/dashboard/sites/${siteId}/keys`, { scopes: ['admin'] })).status).toBe(400);
  });

  it('lists the custom-property keys events carried', async () => {
    const site = await apiJson<{ publicKey: string }>(server, 'GET', `/api/dashboard/sites/${siteId}`, { token: owner.accessToken });
    const res = await fetch(`${server.url}/api/v1/batch?k=${site.body.publicKey}`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36' },
      body: JSON.stringify({ s: 's-props', u: 'https://ctas.example/', e: [{ t: 'custom', i: 'ev-props-1', n: 'Signup', p: { plan: 'pro', seats: '3' } }] }),
    });
    expect(res.status).toBe(202);
    const day = new Date().toISOString().slice(0, 10);
    const from = new Date(Date.now() - 2 * 86_400_000).toISOString().slice(0, 10);
    const to = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
    let keys: string[] = [];
    for (let i = 0; i < 100 && keys.length < 2; i++) {
      keys = (await apiJson<{ keys: string[] }>(server, 'GET', `/api/dashboard/sites/${siteId}/property-keys?from=${from}&to=${to}`, { token: owner.accessToken })).body.keys;
      if (keys.length < 2) await new Promise((r) => setTimeout(r, 100));
    }
    expect(keys.sort()).toEqual(['plan', 'seats']);
    expect(day).toMatch(/^\d{4}/);
  });
});

describe('sites made with the CLI', () => {
  it('go to the installation\'s first account, and to no other', async () => {
    await server.cli(['site', 'add', 'cli-made.example']);
    const { setupPath: invite } = await server.cli<{ setupPath: string }>(['user', 'add', 'second@example.com']);
    const token = new URLSearchParams(invite.split('#')[1]).get('token')!;
    const second = await apiJson<{ accessToken: string }>(server, 'POST', '/api/dashboard/auth/setup', { body: { token, password: 'second account pw' } });
    const theirs = await apiJson<{ sites: { domain: string }[] }>(server, 'GET', '/api/dashboard/sites', { token: second.body.accessToken });
    expect(theirs.body.sites.map((x) => x.domain)).not.toContain('cli-made.example');
    const mine = await apiJson<{ sites: { domain: string }[] }>(server, 'GET', '/api/dashboard/sites', { token: owner.accessToken });
    expect(mine.body.sites.map((x) => x.domain)).toContain('cli-made.example');
  });
});

describe('beaconry user add', () => {
  it('creates an account from a password on stdin without a running server', async () => {
    const dataDir = tempDataDir();
    const env: Record<string, string | undefined> = { ...process.env, BEACONRY_DATA_DIR: dataDir };
    for (const k of Object.keys(env)) if (k.startsWith('BEACONRY_') && k !== 'BEACONRY_DATA_DIR') delete env[k];
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, 'user', 'add', 'cli@example.com', '--password-stdin', '--json'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('exit', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`exit ${code}: ${stderr}`))));
      child.stdin.end('a password from stdin\n');
    });
    expect(JSON.parse(out)).toMatchObject({ created: true, email: 'cli@example.com' });
    const s = await startServer({ dataDir, env: { BEACONRY_INSECURE_COOKIES: '1' } });
    try {
      await expect(login(s, 'cli@example.com', 'a password from stdin')).resolves.toBeDefined();
      expect((await apiJson(s, 'GET', '/api/dashboard/auth/state')).body).toEqual({ setupRequired: false });
    } finally {
      await s.stop();
    }
  });

  it('without a password, prints a one-time invitation link for that email', async () => {
    const r = await server.cli<{ created: boolean; email: string; setupPath: string }>(['user', 'add', 'Invitee@Example.com']);
    expect(r).toMatchObject({ created: false, email: 'invitee@example.com' });
    const token = new URLSearchParams(r.setupPath.split('#')[1]).get('token')!;
    const check = await apiJson(server, 'POST', '/api/dashboard/auth/setup/check', { body: { token } });
    expect(check.body).toEqual({ kind: 'invite', email: 'invitee@example.com' });
    // The invitation decides the email, whatever the form sends.
    const done = await apiJson<{ user: { email: string } }>(server, 'POST', '/api/dashboard/auth/setup', { body: { token, email: 'attacker@example.com', password: 'invitee password' } });
    expect(done.body.user.email).toBe('invitee@example.com');
    await expect(server.cli(['user', 'add', 'invitee@example.com'])).rejects.toThrow(/already exists/);
    expect((await api(server, 'GET', '/api/dashboard/auth/state')).status).toBe(200);
  });
});
