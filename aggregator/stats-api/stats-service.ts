// The stats API's answers, independent of HTTP: Plausible Stats API v1 (aggregate, timeseries,
// breakdown, realtime visitors) and Beaconry's own reports in the same style (CTAs, engagement,
// realtime pages). Each question is planned onto the rollups when one covers it, else onto the raw
// day partitions; the answer is the same either way, and `source` says which answered.
import type { Store } from '../store/store.js';
import { localDay } from '../store/days.js';
import { propertyByName, type Property } from '../rollups/properties.js';
import { isGoalFilter, parseFilters, type Filter } from './filters.js';
import {
  addSums, compareDesc, metricValue, parseMetrics, sortSql, sortValue, zeroSums, type Metric, type Sums,
} from './metrics.js';
import {
  bucketOf, compareRange, daysOf, hourLabel, parseCompare, parseInterval, parseRange, type CompareMode, type DayRange,
} from './periods.js';
import { StatsError } from './stats-error.js';
import { RawSource, RollupSource, rollupsCover, type GroupRow, type Need, type SourceKind, type SumsQuery, type SumsSource } from './sums-sources.js';

export interface StatsSite {
  id: string;
  domain: string;
  timezone: string;
}

export interface StatsAnswer {
  body: unknown;
  /** 'rollups' when every part was answered from rollups, else 'raw'. */
  source: SourceKind;
}

export interface StatsServiceOptions {
  /** False when no rollups are attached: every question scans the raw partitions. */
  rollups: boolean;
  now?: () => number;
}

const MAX_LIMIT = 1000;
const REALTIME_MS = 5 * 60_000;

/** Per-request bookkeeping: which sources answered, and whether raw was asked for. */
class Plan {
  readonly used = new Set<SourceKind>();
  constructor(
    private readonly rollup: SumsSource | undefined,
    private readonly raw: SumsSource,
    private readonly forceRaw: boolean,
  ) {}
  source(filters: readonly Filter[], need: Need): SumsSource {
    const s = !this.forceRaw && this.rollup && rollupsCover(filters, need) ? this.rollup : this.raw;
    this.used.add(s.kind);
    return s;
  }
  get kind(): SourceKind {
    return this.used.has('raw') ? 'raw' : 'rollups';
  }
}

function intParam(params: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const raw = params.get(name);
  if (raw === null || raw === '') return fallback;
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new StatsError(name === 'limit' ? `Please provide limit as a number between ${min} and ${max}.` : `Please provide ${name} as a positive number.`);
  }
  return n;
}

/** Plausible's change: percentage points for bounce_rate, else percent change rounded; null when unknowable. */
function change(m: Metric, prev: number | null, cur: number | null): number | null {
  if (prev === null || cur === null) return null;
  if (m === 'bounce_rate') return prev > 0 ? cur - prev : null;
  if (prev === 0) return cur > 0 ? 100 : 0;
  return Math.round(((cur - prev) / prev) * 100);
}

const withoutGoals = (filters: readonly Filter[]): Filter[] => filters.filter((f) => !isGoalFilter(f));

function checkConversion(metrics: readonly Metric[], filters: readonly Filter[], property?: Property): void {
  if (metrics.includes('conversion_rate') && property?.name !== 'event:goal' && !filters.some(isGoalFilter)) {
    throw new StatsError('Metric `conversion_rate` can only be queried in a goal breakdown or with a goal filter (event:goal==…).');
  }
}

const groupKey = (r: { value: string; parent: string | null }): string => `${r.value}\u0000${r.parent ?? ''}`;

export class StatsService {
  private readonly rollup: SumsSource | undefined;
  private readonly raw: SumsSource;
  private readonly now: () => number;

  constructor(
    private readonly store: Store,
    opts: StatsServiceOptions,
  ) {
    this.rollup = opts.rollups ? new RollupSource(store) : undefined;
    this.raw = new RawSource(store);
    this.now = opts.now ?? Date.now;
  }

  private plan(params: URLSearchParams): Plan {
    const s = params.get('source');
    if (s !== null && s !== 'auto' && s !== 'raw') throw new StatsError('`source` is auto (default) or raw.');
    return new Plan(this.rollup, this.raw, s === 'raw');
  }

  private common(site: StatsSite, params: URLSearchParams) {
    const { period, range } = parseRange(params.get('period'), params.get('date'), site.timezone, this.now());
    return { period, range, filters: parseFilters(params.get('filters')) };
  }

  /** Total sums, and the visitors conversion_rate divides by (the same question without goal filters). */
  private async totals(plan: Plan, q: SumsQuery, metrics: readonly Metric[]): Promise<{ sums: Sums; denominator?: number }> {
    const sums = await plan.source(q.filters, { kind: 'total' }).total(q);
    if (!metrics.includes('conversion_rate')) return { sums };
    const base = { ...q, filters: withoutGoals(q.filters) };
    return { sums, denominator: (await plan.source(base.filters, { kind: 'total' }).total(base)).visitors };
  }

  async aggregate(site: StatsSite, params: URLSearchParams): Promise<StatsAnswer> {
    const plan = this.plan(params);
    const { range, filters } = this.common(site, params);
    const metrics = parseMetrics(params.get('metrics'));
    const compare = parseCompare(params.get('compare'));
    checkConversion(metrics, filters);
    const q: SumsQuery = { siteId: site.id, range, filters };
    const cur = await this.totals(plan, q, metrics);
    const prev = compare ? await this.totals(plan, { ...q, range: compareRange(range, compare) }, metrics) : undefined;
    const results: Record<string, unknown> = {};
    for (const m of metrics) {
      const value = metricValue(m, cur.sums, cur.denominator);
      if (!prev) results[m] = { value };
      else {
        const before = metricValue(m, prev.sums, prev.denominator);
        results[m] = { value, comparison_value: before, change: change(m, before, value) };
      }
    }
    return { body: { results }, source: plan.kind };
  }

  async timeseries(site: StatsSite, params: URLSearchParams): Promise<StatsAnswer> {
    const plan = this.plan(params);
    const { period, range, filters } = this.common(site, params);
    const metrics = parseMetrics(params.get('metrics'));
    const interval = parseInterval(params.get('interval'), period, range);
    checkConversion(metrics, filters);
    const q: SumsQuery = { siteId: site.id, range, filters };
    const cr = metrics.includes('conversion_rate');
    const base = { ...q, filters: withoutGoals(filters) };
    let labels: string[];
    let sums: Map<string, Sums>;
    let denominators: Map<string, Sums> | undefined;
    if (interval === 'hour') {
      labels = daysOf(range).flatMap((d) => Array.from({ length: 24 }, (_, h) => hourLabel(d, h)));
      sums = await plan.source(filters, { kind: 'hour' }).byHour(q);
      if (cr) denominators = await plan.source(base.filters, { kind: 'hour' }).byHour(base);
    } else {
      labels = [...new Set(daysOf(range).map((d) => bucketOf(d, interval, range)))];
      const bucket = (m: Map<string, Sums>): Map<string, Sums> => {
        const out = new Map<string, Sums>();
        for (const [day, s] of m) {
          const b = bucketOf(day, interval, range);
          out.set(b, addSums(out.get(b) ?? zeroSums(), s));
        }
        return out;
      };
      sums = bucket(await plan.source(filters, { kind: 'day' }).byDay(q));
      if (cr) denominators = bucket(await plan.source(base.filters, { kind: 'day' }).byDay(base));
    }
    const results = labels.map((date) => {
      const s = sums.get(date) ?? zeroSums();
      const row: Record<string, unknown> = { date };
      for (const m of metrics) row[m] = metricValue(m, s, denominators?.get(date)?.visitors ?? 0);
      return row;
    });
    return { body: { results }, source: plan.kind };
  }

  async breakdown(site: StatsSite, params: URLSearchParams, defaults?: { property?: string; metrics?: readonly Metric[] }): Promise<StatsAnswer> {
    const plan = this.plan(params);
    const { range, filters } = this.common(site, params);
    const propName = params.get('property') ?? defaults?.property ?? null;
    if (propName === null || propName === '') throw new StatsError('The `property` parameter is required. Please provide at least one property to show a breakdown by.');
    const property = propertyByName(propName);
    if (!property) throw new StatsError(`Invalid property '${propName}'. Please provide a valid property for the breakdown endpoint (see the properties in the stats API documentation).`);
    const metrics = parseMetrics(params.get('metrics'), defaults?.metrics);
    checkConversion(metrics, filters, property);
    const limit = intParam(params, 'limit', 100, 1, MAX_LIMIT);
    const page = intParam(params, 'page', 1, 1, Number.MAX_SAFE_INTEGER);
    const compare = parseCompare(params.get('compare'));
    const q: SumsQuery = { siteId: site.id, range, filters };
    const rows = await this.groups(plan, q, property, metrics, limit, (page - 1) * limit);
    let prev: Map<string, { row: GroupRow; denominator?: number }> | undefined;
    if (compare && rows.length > 0) {
      const pq = { ...q, range: compareRange(range, compare) };
      const values = [...new Set(rows.map((r) => r.row.value))];
      const before = await this.groups(plan, pq, property, metrics, undefined, 0, values);
      prev = new Map(before.map((b) => [groupKey(b.row), b]));
    }
    const results = rows.map(({ row, denominator }) => {
      const out: Record<string, unknown> = { [property.resultKey]: row.value };
      if (property.parent) out[property.parent.resultKey] = row.parent;
      for (const m of metrics) out[m] = metricValue(m, row.sums, denominator);
      if (prev) {
        const p = prev.get(groupKey(row));
        const ps = p?.row.sums ?? zeroSums();
        const comparison: Record<string, unknown> = {};
        const changes: Record<string, number | null> = {};
        for (const m of metrics) {
          const b = metricValue(m, ps, p?.denominator ?? 0);
          comparison[m] = b;
          changes[m] = change(m, b, out[m] as number | null);
        }
        out.comparison = { ...comparison, change: changes };
      }
      return out;
    });
    return { body: { results }, source: plan.kind };
  }

  /**
   * One page of groups sorted as Plausible sorts breakdowns: by the first metric other than
   * time_on_page (visitors if none), descending, then by value. conversion_rate needs per-group
   * denominators (the same breakdown without goal filters) and is sorted here rather than in SQL.
   */
  private async groups(
    plan: Plan, q: SumsQuery, property: Property, metrics: readonly Metric[], limit: number | undefined, offset: number, values?: readonly string[],
  ): Promise<{ row: GroupRow; denominator?: number }[]> {
    const sortMetric = metrics.find((m) => m !== 'time_on_page') ?? 'visitors';
    const src = plan.source(q.filters, { kind: 'property', property });
    const cr = metrics.includes('conversion_rate');
    if (!cr) {
      const rows = await src.byProperty(q, property, { orderBy: values ? undefined : sortSql(sortMetric), limit, offset: values ? undefined : offset, values });
      return rows.map((row) => ({ row }));
    }
    const base = { ...q, filters: withoutGoals(q.filters) };
    if (property.name === 'event:goal') {
      // Every goal divides by the same visitors: sorting by conversion_rate is sorting by visitors.
      const denominator = (await plan.source(base.filters, { kind: 'total' }).total(base)).visitors;
      const orderBy = sortMetric === 'conversion_rate' ? 'visitors' : sortSql(sortMetric);
      const rows = await src.byProperty(q, property, { orderBy: values ? undefined : orderBy, limit, offset: values ? undefined : offset, values });
      return rows.map((row) => ({ row, denominator }));
    }
    const all = await src.byProperty(q, property, { values });
    const denoms = await plan.source(base.filters, { kind: 'property', property }).byProperty(base, property, { values: values ?? [...new Set(all.map((r) => r.value))] });
    const byKey = new Map(denoms.map((d) => [groupKey(d), d.sums.visitors]));
    const rows = all.map((row) => ({ row, denominator: byKey.get(groupKey(row)) ?? 0 }));
    if (values) return rows;
    rows.sort((a, b) => {
      const d = compareDesc(sortValue(sortMetric, a.row.sums, a.denominator), sortValue(sortMetric, b.row.sums, b.denominator));
      if (d !== 0) return d;
      if (a.row.value !== b.row.value) return a.row.value < b.row.value ? -1 : 1;
      return (a.row.parent ?? '') < (b.row.parent ?? '') ? -1 : (a.row.parent ?? '') > (b.row.parent ?? '') ? 1 : 0;
    });
    return rows.slice(offset, limit === undefined ? undefined : offset + limit);
  }

  /** Beaconry: per CTA, impressions, hovers, clicks, unique clickers and click-through rate (%). */
  async ctas(site: StatsSite, params: URLSearchParams): Promise<StatsAnswer> {
    const plan = this.plan(params);
    const { range, filters } = this.common(site, params);
    const limit = intParam(params, 'limit', 100, 1, MAX_LIMIT);
    const page = intParam(params, 'page', 1, 1, Number.MAX_SAFE_INTEGER);
    const q: SumsQuery = { siteId: site.id, range, filters };
    const rows = await plan.source(filters, { kind: 'ctas' }).ctas(q, { limit, offset: (page - 1) * limit });
    const results = rows.map((r) => ({
      cta: r.cta,
      impressions: r.impressions,
      hovers: r.hovers,
      clicks: r.clicks,
      unique_clickers: r.clickers,
      ctr: r.impressions === 0 ? 0 : Math.round((10000 * r.clicks) / r.impressions) / 100,
    }));
    return { body: { results }, source: plan.kind };
  }

  /** Beaconry: engagement per page (time on page from engaged time, scroll depth): a breakdown with those defaults. */
  engagement(site: StatsSite, params: URLSearchParams): Promise<StatsAnswer> {
    return this.breakdown(site, params, { property: 'event:page', metrics: ['visitors', 'pageviews', 'time_on_page', 'scroll_depth'] });
  }

  private realtimeScope(site: StatsSite): { rel: string; since: Date } {
    const now = this.now();
    const since = now - REALTIME_MS;
    // Clock skew: the pipeline accepts timestamps up to a minute ahead.
    return { rel: this.store.eventsFrom(localDay(since, site.timezone), localDay(now + 120_000, site.timezone)), since: new Date(since) };
  }

  /** Plausible: visitors with any event in the last 5 minutes, as a bare number. */
  async realtimeVisitors(site: StatsSite): Promise<StatsAnswer> {
    const { rel, since } = this.realtimeScope(site);
    const rows = await this.store.query(`SELECT count(DISTINCT visitor_id) AS n FROM ${rel} e WHERE site_id = $1 AND ts >= $2`, [site.id, since]);
    return { body: Number(rows[0]?.n ?? 0), source: 'raw' };
  }

  /** Beaconry: the pages visitors are on right now (pageviews in the last 5 minutes). */
  async realtimePages(site: StatsSite, params: URLSearchParams): Promise<StatsAnswer> {
    const limit = intParam(params, 'limit', 10, 1, MAX_LIMIT);
    const { rel, since } = this.realtimeScope(site);
    const rows = await this.store.query(
      `SELECT pathname AS page, count(DISTINCT visitor_id) AS visitors FROM ${rel} e
       WHERE site_id = $1 AND ts >= $2 AND "type" = 'pageview' GROUP BY pathname ORDER BY visitors DESC, page LIMIT ${limit}`,
      [site.id, since],
    );
    return { body: { results: rows.map((r) => ({ page: String(r.page), visitors: Number(r.visitors) })) }, source: 'raw' };
  }
}

export type { CompareMode, DayRange };
