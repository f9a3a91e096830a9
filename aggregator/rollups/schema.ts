// Tables of <dataDir>/store/rollups.duckdb (attached as `rollups`). Rollups are derived data: when
// ROLLUP_VERSION changes the tables are recreated empty and rebuilt from the day partitions.

import { SUM_COLUMNS } from './visit-sql.js';

export const ROLLUPS = 'rollups';

/** Bump when a metric's definition or a table's shape changes: every rollup is then recomputed. */
export const ROLLUP_VERSION = 2;

const SUMS = `visitors BIGINT NOT NULL, visits BIGINT NOT NULL, pageviews BIGINT NOT NULL, events BIGINT NOT NULL,
  bounces BIGINT NOT NULL, duration_ms BIGINT NOT NULL, engaged_ms BIGINT NOT NULL, engagements BIGINT NOT NULL,
  scroll_sum BIGINT NOT NULL, scroll_n BIGINT NOT NULL`;

/** Tables holding site rows (every one has site_id and day). */
export const ROLLUP_TABLES = ['daily', 'hourly', 'dims', 'ctas', 'state'] as const;

/**
 * The tables of sums: their key columns and sum columns (together, the table's columns in order), and
 * the sums of which at least one is above zero in every row (a group without them has no row). Every
 * sum, distinct visitors included, adds up over disjoint sets of visitors: what an incremental refresh
 * relies on.
 */
export const SUM_TABLES = {
  daily: { keys: ['site_id', 'day'], sums: SUM_COLUMNS, present: ['visits'] },
  hourly: { keys: ['site_id', 'day', 'hour'], sums: SUM_COLUMNS, present: ['visitors'] },
  dims: { keys: ['site_id', 'day', 'property', 'value', 'parent'], sums: SUM_COLUMNS, present: ['visits'] },
  ctas: { keys: ['site_id', 'day', 'cta'], sums: ['impressions', 'hovers', 'clicks', 'clickers'], present: ['impressions', 'hovers', 'clicks'] },
} as const satisfies Record<string, { keys: readonly string[]; sums: readonly string[]; present: readonly string[] }>;
export type SumTable = keyof typeof SUM_TABLES;

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
  // What each (site, day) rollup was computed from: the site's rows in the day partition then, as
  // their count and the sum of their event ids, all at positions below `upto` (the partition's row
  // count then). Rows are only appended, so while the rows below `upto` still have that count and sum,
  // the rows at `upto` and after are the new ones and a refresh can add just them (see Rollups).
  `CREATE TABLE IF NOT EXISTS ${alias}.main.state (site_id VARCHAR NOT NULL, day DATE NOT NULL, rows BIGINT NOT NULL,
    upto BIGINT NOT NULL, id_sum HUGEINT NOT NULL, computed_at TIMESTAMP NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS ${alias}.main.version (version INTEGER NOT NULL)`,
];
