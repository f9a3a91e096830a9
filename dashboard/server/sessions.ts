// Login sessions as refresh-token families. Each refresh hands out a new token and marks the old one
// used; a used token presented again means it was copied, so the whole family is revoked (RFC 9700
// §4.14.2). At rest there are only SHA-256 hashes of the tokens.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Store } from '../../aggregator/store/store.js';
import { exec } from '../../aggregator/store/values.js';

/** A login lasts at most this long, however often it is refreshed. */
export const SESSION_MAX_MS = 30 * 24 * 3600 * 1000;
/** A refresh token not used within this long expires (the browser was closed for two weeks). */
export const REFRESH_IDLE_MS = 14 * 24 * 3600 * 1000;

export interface SessionGrant {
  sessionId: string;
  userId: string;
  accountId: string;
  refreshToken: string;
  /** When the new refresh token stops working (the cookie's Max-Age). */
  refreshExpiresAt: number;
}

export type RotateResult =
  | { ok: true; grant: SessionGrant }
  | { ok: false; reason: 'unknown' | 'expired' | 'revoked' }
  /** A rotated token came back: the session is now revoked. */
  | { ok: false; reason: 'reuse'; sessionId: string };

const hashToken = (t: string): string => createHash('sha256').update(t, 'utf8').digest('hex');
const newToken = (): string => randomBytes(32).toString('base64url');

export class Sessions {
  constructor(private readonly store: Store) {}

  async start(userId: string, accountId: string, now = Date.now()): Promise<SessionGrant> {
    const sessionId = randomUUID();
    const refreshToken = newToken();
    const sessionEnd = now + SESSION_MAX_MS;
    const refreshExpiresAt = Math.min(sessionEnd, now + REFRESH_IDLE_MS);
    await this.store.withWriter(async (conn) => {
      await conn.run('BEGIN');
      try {
        await exec(conn, 'INSERT INTO meta.main.dashboard_sessions VALUES ($1, $2, $3, $4, NULL, NULL)', [sessionId, userId, now, sessionEnd]);
        await exec(conn, 'INSERT INTO meta.main.dashboard_refresh_tokens VALUES ($1, $2, $3, $4, NULL)', [hashToken(refreshToken), sessionId, now, refreshExpiresAt]);
        await conn.run('COMMIT');
      } catch (err) {
        await conn.run('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
    return { sessionId, userId, accountId, refreshToken, refreshExpiresAt };
  }

  /** Exchanges a refresh token for a new one, in one write so two racing uses cannot both win. */
  rotate(refreshToken: string, now = Date.now()): Promise<RotateResult> {
    return this.store.withWriter(async (conn): Promise<RotateResult> => {
      const rows = await exec(
        conn,
        `SELECT t.session_id, t.expires_at AS token_expires, t.used_at, s.user_id, s.expires_at AS session_expires, s.revoked_at, u.account_id
         FROM meta.main.dashboard_refresh_tokens t
         JOIN meta.main.dashboard_sessions s ON s.id = t.session_id
         JOIN meta.main.users u ON u.id = s.user_id
         WHERE t.hash = $1`,
        [hashToken(refreshToken)],
      );
      const r = rows[0];
      if (!r) return { ok: false, reason: 'unknown' };
      const sessionId = String(r.session_id);
      if (r.revoked_at !== null) return { ok: false, reason: 'revoked' };
      if (r.used_at !== null) {
        await this.revokeIn(conn, [sessionId], 'refresh token reuse', now);
        return { ok: false, reason: 'reuse', sessionId };
      }
      if (Number(r.token_expires) <= now || Number(r.session_expires) <= now) return { ok: false, reason: 'expired' };
      const next = newToken();
      const refreshExpiresAt = Math.min(Number(r.session_expires), now + REFRESH_IDLE_MS);
      await conn.run('BEGIN');
      try {
        await exec(conn, 'UPDATE meta.main.dashboard_refresh_tokens SET used_at = $1 WHERE hash = $2', [now, hashToken(refreshToken)]);
        await exec(conn, 'INSERT INTO meta.main.dashboard_refresh_tokens VALUES ($1, $2, $3, $4, NULL)', [hashToken(next), sessionId, now, refreshExpiresAt]);
        await conn.run('COMMIT');
      } catch (err) {
        await conn.run('ROLLBACK').catch(() => undefined);
        throw err;
      }
      return { ok: true, grant: { sessionId, userId: String(r.user_id), accountId: String(r.account_id), refreshToken: next, refreshExpiresAt } };
    });
  }

  /** The session a refresh token belongs to, used or not (logout with a stale cookie still ends it). */
  async sessionOf(refreshToken: string): Promise<string | undefined> {
    const rows = await this.store.query('SELECT session_id FROM meta.main.dashboard_refresh_tokens WHERE hash = $1', [hashToken(refreshToken)]);
    return rows[0] ? String(rows[0].session_id) : undefined;
  }

  revoke(sessionId: string, reason: string, now = Date.now()): Promise<void> {
    return this.store.withWriter((conn) => this.revokeIn(conn, [sessionId], reason, now));
  }

  /** Every live session of the user but `keep`; returns the ids revoked. */
  revokeAllOf(userId: string, reason: string, keep?: string, now = Date.now()): Promise<string[]> {
    return this.store.withWriter(async (conn) => {
      const rows = await exec(conn, 'SELECT id FROM meta.main.dashboard_sessions WHERE user_id = $1 AND revoked_at IS NULL', [userId]);
      const ids = rows.map((r) => String(r.id)).filter((id) => id !== keep);
      await this.revokeIn(conn, ids, reason, now);
      return ids;
    });
  }

  /** Forgets sessions that ended (expired or revoked) more than a day ago, with their tokens. */
  prune(now = Date.now()): Promise<void> {
    return this.store.withWriter(async (conn) => {
      const cutoff = now - 24 * 3600 * 1000;
      const dead = `SELECT id FROM meta.main.dashboard_sessions WHERE expires_at < $1 OR revoked_at < $1`;
      await exec(conn, `DELETE FROM meta.main.dashboard_refresh_tokens WHERE session_id IN (${dead})`, [cutoff]);
      await exec(conn, `DELETE FROM meta.main.dashboard_sessions WHERE id IN (${dead})`, [cutoff]);
    });
  }

  private async revokeIn(conn: DuckDBConnection, ids: readonly string[], reason: string, now: number): Promise<void> {
    for (const id of ids) {
      await exec(conn, 'UPDATE meta.main.dashboard_sessions SET revoked_at = $1, revoked_reason = $2 WHERE id = $3 AND revoked_at IS NULL', [now, reason, id]);
    }
  }
}
