// Tables of <dataDir>/store/rollups.duckdb (attached as `rollups`). Rollups are derived data: when
// ROLLUP_VERSION changes the tables are recreated empty and rebuilt from the day partitions.

export const ROLLUPS = 'rollups';

/** Bump when a metric's definition or a table's shape changes: every rollup is then recomputed. */
export const ROLLUP_VERSION = 1;

const SUMS = `visitors BIGINT NOT NULL, visits BIGINT NOT NULL, pageviews BIGINT NOT NULL, events BIGINT NOT NULL,
  bounces BIGINT NOT NULL, duration_ms BIGINT NOT NULL, engaged_ms BIGINT NOT NULL, engagements BIGINT NOT NULL,
  scroll_sum BIGINT NOT NULL, scroll_n BIGINT NOT NULL`;

/** Tables holding site rows (every one has site_id and day). */
export const ROLLUP_TABLES = ['daily', 'hourly', 'dims', 'ctas', 'state'] as const;

/** DDL of every rollup table, in database `alias` (the live file, or the copy an erasure writes). */
export const rollupDDL = (alias: string): string[] => [
  // Site totals per site-local day.
  `CREATE TABLE IF NOT EXISTS ${alias}.main.daily (site_id VARCHAR NOT NULL, day DATE NOT NULL, ${SUMS})`,
  // Site totals per site-local hour (visitors distinct per hour; visits by the hour they started).
  `CREATE TABLE IF NOT EXISTS ${alias}.main.hourly (site_id VARCHAR NOT NULL, day DATE NOT NULL, hour UTINYINT NOT NULL, ${SUMS})`,
  // Per day × property × value (× parent value for version properties).
  `CREATE TABLE IF NOT EXISTS ${alias}.main.dims (site_id VARCHAR NOT NULL, day DATE NOT NULL, property VARCHAR NOT NULL, value VARCHAR NOT NULL, parent VARCHAR, ${SUMS})`,
  `CREATE TABLE IF NOT EXISTS ${alias}.main.ctas (site_id VARCHAR NOT NULL, day DATE NOT NULL, cta VARCHAR NOT NULL,
    impressions BIGINT NOT NULL, hovers BIGINT NOT NULL, clicks BIGINT NOT NULL, clickers BIGINT NOT NULL)`,
  // What each (site, day) rollup was computed from: the day partition's row count for the site then.
  // Rows only ever get appended to a partition (erasure and retention rewrite it), so a different
  // count means new rows arrived and the rollup must be recomputed.
  `CREATE TABLE IF NOT EXISTS ${alias}.main.state (site_id VARCHAR NOT NULL, day DATE NOT NULL, rows BIGINT NOT NULL, computed_at TIMESTAMP NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS ${alias}.main.version (version INTEGER NOT NULL)`,
];
