// Tables of <dataDir>/store/meta.duckdb (attached as `meta`): sites, hashed secret keys, the store's
// applied log position and the ids of erased sites. Later work (accounts, CTAs) adds its tables here
// as further numbered migrations.

export const META = 'meta';

/** Each entry moves the schema one version up; never edit a shipped entry, append a new one. */
export const META_MIGRATIONS: readonly (readonly string[])[] = [
  [
    `CREATE TABLE meta.main.sites (
      id VARCHAR PRIMARY KEY,
      domain VARCHAR NOT NULL UNIQUE,
      timezone VARCHAR NOT NULL,
      retention_days USMALLINT NOT NULL,
      public_key VARCHAR NOT NULL UNIQUE,
      umami_id VARCHAR,
      created_at TIMESTAMP NOT NULL
    )`,
    // The secret itself is never stored: only its SHA-256 (what the edge looks keys up by) and a
    // short prefix so a person can tell keys apart in a list.
    `CREATE TABLE meta.main.secret_keys (
      id VARCHAR PRIMARY KEY,
      site_id VARCHAR NOT NULL,
      name VARCHAR,
      prefix VARCHAR NOT NULL,
      hash VARCHAR NOT NULL UNIQUE,
      scopes VARCHAR[] NOT NULL,
      created_at TIMESTAMP NOT NULL,
      revoked_at TIMESTAMP
    )`,
    // One row: every log record with an LSN ≤ this is in the day partitions.
    `CREATE TABLE meta.main.log_state (applied_lsn UBIGINT NOT NULL)`,
    `INSERT INTO meta.main.log_state VALUES (0)`,
    // A deleted site's id (a random UUID, nothing else), so log records still in flight for it are
    // dropped at apply instead of bringing its events back.
    `CREATE TABLE meta.main.erased_sites (site_id VARCHAR PRIMARY KEY, erased_at TIMESTAMP NOT NULL)`,
  ],
];

export const SCHEMA_VERSION_DDL = `CREATE TABLE IF NOT EXISTS meta.main.schema_version (version INTEGER NOT NULL)`;
