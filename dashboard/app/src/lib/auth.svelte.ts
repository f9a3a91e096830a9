// The signed-in state: the access token lives in memory only (never localStorage), the refresh token
// in its HttpOnly cookie. Refreshes are single-flight per tab and serialised across tabs with the Web
// Locks API, because the server rotates the refresh token on every use and treats a second use of the
// old one as theft.
import { offlineError, toApiError } from './api-error.js';

export interface User {
  id: string;
  email: string;
  accountId: string;
}

interface Grant {
  accessToken: string;
  expiresAt: number;
  user: User;
}

const CSRF = { 'x-beaconry-csrf': '1' };
/** Refresh this long before the access token expires. */
const EARLY_MS = 60_000;

export class Auth {
  status = $state<'unknown' | 'signed-in' | 'signed-out'>('unknown');
  user = $state<User | null>(null);
  setupRequired = $state(false);
  private token: string | null = null;
  private expiresAt = 0;
  private inflight: Promise<boolean> | null = null;

  /** On page load: a live refresh cookie signs us in without asking. */
  async init(): Promise<void> {
    const ok = await this.refresh();
    if (!ok) {
      try {
        const r = await fetch('/api/dashboard/auth/state');
        if (r.ok) this.setupRequired = ((await r.json()) as { setupRequired: boolean }).setupRequired;
      } catch {
        /* the login page will say the server is unreachable */
      }
    }
  }

  refresh(): Promise<boolean> {
    this.inflight ??= this.lockedRefresh().finally(() => (this.inflight = null));
    return this.inflight;
  }

  private async lockedRefresh(): Promise<boolean> {
    const run = async (): Promise<boolean> => {
      let res: Response;
      try {
        res = await fetch('/api/dashboard/auth/refresh', { method: 'POST', headers: CSRF, credentials: 'same-origin' });
      } catch {
        // Offline is not signed out: keep whatever state we had.
        if (this.status === 'unknown') this.status = 'signed-out';
        return false;
      }
      if (!res.ok) {
        this.signedOut();
        return false;
      }
      this.accept((await res.json()) as Grant);
      return true;
    };
    return navigator.locks ? navigator.locks.request('beaconry-refresh', run) : run();
  }

  async login(email: string, password: string): Promise<void> {
    this.accept(await this.post<Grant>('/api/dashboard/auth/login', { email, password }));
  }

  async setup(token: string, email: string, password: string): Promise<void> {
    this.accept(await this.post<Grant>('/api/dashboard/auth/setup', { token, email, password }));
    this.setupRequired = false;
  }

  async logout(everywhere = false): Promise<void> {
    try {
      await this.request(everywhere ? '/api/dashboard/auth/logout-everywhere' : '/api/dashboard/auth/logout', { method: 'POST' });
    } finally {
      this.signedOut();
    }
  }

  /** Takes a fresh grant (after a password change the server starts a new session for us). */
  accept(g: Grant): void {
    this.token = g.accessToken;
    this.expiresAt = g.expiresAt;
    this.user = g.user;
    this.status = 'signed-in';
  }

  /** Any dashboard or stats API call: adds the access token (refreshing first when it is about to expire) and, on 401, refreshes once and retries. */
  async request(path: string, init: RequestInit = {}): Promise<Response> {
    if (this.token && Date.now() > this.expiresAt - EARLY_MS) await this.refresh();
    let res = await this.send(path, init);
    if (res.status === 401 && this.status === 'signed-in') {
      if (await this.refresh()) res = await this.send(path, init);
    }
    if (res.status === 401) this.signedOut();
    return res;
  }

  /** request() for JSON answers: throws ApiError for anything but 2xx. */
  async json<T>(path: string, init: RequestInit = {}, signal?: AbortSignal): Promise<T> {
    const res = await this.request(path, { ...init, ...(signal ? { signal } : {}) });
    if (!res.ok) throw await toApiError(res);
    return res.status === 204 ? (undefined as T) : ((await res.json()) as T);
  }

  /** JSON body, state-changing method. */
  sendJson<T>(method: 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
    return this.json<T>(path, {
      method,
      ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
    });
  }

  private async send(path: string, init: RequestInit): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.token) headers.set('authorization', `Bearer ${this.token}`);
    if ((init.method ?? 'GET') !== 'GET') headers.set('x-beaconry-csrf', '1');
    try {
      return await fetch(path, { ...init, headers, credentials: 'same-origin' });
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      throw offlineError();
    }
  }

  private async post<T>(path: string, body: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(path, {
        method: 'POST',
        headers: { ...CSRF, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        credentials: 'same-origin',
      });
    } catch {
      throw offlineError();
    }
    if (!res.ok) throw await toApiError(res);
    return (await res.json()) as T;
  }

  private signedOut(): void {
    this.token = null;
    this.expiresAt = 0;
    this.user = null;
    this.status = 'signed-out';
  }
}

export const auth = new Auth();
