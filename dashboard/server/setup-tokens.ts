// One-time links that create an account: the first-run owner link `beaconry start` prints while no
// account exists (held in memory, hashed), and invitations from `beaconry user add <email>` (hashed
// in meta, so a CLI without a running server can make one). The token rides in the URL fragment,
// which browsers never send to a server, so it stays out of proxy logs and Referer headers.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Store } from '../../aggregator/store/store.js';
import { exec } from '../../aggregator/store/values.js';

export const INVITE_TTL_MS = 7 * 24 * 3600 * 1000;

const hashToken = (t: string): string => createHash('sha256').update(t, 'utf8').digest('hex');

export function setupPath(token: string): string {
  return `/setup#token=${token}`;
}

export type SetupGrant = { kind: 'owner' } | { kind: 'invite'; email: string };

export class SetupTokens {
  private ownerHash: Buffer | undefined;

  constructor(private readonly store: Store) {}

  /** A fresh first-run token (any earlier one stops working). */
  newOwnerToken(): string {
    const token = randomBytes(24).toString('base64url');
    this.ownerHash = createHash('sha256').update(token, 'utf8').digest();
    return token;
  }

  get hasOwnerToken(): boolean {
    return this.ownerHash !== undefined;
  }

  /** An invitation bound to one email, valid for a week. */
  async invite(email: string, now = Date.now()): Promise<{ token: string; expiresAt: number }> {
    const token = randomBytes(24).toString('base64url');
    const expiresAt = now + INVITE_TTL_MS;
    await this.store.withWriter((conn) =>
      exec(conn, 'INSERT INTO meta.main.dashboard_setup_tokens VALUES ($1, $2, $3, $4, NULL)', [hashToken(token), email, now, expiresAt]),
    );
    return { token, expiresAt };
  }

  /** What the token allows, without using it up. The owner token needs `noAccountsYet`. */
  async check(token: string, noAccountsYet: boolean, now = Date.now()): Promise<SetupGrant | undefined> {
    if (typeof token !== 'string' || token.length < 16 || token.length > 100) return undefined;
    if (this.ownerHash && noAccountsYet) {
      const h = createHash('sha256').update(token, 'utf8').digest();
      if (timingSafeEqual(h, this.ownerHash)) return { kind: 'owner' };
    }
    const rows = await this.store.query(
      'SELECT email FROM meta.main.dashboard_setup_tokens WHERE hash = $1 AND used_at IS NULL AND expires_at > $2',
      [hashToken(token), now],
    );
    return rows[0] ? { kind: 'invite', email: String(rows[0].email) } : undefined;
  }

  /** Marks the token used; false if it already was (two tabs racing on one link). */
  async consume(token: string, grant: SetupGrant, now = Date.now()): Promise<boolean> {
    if (grant.kind === 'owner') {
      if (!this.ownerHash) return false;
      this.ownerHash = undefined;
      return true;
    }
    return this.store.withWriter(async (conn) => {
      const rows = await exec(conn, 'SELECT 1 FROM meta.main.dashboard_setup_tokens WHERE hash = $1 AND used_at IS NULL', [hashToken(token)]);
      if (rows.length === 0) return false;
      await exec(conn, 'UPDATE meta.main.dashboard_setup_tokens SET used_at = $1 WHERE hash = $2', [now, hashToken(token)]);
      return true;
    });
  }
}
