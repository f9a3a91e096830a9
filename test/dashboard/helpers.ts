// Talking to a real Beaconry the way the dashboard does: JSON with the CSRF header, the access token
// as a Bearer, the refresh token as a cookie. And getting the first account through the setup link.
import type { TestServer } from '../helpers/server.js';

export const OWNER = { email: 'owner@example.com', password: 'correct horse battery staple' };

export interface Grant {
  accessToken: string;
  expiresAt: number;
  user: { id: string; email: string; accountId: string };
}

export interface Session extends Grant {
  /** `name=value` of the refresh cookie. */
  cookie: string;
}

export interface ApiOptions {
  token?: string;
  cookie?: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Leave out the X-Beaconry-CSRF header. */
  noCsrf?: boolean;
}

export async function api(server: TestServer, method: string, path: string, opts: ApiOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { ...opts.headers };
  if (!opts.noCsrf && method !== 'GET') headers['x-beaconry-csrf'] = '1';
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.cookie) headers.cookie = opts.cookie;
  if (opts.body !== undefined) headers['content-type'] ??= 'application/json';
  return fetch(`${server.url}${path}`, {
    method,
    headers,
    ...(opts.body !== undefined ? { body: typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body) } : {}),
  });
}

export async function apiJson<T = Record<string, unknown>>(server: TestServer, method: string, path: string, opts: ApiOptions = {}): Promise<{ status: number; body: T; res: Response }> {
  const res = await api(server, method, path, opts);
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T, res };
}

/** The `name=value` part of a Set-Cookie header. */
export function cookieOf(res: Response): string | undefined {
  const h = res.headers.get('set-cookie');
  return h ? h.split(';')[0] : undefined;
}

/** Waits for the `"msg":"setup"` log line and returns its path (`/setup#token=…`). */
export async function setupPath(server: TestServer): Promise<string> {
  for (let i = 0; i < 200; i++) {
    for (const line of server.lines) {
      try {
        const m = JSON.parse(line) as { msg?: string; path?: string };
        if (m.msg === 'setup' && m.path) return m.path;
      } catch {
        /* not JSON */
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the server printed no setup line');
}

export const tokenOf = (p: string): string => new URLSearchParams(p.slice(p.indexOf('#') + 1)).get('token') ?? '';

export async function setup(server: TestServer, token: string, email: string, password: string): Promise<Session> {
  const r = await apiJson<Grant>(server, 'POST', '/api/dashboard/auth/setup', { body: { token, email, password } });
  if (r.status !== 201) throw new Error(`setup failed: ${r.status} ${JSON.stringify(r.body)}`);
  return { ...r.body, cookie: cookieOf(r.res)! };
}

/** Creates the owner account through the printed setup link. */
export async function setupOwner(server: TestServer, who = OWNER): Promise<Session> {
  return setup(server, tokenOf(await setupPath(server)), who.email, who.password);
}

/** A further account through `beaconry user add <email>` (an invitation link) and its setup. */
export async function addAccount(server: TestServer, email: string, password: string): Promise<Session> {
  const r = await server.cli<{ setupPath: string }>(['user', 'add', email]);
  return setup(server, tokenOf(r.setupPath), email, password);
}

export async function login(server: TestServer, email: string, password: string, headers: Record<string, string> = {}): Promise<Session> {
  const r = await apiJson<Grant>(server, 'POST', '/api/dashboard/auth/login', { body: { email, password }, headers });
  if (r.status !== 200) throw new Error(`login failed: ${r.status} ${JSON.stringify(r.body)}`);
  return { ...r.body, cookie: cookieOf(r.res)! };
}

export function decodeJwtPart(token: string, part: 0 | 1): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[part]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}
