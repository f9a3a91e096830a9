// Calls to the stats API (Plausible's Stats API v1 shapes, plus Beaconry's CTA endpoint) with the
// signed-in user's access token. Ranges are always explicit (`period=custom&date=from,to`), computed
// in the site's time zone by periods.ts.
import { auth } from '../lib/auth.svelte.js';
import { filtersParam, type Filter } from '../lib/filters.js';
import type { DayRange, Interval } from '../lib/periods.js';

export interface StatsQuery {
  /** The site's domain (Plausible's site_id). */
  site: string;
  range: DayRange;
  filters: readonly Filter[];
}

export type Row = Record<string, string | number | null>;

function params(q: StatsQuery, extra: Record<string, string | undefined>): string {
  const p = new URLSearchParams({ site_id: q.site, period: 'custom', date: `${q.range.from},${q.range.to}` });
  if (q.filters.length > 0) p.set('filters', filtersParam(q.filters));
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) p.set(k, v);
  return p.toString();
}

const num = (v: unknown): number | null => (typeof v === 'number' ? v : typeof v === 'string' && v !== '' && !Number.isNaN(Number(v)) ? Number(v) : null);

export interface Figure {
  value: number | null;
  /** With a comparison: the value in the comparison period and Plausible's change (% or points). */
  previous?: number | null;
  change?: number | null;
}

/** `{results: {visitors: {value, comparison_value?, change?}, …}}` → `{visitors: Figure, …}`. */
export async function aggregate(
  q: StatsQuery,
  metrics: readonly string[],
  opts: { compare?: 'previous_period' | 'year_over_year'; signal?: AbortSignal } = {},
): Promise<Record<string, Figure>> {
  const body = await auth.json<{ results: Record<string, unknown> }>(
    `/api/v1/stats/aggregate?${params(q, { metrics: metrics.join(','), compare: opts.compare })}`,
    {},
    opts.signal,
  );
  const out: Record<string, Figure> = {};
  for (const m of metrics) {
    const r = body.results[m];
    if (r !== null && typeof r === 'object') {
      const o = r as Record<string, unknown>;
      out[m] = { value: num(o.value), ...(opts.compare ? { previous: num(o.comparison_value), change: num(o.change) } : {}) };
    } else out[m] = { value: num(r) };
  }
  return out;
}

/** Rows of `{date, …metrics}`; `date` is 'YYYY-MM-DD' or 'YYYY-MM-DD HH:00:00' for hours. */
export async function timeseries(q: StatsQuery, metrics: readonly string[], interval: Interval, signal?: AbortSignal): Promise<Row[]> {
  const body = await auth.json<{ results: Row[] }>(
    `/api/v1/stats/timeseries?${params(q, { metrics: metrics.join(','), interval })}`,
    {},
    signal,
  );
  return body.results;
}

/** A breakdown row: the property's value under its result key, the metrics, and with a comparison `comparison.change`. */
export type BreakdownRow = Row & { comparison?: { change?: Record<string, number | null> } };

export async function breakdown(
  q: StatsQuery,
  property: string,
  metrics: readonly string[],
  opts: { limit?: number; page?: number; compare?: 'previous_period' | 'year_over_year'; signal?: AbortSignal; endpoint?: string } = {},
): Promise<BreakdownRow[]> {
  const body = await auth.json<{ results: BreakdownRow[] }>(
    `/api/v1/stats/${opts.endpoint ?? 'breakdown'}?${params(q, {
      property,
      metrics: metrics.join(','),
      limit: String(opts.limit ?? 10),
      page: opts.page ? String(opts.page) : undefined,
      compare: opts.compare,
    })}`,
    {},
    opts.signal,
  );
  return body.results;
}

export async function realtimeVisitors(site: string, signal?: AbortSignal): Promise<number> {
  const body = await auth.json<unknown>(`/api/v1/stats/realtime/visitors?${new URLSearchParams({ site_id: site })}`, {}, signal);
  return num(body) ?? 0;
}

export async function ctaStats(q: StatsQuery, signal?: AbortSignal): Promise<Row[]> {
  const body = await auth.json<{ results: Row[] }>(`/api/v1/stats/ctas?${params(q, {})}`, {}, signal);
  return body.results;
}

/** Custom-property keys seen in the range (the dashboard server's own endpoint, for the properties tab). */
export async function propertyKeys(siteId: string, q: StatsQuery, signal?: AbortSignal): Promise<string[]> {
  const p = new URLSearchParams({ from: q.range.from, to: q.range.to });
  const body = await auth.json<{ keys: string[] }>(`/api/dashboard/sites/${siteId}/property-keys?${p}`, {}, signal);
  return body.keys;
}
