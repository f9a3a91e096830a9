// Dashboard accounts and their users, and which account owns which site: the tenant boundary every
// management and stats route checks. Rows live in meta.duckdb (schema.ts), written through the store.
import { randomUUID } from 'node:crypto';
import type { DuckDBConnection } from '@duckdb/node-api';
import { BeaconryError } from '../../core/errors.js';
import type { Store } from '../../aggregator/store/store.js';
import { exec } from '../../aggregator/store/values.js';

export interface User {
  id: string;
  accountId: string;
  email: string;
  passwordHash: string;
  createdAt: number;
  passwordChangedAt: number;
}

const EMAIL_RE = /^[^\s@"<>(),;:\\]+@[^\s@"<>(),;:\\]+\.[^\s@"<>(),;:\\.]{2,}$/;

/** Trimmed, lower-cased, shape-checked: the form an email is stored and looked up in. */
export function normalizeEmail(input: unknown): string {
  const email = typeof input === 'string' ? input.trim().toLowerCase() : '';
  if (email.length === 0 || email.length > 254 || !EMAIL_RE.test(email)) {
    throw new BeaconryError('BEACONRY_ERR_BAD_REQUEST', 'enter a valid email address', {}, { field: 'email' });
  }
  return email;
}

function rowToUser(r: Record<string, unknown>): User {
  return {
    id: String(r.id),
    accountId: String(r.account_id),
    email: String(r.email),
    passwordHash: String(r.password_hash),
    createdAt: Number(r.created_at),
    passwordChangedAt: Number(r.password_changed_at),
  };
}

const USER_SELECT = 'SELECT id, account_id, email, password_hash, created_at, password_changed_at FROM meta.main.users';

export class Accounts {
  constructor(private readonly store: Store) {}

  async userCount(): Promise<number> {
    const rows = await this.store.query('SELECT count(*) AS n FROM meta.main.users');
    return Number(rows[0]?.n ?? 0);
  }

  /** A new account with this user as its first member. 409 if the email is taken. */
  async create(email: string, passwordHash: string, now = Date.now()): Promise<User> {
    const user: User = { id: randomUUID(), accountId: randomUUID(), email, passwordHash, createdAt: now, passwordChangedAt: now };
    await this.store.withWriter(async (conn) => {
      await conn.run('BEGIN');
      try {
        const dup = await exec(conn, 'SELECT 1 FROM meta.main.users WHERE email = $1', [email]);
        if (dup.length > 0) throw new BeaconryError('BEACONRY_ERR_CONFLICT', 'an account with this email already exists');
        const first = Number((await exec(conn, 'SELECT count(*) AS n FROM meta.main.users'))[0]?.n ?? 0) === 0;
        await exec(conn, 'INSERT INTO meta.main.accounts VALUES ($1, $2)', [user.accountId, now]);
        await exec(conn, 'INSERT INTO meta.main.users VALUES ($1, $2, $3, $4, $5, $5)', [user.id, user.accountId, email, passwordHash, now]);
        // The installation's first account takes the sites made with the CLI before it existed.
        if (first) await this.adoptOrphansIn(conn, user.accountId);
        await conn.run('COMMIT');
      } catch (err) {
        await conn.run('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
    return user;
  }

  async byEmail(email: string): Promise<User | undefined> {
    const rows = await this.store.query(`${USER_SELECT} WHERE email = $1`, [email]);
    return rows[0] ? rowToUser(rows[0]) : undefined;
  }

  async byId(id: string): Promise<User | undefined> {
    const rows = await this.store.query(`${USER_SELECT} WHERE id = $1`, [id]);
    return rows[0] ? rowToUser(rows[0]) : undefined;
  }

  async setPasswordHash(userId: string, passwordHash: string, now = Date.now()): Promise<void> {
    await this.store.withWriter((conn) =>
      exec(conn, 'UPDATE meta.main.users SET password_hash = $1, password_changed_at = $2 WHERE id = $3', [passwordHash, now, userId]),
    );
  }

  /** Ids of the account's sites that still exist (a site deleted with the CLI leaves no ghost). */
  async siteIds(accountId: string): Promise<Set<string>> {
    const rows = await this.store.query(
      'SELECT o.site_id FROM meta.main.site_owners o JOIN meta.main.sites s ON s.id = o.site_id WHERE o.account_id = $1',
      [accountId],
    );
    return new Set(rows.map((r) => String(r.site_id)));
  }

  async owns(accountId: string, siteId: string): Promise<boolean> {
    const rows = await this.store.query('SELECT 1 FROM meta.main.site_owners WHERE account_id = $1 AND site_id = $2', [accountId, siteId]);
    return rows.length > 0;
  }

  async claim(siteId: string, accountId: string): Promise<void> {
    await this.store.withWriter((conn) => exec(conn, 'INSERT OR REPLACE INTO meta.main.site_owners VALUES ($1, $2)', [siteId, accountId]));
  }

  async release(siteId: string): Promise<void> {
    await this.store.withWriter((conn) => exec(conn, 'DELETE FROM meta.main.site_owners WHERE site_id = $1', [siteId]));
  }

  /**
   * Sites added with `beaconry site add` belong to no account; the installation's first account (the
   * operator's) takes them the next time it lists its sites.
   */
  async adoptOrphansIfFirst(accountId: string): Promise<void> {
    const orphans = await this.store.query(
      `SELECT s.id FROM meta.main.sites s
       WHERE NOT EXISTS (SELECT 1 FROM meta.main.site_owners o WHERE o.site_id = s.id)
         AND $1 = (SELECT account_id FROM meta.main.users ORDER BY created_at, id LIMIT 1)`,
      [accountId],
    );
    if (orphans.length > 0) await this.store.withWriter((conn) => this.adoptOrphansIn(conn, accountId));
  }

  private async adoptOrphansIn(conn: DuckDBConnection, accountId: string): Promise<void> {
    await exec(
      conn,
      `INSERT INTO meta.main.site_owners
       SELECT s.id, $1 FROM meta.main.sites s WHERE NOT EXISTS (SELECT 1 FROM meta.main.site_owners o WHERE o.site_id = s.id)`,
      [accountId],
    );
  }
}
