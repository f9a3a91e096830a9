// Short-lived RS256 access tokens for the dashboard and the stats API: signed here, verified on every
// API request without a database lookup, with the algorithm, issuer, audience and key id pinned.
import { randomBytes } from 'node:crypto';
import { SignJWT, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { BeaconryError } from '../../core/errors.js';
import { JWT_ALG, type SigningKey } from './signing-key.js';

export const ACCESS_TOKEN_TTL_S = 600;
export const JWT_ISSUER = 'beaconry';
export const JWT_AUDIENCE = 'beaconry-dashboard';

export interface AccessClaims {
  userId: string;
  accountId: string;
  /** The login session (refresh family) the token came from; revoking it ends the token early. */
  sessionId: string;
  expiresAt: number;
}

export class AccessTokens {
  /** Sessions revoked in this process within the last token lifetime (older ones have no live token left). */
  private readonly revoked = new Map<string, number>();

  constructor(private readonly key: SigningKey) {}

  async sign(userId: string, accountId: string, sessionId: string, now = Date.now()): Promise<{ token: string; expiresAt: number }> {
    const iat = Math.floor(now / 1000);
    const token = await new SignJWT({ acc: accountId, sid: sessionId })
      .setProtectedHeader({ alg: JWT_ALG, kid: this.key.kid, typ: 'JWT' })
      .setIssuer(JWT_ISSUER)
      .setAudience(JWT_AUDIENCE)
      .setSubject(userId)
      .setIssuedAt(iat)
      .setExpirationTime(iat + ACCESS_TOKEN_TTL_S)
      .setJti(randomBytes(12).toString('base64url'))
      .sign(this.key.privateKey);
    return { token, expiresAt: (iat + ACCESS_TOKEN_TTL_S) * 1000 };
  }

  /** Verifies `Authorization: Bearer <jwt>`; undefined when absent, 401 when present but not valid. */
  async fromHeader(header: string | undefined): Promise<AccessClaims | undefined> {
    if (header === undefined) return undefined;
    const m = /^Bearer\s+([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/.exec(header.trim());
    if (!m) return undefined; // not a JWT: maybe a secret key for someone else's auth
    return this.verify(m[1]!);
  }

  async verify(token: string): Promise<AccessClaims> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(
        token,
        async (header) => {
          if (header.kid !== this.key.kid) throw new joseErrors.JWKSNoMatchingKey();
          return this.key.publicKey;
        },
        { algorithms: [JWT_ALG], issuer: JWT_ISSUER, audience: JWT_AUDIENCE, typ: 'JWT', clockTolerance: 5, maxTokenAge: ACCESS_TOKEN_TTL_S + 5 },
      ));
    } catch {
      throw unauthorized();
    }
    const { sub, acc, sid, exp } = payload as JWTPayload & { acc?: unknown; sid?: unknown };
    if (typeof sub !== 'string' || typeof acc !== 'string' || typeof sid !== 'string' || typeof exp !== 'number') throw unauthorized();
    if (this.revoked.has(sid)) throw unauthorized();
    return { userId: sub, accountId: acc, sessionId: sid, expiresAt: exp * 1000 };
  }

  /** Logout / password change: access tokens of these sessions stop working now, not in 10 minutes. */
  revokeSessions(ids: Iterable<string>, now = Date.now()): void {
    for (const id of ids) this.revoked.set(id, now);
    for (const [id, at] of this.revoked) if (at < now - (ACCESS_TOKEN_TTL_S + 10) * 1000) this.revoked.delete(id);
  }
}

export function unauthorized(message = 'Sign in again: the session is missing, expired or revoked.'): BeaconryError {
  return new BeaconryError('BEACONRY_ERR_UNAUTHORIZED', message);
}
