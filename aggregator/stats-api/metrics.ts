// The stats API's metrics (Plausible's names), each derived from the same additive sums whether they
// came from rollups or from the raw partitions: counts as they are, rates rounded as Plausible rounds
// them. Breakdowns sort by the unrounded value, so equal-looking rates keep a stable order.
import { SUM_COLUMNS, type SumColumn } from '../rollups/visit-sql.js';
import { StatsError } from './stats-error.js';

export const METRICS = [
  'visitors', 'visits', 'pageviews', 'views_per_visit', 'bounce_rate', 'visit_duration', 'events',
  'conversion_rate', 'time_on_page', 'scroll_depth',
] as const;
export type Metric = (typeof METRICS)[number];

export type Sums = Record<SumColumn, number>;

export const zeroSums = (): Sums => Object.fromEntries(SUM_COLUMNS.map((c) => [c, 0])) as Sums;

export function addSums(a: Sums, b: Sums): Sums {
  const out = zeroSums();
  for (const c of SUM_COLUMNS) out[c] = a[c] + b[c];
  return out;
}

/** A row from DuckDB → Sums (missing or NULL columns are 0). */
export function sumsOf(row: Record<string, unknown>): Sums {
  const out = zeroSums();
  for (const c of SUM_COLUMNS) out[c] = Number(row[c] ?? 0);
  return out;
}

/**
 * The unrounded value a breakdown sorts by (null: no data, sorted last). `denominator` is the
 * visitor count conversion_rate divides by.
 */
export function sortValue(m: Metric, s: Sums, denominator?: number): number | null {
  switch (m) {
    case 'views_per_visit':
      return s.visits === 0 ? 0 : s.pageviews / s.visits;
    case 'bounce_rate':
      return s.visits === 0 ? 0 : s.bounces / s.visits;
    case 'visit_duration':
      return s.visits === 0 ? 0 : s.duration_ms / s.visits;
    case 'time_on_page':
      return s.engagements === 0 ? null : s.engaged_ms / s.engagements;
    case 'scroll_depth':
      return s.scroll_n === 0 ? null : s.scroll_sum / s.scroll_n;
    case 'conversion_rate':
      return !denominator ? 0 : s.visitors / denominator;
    default:
      return s[m];
  }
}

/**
 * The value the API answers with. Each rate is one division of integers (then rounded), so a value
 * that is exactly x.5 rounds the same way everywhere.
 */
export function metricValue(m: Metric, s: Sums, denominator?: number): number | null {
  switch (m) {
    case 'views_per_visit':
      return s.visits === 0 ? 0 : Math.round((100 * s.pageviews) / s.visits) / 100;
    case 'bounce_rate':
      return s.visits === 0 ? 0 : Math.round((100 * s.bounces) / s.visits);
    case 'visit_duration':
      return s.visits === 0 ? 0 : Math.round(s.duration_ms / (1000 * s.visits));
    case 'time_on_page':
      return s.engagements === 0 ? null : Math.round(s.engaged_ms / (1000 * s.engagements));
    case 'scroll_depth':
      return s.scroll_n === 0 ? null : Math.round(s.scroll_sum / s.scroll_n);
    case 'conversion_rate':
      return !denominator ? 0 : Math.round((10000 * s.visitors) / denominator) / 100;
    default:
      return s[m];
  }
}

/** SQL over summed columns giving sortValue (undefined for conversion_rate, sorted in JS). */
export function sortSql(m: Metric): string | undefined {
  switch (m) {
    case 'views_per_visit':
      return 'CASE WHEN visits = 0 THEN 0 ELSE pageviews / visits END';
    case 'bounce_rate':
      return 'CASE WHEN visits = 0 THEN 0 ELSE bounces / visits END';
    case 'visit_duration':
      return 'CASE WHEN visits = 0 THEN 0 ELSE duration_ms / visits END';
    case 'time_on_page':
      return 'CASE WHEN engagements = 0 THEN NULL ELSE engaged_ms / engagements END';
    case 'scroll_depth':
      return 'CASE WHEN scroll_n = 0 THEN NULL ELSE scroll_sum / scroll_n END';
    case 'conversion_rate':
      return undefined;
    default:
      return m;
  }
}

/** The `metrics` parameter: comma-separated, known, each at most once (default: visitors). */
export function parseMetrics(raw: string | null, fallback: readonly Metric[] = ['visitors']): Metric[] {
  if (raw === null || raw.trim() === '') return [...fallback];
  const names = raw.split(',').map((s) => s.trim());
  if (new Set(names).size !== names.length) throw new StatsError('Metrics cannot be queried multiple times.');
  for (const n of names) {
    if (!(METRICS as readonly string[]).includes(n)) {
      throw new StatsError(`The metric \`${n}\` is not recognized. Valid metrics: ${METRICS.join(', ')}.`);
    }
  }
  return names as Metric[];
}

/** Compares two sort values descending, nulls last (as DuckDB's ORDER BY … DESC NULLS LAST). */
export function compareDesc(a: number | null, b: number | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a > b ? -1 : 1;
}
