// Sign-in, first-run setup, refresh, logout and password change. The access token travels in the
// JSON answer (the SPA keeps it in memory only); the refresh token only in its HttpOnly cookie.
import { BeaconryError } from '../../core/errors.js';
import { json, type ApiResponse, type Route } from '../../core/http.js';
import type { Config } from '../../core/config.js';
import type { Logger } from '../../core/logger.js';
import { unauthorized, type AccessTokens } from './access-tokens.js';
import { normalizeEmail, type Accounts, type User } from './accounts.js';
import { publicRoute, userRoute, type RouteKit } from './api-route.js';
import type { LoginThrottle } from './login-throttle.js';
import { checkPassword, PASSWORD_MAX, type PasswordHasher } from './passwords.js';
import { clearRefreshCookie, readRefreshCookie, setRefreshCookie } from './refresh-cookie.js';
import type { SessionGrant, Sessions } from './sessions.js';
import type { SetupTokens } from './setup-tokens.js';

export interface AuthDeps {
  config: Config;
  log: Logger;
  accounts: Accounts;
  sessions: Sessions;
  tokens: AccessTokens;
  passwords: PasswordHasher;
  throttle: LoginThrottle;
  setup: SetupTokens;
}

/** One answer for an unknown email and a wrong password alike. */
const WRONG_LOGIN = 'Wrong email or password.';

export function authRoutes(kit: RouteKit, d: AuthDeps): Route[] {
  const granted = async (grant: SessionGrant, user: Pick<User, 'id' | 'email' | 'accountId'>, status = 200): Promise<ApiResponse> => {
    const { token, expiresAt } = await d.tokens.sign(grant.userId, grant.accountId, grant.sessionId);
    return json(
      status,
      { accessToken: token, expiresAt, user: { id: user.id, email: user.email, accountId: user.accountId } },
      { 'set-cookie': setRefreshCookie(d.config, grant.refreshToken, grant.refreshExpiresAt) },
    );
  };

  const signedOut = (status: number, body?: unknown): ApiResponse => ({
    status,
    headers: { 'set-cookie': clearRefreshCookie(d.config), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });

  return [
    publicRoute(kit, 'GET', '/api/dashboard/auth/state', async () => json(200, { setupRequired: (await d.accounts.userCount()) === 0 })),

    publicRoute(kit, 'POST', '/api/dashboard/auth/setup/check', async ({ body }) => {
      const grant = await d.setup.check(String(body.token ?? ''), (await d.accounts.userCount()) === 0);
      if (!grant) throw new BeaconryError('BEACONRY_ERR_NOT_FOUND', 'This setup link is invalid, expired or already used.');
      return json(200, grant.kind === 'invite' ? { kind: 'invite', email: grant.email } : { kind: 'owner' });
    }),

    publicRoute(kit, 'POST', '/api/dashboard/auth/setup', async ({ body }) => {
      const token = String(body.token ?? '');
      const grant = await d.setup.check(token, (await d.accounts.userCount()) === 0);
      if (!grant) throw new BeaconryError('BEACONRY_ERR_NOT_FOUND', 'This setup link is invalid, expired or already used.');
      const email = grant.kind === 'invite' ? grant.email : normalizeEmail(body.email);
      const hash = await d.passwords.hash(checkPassword(body.password));
      if (!(await d.setup.consume(token, grant))) throw new BeaconryError('BEACONRY_ERR_NOT_FOUND', 'This setup link is invalid, expired or already used.');
      const user = await d.accounts.create(email, hash);
      d.log.info('account created', { via: grant.kind === 'owner' ? 'setup link' : 'invitation' });
      return granted(await d.sessions.start(user.id, user.accountId), user, 201);
    }),

    publicRoute(kit, 'POST', '/api/dashboard/auth/login', async ({ req, body }) => {
      const email = typeof body.email === 'string' ? body.email.trim().toLowerCase() : '';
      const password = typeof body.password === 'string' ? body.password.normalize('NFC') : '';
      d.throttle.check(req.ip, email);
      const user = email.length > 0 && email.length <= 254 ? await d.accounts.byEmail(email) : undefined;
      const plausible = password.length > 0 && [...password].length <= PASSWORD_MAX;
      // An unknown email costs one argon2 verification, like a known one: timing tells nothing.
      const ok = user && plausible ? await d.passwords.verify(user.passwordHash, password) : await d.passwords.verifyDummy(password.slice(0, 512));
      if (!ok || !user) {
        d.throttle.failed(req.ip, email);
        throw new BeaconryError('BEACONRY_ERR_UNAUTHORIZED', WRONG_LOGIN);
      }
      d.throttle.succeeded(req.ip, email);
      return granted(await d.sessions.start(user.id, user.accountId), user);
    }),

    publicRoute(kit, 'POST', '/api/dashboard/auth/refresh', async ({ req }) => {
      const presented = readRefreshCookie(d.config, req.headers.cookie);
      if (!presented) return signedOut(401, unauthorizedBody());
      const r = await d.sessions.rotate(presented);
      if (!r.ok) {
        if (r.reason === 'reuse') {
          d.tokens.revokeSessions([r.sessionId]);
          d.log.warn('refresh token reuse: session revoked');
        }
        return signedOut(401, unauthorizedBody());
      }
      const user = await d.accounts.byId(r.grant.userId);
      if (!user) return signedOut(401, unauthorizedBody());
      return granted(r.grant, user);
    }),

    publicRoute(kit, 'POST', '/api/dashboard/auth/logout', async ({ req }) => {
      const ids = new Set<string>();
      const presented = readRefreshCookie(d.config, req.headers.cookie);
      if (presented) {
        const sid = await d.sessions.sessionOf(presented);
        if (sid) ids.add(sid);
      }
      const bearer = await d.tokens.fromHeader(req.headers.authorization).catch(() => undefined);
      if (bearer) ids.add(bearer.sessionId);
      for (const id of ids) await d.sessions.revoke(id, 'logout');
      d.tokens.revokeSessions(ids);
      return signedOut(204);
    }),

    userRoute(kit, 'POST', '/api/dashboard/auth/logout-everywhere', async ({ auth }) => {
      const ids = await d.sessions.revokeAllOf(auth.userId, 'logout everywhere');
      d.tokens.revokeSessions(ids);
      return signedOut(204);
    }),

    userRoute(kit, 'GET', '/api/dashboard/me', async ({ auth }) => {
      const user = await d.accounts.byId(auth.userId);
      if (!user) throw unauthorized();
      return json(200, { id: user.id, email: user.email, accountId: user.accountId, createdAt: user.createdAt, passwordChangedAt: user.passwordChangedAt });
    }),

    userRoute(kit, 'POST', '/api/dashboard/me/password', async ({ req, body, auth }) => {
      const user = await d.accounts.byId(auth.userId);
      if (!user) throw unauthorized();
      d.throttle.check(req.ip, user.email);
      const current = typeof body.currentPassword === 'string' ? body.currentPassword.normalize('NFC') : '';
      if (!(await d.passwords.verify(user.passwordHash, current))) {
        d.throttle.failed(req.ip, user.email);
        throw new BeaconryError('BEACONRY_ERR_BAD_REQUEST', 'The current password is wrong.', {}, { field: 'currentPassword' });
      }
      d.throttle.succeeded(req.ip, user.email);
      const next = checkPassword(body.newPassword);
      await d.accounts.setPasswordHash(user.id, await d.passwords.hash(next));
      // Every session ends, this one included; this browser gets a fresh one so it stays signed in.
      const ids = await d.sessions.revokeAllOf(user.id, 'password change');
      d.tokens.revokeSessions(ids);
      return granted(await d.sessions.start(user.id, user.accountId), user);
    }),
  ];
}

function unauthorizedBody(): unknown {
  return { error: { code: 'BEACONRY_ERR_UNAUTHORIZED', message: unauthorized().message } };
}

