// The dashboard's own tables in meta.duckdb (accounts, users, sessions, site ownership, CTAs, goals),
// created at startup through the store's single writer. The store's migrations stay the store's.
import type { Store } from '../../aggregator/store/store.js';

/**
 * Times are BIGINT epoch milliseconds: these rows are compared with Date.now() and never grouped by
 * day, so a plain number is simpler than TIMESTAMP round trips. Only idempotent statements here: they
 * run on every start.
 */
export const DASHBOARD_DDL: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS meta.main.accounts (
    id VARCHAR PRIMARY KEY,
    created_at BIGINT NOT NULL
  )`,
  // The password is only ever stored as an argon2id PHC string.
  `CREATE TABLE IF NOT EXISTS meta.main.users (
    id VARCHAR PRIMARY KEY,
    account_id VARCHAR NOT NULL,
    email VARCHAR NOT NULL UNIQUE,
    password_hash VARCHAR NOT NULL,
    created_at BIGINT NOT NULL,
    password_changed_at BIGINT NOT NULL
  )`,
  // Which account a site belongs to; a site without a row here is visible to no one but the CLI.
  `CREATE TABLE IF NOT EXISTS meta.main.site_owners (
    site_id VARCHAR PRIMARY KEY,
    account_id VARCHAR NOT NULL
  )`,
  // One row per login: the refresh-token family. Revoking it ends every token ever issued in it.
  `CREATE TABLE IF NOT EXISTS meta.main.dashboard_sessions (
    id VARCHAR PRIMARY KEY,
    user_id VARCHAR NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT,
    revoked_reason VARCHAR
  )`,
  // Refresh tokens by SHA-256 (the token is 256 random bits: nothing to brute-force). used_at marks
  // a rotated token: presenting it again is the reuse that revokes its whole session.
  `CREATE TABLE IF NOT EXISTS meta.main.dashboard_refresh_tokens (
    hash VARCHAR PRIMARY KEY,
    session_id VARCHAR NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
  )`,
  // One-time links that create an account (`beaconry user add <email>` without a password).
  `CREATE TABLE IF NOT EXISTS meta.main.dashboard_setup_tokens (
    hash VARCHAR PRIMARY KEY,
    email VARCHAR NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
  )`,
  // CTAs: the UUID is what pages put in data-cta="…" and what events carry in cta_id.
  `CREATE TABLE IF NOT EXISTS meta.main.ctas (
    id VARCHAR PRIMARY KEY,
    site_id VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    target_url VARCHAR,
    created_at BIGINT NOT NULL,
    archived_at BIGINT
  )`,
  // Goals: kind 'event' matches events.name, kind 'page' matches a pageview's pathname (* wildcards).
  `CREATE TABLE IF NOT EXISTS meta.main.goals (
    id VARCHAR PRIMARY KEY,
    site_id VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    value VARCHAR NOT NULL,
    created_at BIGINT NOT NULL
  )`,
];

/** Creates the dashboard's tables if they are missing (idempotent; runs on every start). */
export async function ensureDashboardSchema(store: Store): Promise<void> {
  await store.withWriter(async (conn) => {
    for (const sql of DASHBOARD_DDL) await conn.run(sql);
  });
}
