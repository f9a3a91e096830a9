// Accounts and sessions against a real server: the first-run link, login answers, RS256 tokens and
// the attacks on them, refresh rotation with reuse detection, logout, password change, throttling,
// and the signing key on disk.
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server.js';
import { OWNER, api, apiJson, cookieOf, decodeJwtPart, login, setup, setupOwner, setupPath, tokenOf, type Session } from './helpers.js';

let server: TestServer;
let owner: Session;

beforeAll(async () => {
  // The server trusts 127.0.0.1 as a proxy so tests can play several client addresses via X-Forwarded-For.
  server = await startServer({ env: { BEACONRY_INSECURE_COOKIES: '1', BEACONRY_TRUSTED_PROXIES: '127.0.0.1' } });
});
afterAll(async () => {
  await server?.stop();
});

describe('first run', () => {
  it('prints a one-time setup link and needs it to create the owner', async () => {
    const p = await setupPath(server);
    expect(p).toMatch(/^\/setup#token=[A-Za-z0-9_-]{20,}$/);
    expect((await apiJson(server, 'GET', '/api/dashboard/auth/state')).body).toEqual({ setupRequired: true });

    const wrong = await apiJson(server, 'POST', '/api/dashboard/auth/setup', { body: { token: 'x'.repeat(32), email: OWNER.email, password: OWNER.password } });
    expect(wrong.status).toBe(404);

    owner = await setup(server, tokenOf(p), OWNER.email, OWNER.password);
    expect(owner.user.email).toBe(OWNER.email);
    expect((await apiJson(server, 'GET', '/api/dashboard/auth/state')).body).toEqual({ setupRequired: false });

    // The link worked once.
    const again = await apiJson(server, 'POST', '/api/dashboard/auth/setup', { body: { token: tokenOf(p), email: 'other@example.com', password: OWNER.password } });
    expect(again.status).toBe(404);
  });

  it('stores the password as argon2id with OWASP parameters, never in plain text', async () => {
    const rows = await server.query<{ password_hash: string }>(`SELECT password_hash FROM meta.main.users WHERE email = '${OWNER.email}'`);
    expect(rows[0]!.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(rows[0]!.password_hash).not.toContain(OWNER.password);
  });
});

describe('login', () => {
  it('answers an unknown email and a wrong password identically', async () => {
    const unknown = await apiJson(server, 'POST', '/api/dashboard/auth/login', { body: { email: 'nobody@example.com', password: 'whatever-password' }, headers: { 'x-forwarded-for': '10.1.0.1' } });
    const wrong = await apiJson(server, 'POST', '/api/dashboard/auth/login', { body: { email: OWNER.email, password: 'whatever-password' }, headers: { 'x-forwarded-for': '10.1.0.1' } });
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(unknown.body).toEqual(wrong.body);
    expect(unknown.res.headers.get('set-cookie')).toBeNull();
  });

  it('issues an RS256 access token (10 min, kid, iss, aud) and an HttpOnly SameSite=Strict refresh cookie', async () => {
    const r = await api(server, 'POST', '/api/dashboard/auth/login', { body: OWNER, headers: { 'x-forwarded-for': '10.1.0.2' } });
    expect(r.status).toBe(200);
    const body = (await r.json()) as { accessToken: string };
    const header = decodeJwtPart(body.accessToken, 0);
    const claims = decodeJwtPart(body.accessToken, 1);
    expect(header).toMatchObject({ alg: 'RS256', typ: 'JWT' });
    expect(typeof header.kid).toBe('string');
    expect(claims).toMatchObject({ iss: 'beaconry', aud: 'beaconry-dashboard' });
    expect(Number(claims.exp) - Number(claims.iat)).toBe(600);
    const cookie = r.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^beaconry_refresh=[A-Za-z0-9_-]{40,};/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Path=\//);
    // Plain-http mode (BEACONRY_INSECURE_COOKIES): no Secure, so the browser keeps it.
    expect(cookie).not.toMatch(/Secure/);
  });

  it('refuses passwords outside 8..128 characters and accepts 128 without truncation', async () => {
    const { setupPath: invite } = await server.cli<{ setupPath: string }>(['user', 'add', 'lengths@example.com']);
    const token = tokenOf(invite);
    const short = await apiJson(server, 'POST', '/api/dashboard/auth/setup', { body: { token, password: 'seven77' } });
    expect(short.status).toBe(400);
    const long = await apiJson(server, 'POST', '/api/dashboard/auth/setup', { body: { token, password: 'p'.repeat(129) } });
    expect(long.status).toBe(400);
    const max = `${'é'.repeat(127)}Z`; // 128 characters, 256 bytes: bcrypt would have cut it at 72
    await setup(server, token, 'ignored@example.com', max);
    await expect(login(server, 'lengths@example.com', max, { 'x-forwarded-for': '10.1.0.3' })).resolves.toBeDefined();
    const cut = await apiJson(server, 'POST', '/api/dashboard/auth/login', { body: { email: 'lengths@example.com', password: `${'é'.repeat(127)}Y` }, headers: { 'x-forwarded-for': '10.1.0.3' } });
    expect(cut.status).toBe(401);
  });
});

describe('access tokens', () => {
  let keyPem: string;
  let kid: string;
  let s: Session;

  beforeAll(async () => {
    s = await login(server, OWNER.email, OWNER.password, { 'x-forwarded-for': '10.2.0.1' });
    keyPem = fs.readFileSync(path.join(server.dataDir, 'dashboard', 'jwt-rs256.pem'), 'utf8');
    kid = String(decodeJwtPart(s.accessToken, 0).kid);
  });

  const me = (token: string) => api(server, 'GET', '/api/dashboard/me', { token });

  it('accepts its own token', async () => {
    expect((await me(s.accessToken)).status).toBe(200);
  });

  it('refuses alg=none, HS256 keyed with the public key, a foreign key, wrong aud/iss, expiry and tampering', async () => {
    const claims = decodeJwtPart(s.accessToken, 1);
    const now = Math.floor(Date.now() / 1000);
    const ours = createPrivateKey(keyPem);
    const publicPem = (await import('node:crypto')).createPublicKey(ours).export({ type: 'spki', format: 'pem' }) as string;
    const base = (): SignJWT => new SignJWT({ acc: claims.acc, sid: claims.sid }).setSubject(String(claims.sub)).setIssuedAt(now).setExpirationTime(now + 600);

    const none = new UnsecuredJWT({ acc: claims.acc, sid: claims.sid }).setSubject(String(claims.sub)).setIssuer('beaconry').setAudience('beaconry-dashboard').setExpirationTime(now + 600).encode();
    const hs = await base().setIssuer('beaconry').setAudience('beaconry-dashboard').setProtectedHeader({ alg: 'HS256', kid, typ: 'JWT' }).sign(new TextEncoder().encode(publicPem));
    const foreign = await base().setIssuer('beaconry').setAudience('beaconry-dashboard').setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' }).sign(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);
    const wrongAud = await base().setIssuer('beaconry').setAudience('someone-else').setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' }).sign(ours);
    const wrongIss = await base().setIssuer('evil').setAudience('beaconry-dashboard').setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' }).sign(ours);
    const wrongKid = await base().setIssuer('beaconry').setAudience('beaconry-dashboard').setProtectedHeader({ alg: 'RS256', kid: 'other', typ: 'JWT' }).sign(ours);
    const expired = await new SignJWT({ acc: claims.acc, sid: claims.sid }).setSubject(String(claims.sub)).setIssuedAt(now - 1200).setExpirationTime(now - 600)
      .setIssuer('beaconry').setAudience('beaconry-dashboard').setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' }).sign(ours);
    const [h, p, sig] = s.accessToken.split('.') as [string, string, string];
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...claims, acc: 'another-account' })).toString('base64url')}.${sig}`;
    // The control: the same construction with every claim right is accepted.
    const good = await base().setIssuer('beaconry').setAudience('beaconry-dashboard').setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' }).sign(ours);
    expect((await me(good)).status).toBe(200);
    for (const [name, t] of Object.entries({ none, hs, foreign, wrongAud, wrongIss, wrongKid, expired, tampered })) {
      expect({ name, status: (await me(t)).status }).toEqual({ name, status: 401 });
    }
    expect(p.length).toBeGreaterThan(0);
  });

  it('keeps the signing key at 0600 in a 0700 directory', () => {
    const file = path.join(server.dataDir, 'dashboard', 'jwt-rs256.pem');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
  });
});

describe('refresh tokens', () => {
  it('rotate on every use, and a reused one revokes the whole session', async () => {
    const s = await login(server, OWNER.email, OWNER.password, { 'x-forwarded-for': '10.3.0.1' });
    const r1 = await api(server, 'POST', '/api/dashboard/auth/refresh', { cookie: s.cookie });
    expect(r1.status).toBe(200);
    const c1 = cookieOf(r1)!;
    const a1 = ((await r1.json()) as { accessToken: string }).accessToken;
    expect(c1).not.toBe(s.cookie);
    const r2 = await api(server, 'POST', '/api/dashboard/auth/refresh', { cookie: c1 });
    expect(r2.status).toBe(200);
    const c2 = cookieOf(r2)!;

    // The thief replays the first cookie: refused, and the session is over for everyone.
    const replay = await api(server, 'POST', '/api/dashboard/auth/refresh', { cookie: s.cookie });
    expect(replay.status).toBe(401);
    expect(replay.headers.get('set-cookie')).toMatch(/Max-Age=0/);
    expect((await api(server, 'POST', '/api/dashboard/auth/refresh', { cookie: c2 })).status).toBe(401);
    // Its access tokens stop working at once, not in 10 minutes.
    expect((await api(server, 'GET', '/api/dashboard/me', { token: a1 })).status).toBe(401);

    // Other sessions of the same user are untouched.
    const other = await login(server, OWNER.email, OWNER.password, { 'x-forwarded-for': '10.3.0.2' });
    expect((await api(server, 'POST', '/api/dashboard/auth/refresh', { cookie: other.cookie })).status).toBe(200);
  });

  it('refuses a missing or made-up cookie', async () => {
    expect((await api(server, 'POST', '/api/dashboard/auth/refresh')).status).toBe(401);
    expect((await api(server, 'POST', '/api/dashboard/auth/refresh', { cookie: `beaconry_refresh=${'A'.repeat(43)}` })).status).toBe(401);
  });
});

describe('logout and password change', () => {
  it('logout ends the refresh token and the access token', async () => {
    const s = await login(server, OWNER.email, OWNER.password, { 'x-forwarded-for': '10.4.0.1' });
    const out = await api(server, 'POST', '/api/dashboard/auth/logout', { cookie: s.cookie, token: s.accessToken });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^beaconry_refresh=;.*Max-Age=0/);
    expect((await api(server, 'POST', '/api/dashboard/auth/refresh', { cookie: s.cookie })).status).toBe(401);
    expect((await api(server, 'GET', '/api/dashboard/me', { token: s.accessToken })).status).toBe(401);
  });

  it('a password change ends every session and keeps this browser signed in with a new one', async () => {
    const { setupPath: invite } = await server.cli<{ setupPath: string }>(['user', 'add', 'changer@example.com']);
    const first = await setup(server, tokenOf(invite), '', 'first password 1');
    const elsewhere = await login(server, 'changer@example.com', 'first password 1', { 'x-forwarded-for': '10.5.0.1' });

    const wrongCurrent = await apiJson(server, 'POST', '/api/dashboard/me/password', { token: first.accessToken, body: { currentPassword: 'nope nope nope', newPassword: 'second password 2' } });
    expect(wrongCurrent.status).toBe(400);

    const changed = await apiJson<{ accessToken: string }>(server, 'POST', '/api/dashboard/me/password', { token: first.accessToken, body: { currentPassword: 'first password 1', newPassword: 'second password 2' } });
    expect(changed.status).toBe(200);
    const fresh = { token: changed.body.accessToken, cookie: cookieOf(changed.res)! };

    for (const s of [first, elsewhere]) {
      expect((await api(server, 'GET', '/api/dashboard/me', { token: s.accessToken })).status).toBe(401);
      expect((await api(server, 'POST', '/api/dashboard/auth/refresh', { cookie: s.cookie })).status).toBe(401);
    }
    expect((await api(server, 'GET', '/api/dashboard/me', { token: fresh.token })).status).toBe(200);
    expect((await api(server, 'POST', '/api/dashboard/auth/refresh', { cookie: fresh.cookie })).status).toBe(200);
    await expect(login(server, 'changer@example.com', 'first password 1', { 'x-forwarded-for': '10.5.0.2' })).rejects.toThrow(/401/);
    await expect(login(server, 'changer@example.com', 'second password 2', { 'x-forwarded-for': '10.5.0.2' })).resolves.toBeDefined();
  });
});

describe('login throttling', () => {
  it('slows one address guessing one account, without locking the account for anyone else', async () => {
    const attacker = { 'x-forwarded-for': '203.0.113.66' };
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      statuses.push((await api(server, 'POST', '/api/dashboard/auth/login', { body: { email: OWNER.email, password: `guess number ${i}` }, headers: attacker })).status);
    }
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    const limited = await api(server, 'POST', '/api/dashboard/auth/login', { body: OWNER, headers: attacker });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // The owner, from their own address, signs in as usual: no lockout.
    await expect(login(server, OWNER.email, OWNER.password, { 'x-forwarded-for': '198.51.100.7' })).resolves.toBeDefined();
  });
});

describe('restart', () => {
  it('keeps the signing key: a token from before a restart still verifies', async () => {
    const s = await login(server, OWNER.email, OWNER.password, { 'x-forwarded-for': '10.6.0.1' });
    await server.stop();
    server = await server.restart();
    expect((await api(server, 'GET', '/api/dashboard/me', { token: s.accessToken })).status).toBe(200);
    expect((await api(server, 'POST', '/api/dashboard/auth/refresh', { cookie: s.cookie })).status).toBe(200);
    // With an account in place, no setup link is printed any more.
    await new Promise((r) => setTimeout(r, 300));
    expect(server.lines.some((l) => l.includes('"msg":"setup"'))).toBe(false);
  });
});
