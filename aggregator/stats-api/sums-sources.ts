// Where the stats API's sums come from: the rollups (a few hundred pre-summed rows) when one covers
// the question, else a scan of the raw day partitions through the same visit SQL the rollups were
// computed with. Both sources answer every shape (total, per day, per hour, per property value, CTAs)
// with the same numbers; `plan` picks one.
import type { Store } from '../store/store.js';
import { groupExpr, sqlString, type Property } from '../rollups/properties.js';
import { ROLLUPS } from '../rollups/schema.js';
import {
  SUM_COLUMNS, ctaSumsPerDay, matchedEvents, sessionizedEvents, sumsPerDay, sumsPerHour, visitsOf,
} from '../rollups/visit-sql.js';
import { filterSql, filtersOnlyOn, filtersSql, rollupFilter, type Filter } from './filters.js';
import { sumsOf, type Sums } from './metrics.js';
import { hourLabel, type DayRange } from './periods.js';

export interface SumsQuery {
  siteId: string;
  range: DayRange;
  filters: readonly Filter[];
}

export interface GroupRow {
  value: string;
  parent: string | null;
  sums: Sums;
}

export interface CtaRow {
  cta: string;
  impressions: number;
  hovers: number;
  clicks: number;
  clickers: number;
}

export interface GroupOptions {
  /** SQL over summed columns to sort by (descending, nulls last; ties by value). Omitted: every group, unsorted. */
  orderBy?: string;
  limit?: number;
  offset?: number;
  /** Only these values (comparisons look up the rows of the current page). */
  values?: readonly string[];
}

export type SourceKind = 'rollups' | 'raw';

export interface SumsSource {
  readonly kind: SourceKind;
  total(q: SumsQuery): Promise<Sums>;
  /** Keyed by site-local day. */
  byDay(q: SumsQuery): Promise<Map<string, Sums>>;
  /** Keyed by hourLabel(day, hour). */
  byHour(q: SumsQuery): Promise<Map<string, Sums>>;
  byProperty(q: SumsQuery, p: Property, opts?: GroupOptions): Promise<GroupRow[]>;
  ctas(q: SumsQuery, opts?: { limit?: number; offset?: number }): Promise<CtaRow[]>;
}

const SUM_SELECT = SUM_COLUMNS.map((c) => `sum(${c}) AS ${c}`).join(', ');
const CTA_SELECT = 'sum(impressions) AS impressions, sum(hovers) AS hovers, sum(clicks) AS clicks, sum(clickers) AS clickers';
const CTA_ORDER = 'ORDER BY impressions DESC, clicks DESC, cta';

function pageSql(opts: GroupOptions | { limit?: number; offset?: number }): string {
  const limit = opts.limit !== undefined ? ` LIMIT ${Math.trunc(opts.limit)}` : '';
  const offset = opts.offset ? ` OFFSET ${Math.trunc(opts.offset)}` : '';
  return limit + offset;
}

function groupTail(opts: GroupOptions): string {
  const where = opts.values ? ` WHERE list_contains($4::VARCHAR[], value)` : '';
  const order = opts.orderBy ? ` ORDER BY ${opts.orderBy} DESC NULLS LAST, value, parent NULLS FIRST` : '';
  return `${where}${order}${pageSql(opts)}`;
}

const toRows = (rows: Record<string, unknown>[]): GroupRow[] =>
  rows.map((r) => ({ value: String(r.value), parent: r.parent === null || r.parent === undefined ? null : String(r.parent), sums: sumsOf(r) }));

const toCtas = (rows: Record<string, unknown>[]): CtaRow[] =>
  rows.map((r) => ({ cta: String(r.cta), impressions: Number(r.impressions ?? 0), hovers: Number(r.hovers ?? 0), clicks: Number(r.clicks ?? 0), clickers: Number(r.clickers ?? 0) }));

function byDayMap(rows: Record<string, unknown>[]): Map<string, Sums> {
  return new Map(rows.map((r) => [String(r.day), sumsOf(r)]));
}

/** Sums from rollups.duckdb. Only valid for questions `plan` says rollups cover. */
export class RollupSource implements SumsSource {
  readonly kind = 'rollups';
  constructor(private readonly store: Store) {}

  /** The table and extra conditions for the query's (at most one, plain `==`) filter. */
  private scope(q: SumsQuery): { from: string; where: string; params: unknown[] } {
    const rf = rollupFilter(q.filters);
    const params: unknown[] = [q.siteId, q.range.from, q.range.to];
    const base = 'site_id = $1 AND day BETWEEN $2::DATE AND $3::DATE';
    if (rf === undefined) throw new Error('rollups do not cover these filters');
    if (rf === 'none') return { from: `${ROLLUPS}.main.daily`, where: base, params };
    return { from: `${ROLLUPS}.main.dims`, where: `${base} AND property = ${sqlString(rf.property.name)} AND value = ${sqlString(rf.value)}`, params };
  }

  async total(q: SumsQuery): Promise<Sums> {
    const s = this.scope(q);
    return sumsOf((await this.store.query(`SELECT ${SUM_SELECT} FROM ${s.from} WHERE ${s.where}`, s.params))[0] ?? {});
  }

  async byDay(q: SumsQuery): Promise<Map<string, Sums>> {
    const s = this.scope(q);
    return byDayMap(await this.store.query(`SELECT day, ${SUM_SELECT} FROM ${s.from} WHERE ${s.where} GROUP BY day`, s.params));
  }

  async byHour(q: SumsQuery): Promise<Map<string, Sums>> {
    if (q.filters.length > 0) throw new Error('hourly rollups hold site totals only');
    const rows = await this.store.query(
      `SELECT day, hour, ${SUM_SELECT} FROM ${ROLLUPS}.main.hourly WHERE site_id = $1 AND day BETWEEN $2::DATE AND $3::DATE GROUP BY day, hour`,
      [q.siteId, q.range.from, q.range.to],
    );
    return new Map(rows.map((r) => [hourLabel(String(r.day), Number(r.hour)), sumsOf(r)]));
  }

  async byProperty(q: SumsQuery, p: Property, opts: GroupOptions = {}): Promise<GroupRow[]> {
    if (!rollupsCover(q.filters, { kind: 'property', property: p })) throw new Error('rollups do not cover this breakdown');
    if (opts.values?.length === 0) return [];
    const only = q.filters.length === 0 ? '' : ` AND ${q.filters.map((f) => `(${filterSql(f, 'value', true)})`).join(' AND ')}`;
    const params: unknown[] = [q.siteId, q.range.from, q.range.to];
    if (opts.values) params.push([...opts.values]);
    const sql = `SELECT * FROM (
        SELECT value, parent, ${SUM_SELECT} FROM ${ROLLUPS}.main.dims
        WHERE site_id = $1 AND day BETWEEN $2::DATE AND $3::DATE AND property = ${sqlString(p.name)}${only}
        GROUP BY value, parent
      )${groupTail(opts)}`;
    return toRows(await this.store.query(sql, params));
  }

  async ctas(q: SumsQuery, opts: { limit?: number; offset?: number } = {}): Promise<CtaRow[]> {
    if (!rollupsCover(q.filters, { kind: 'ctas' })) throw new Error('rollups do not cover these CTA filters');
    const only = q.filters.length === 0 ? '' : ` AND ${q.filters.map((f) => `(${filterSql(f, 'cta', true)})`).join(' AND ')}`;
    const rows = await this.store.query(
      `SELECT * FROM (SELECT cta, ${CTA_SELECT} FROM ${ROLLUPS}.main.ctas WHERE site_id = $1 AND day BETWEEN $2::DATE AND $3::DATE${only} GROUP BY cta) ${CTA_ORDER}${pageSql(opts)}`,
      [q.siteId, q.range.from, q.range.to],
    );
    return toCtas(rows);
  }
}

/** Sums computed from the raw day partitions of the range (any filters, any grouping). */
export class RawSource implements SumsSource {
  readonly kind = 'raw';
  constructor(private readonly store: Store) {}

  /** sev (sessionized events) → vis (visits) → m (events matching the filters, with their visit's columns). */
  private ctes(q: SumsQuery): string {
    const src = this.store.eventsFrom(q.range.from, q.range.to);
    return `WITH sev AS MATERIALIZED (${sessionizedEvents(src, `site_id = $1 AND "day" BETWEEN $2::DATE AND $3::DATE`)}),
      vis AS MATERIALIZED (${visitsOf('sev')}),
      m AS (${matchedEvents('sev', 'vis', filtersSql(q.filters))})`;
  }

  private params(q: SumsQuery): unknown[] {
    return [q.siteId, q.range.from, q.range.to];
  }

  async total(q: SumsQuery): Promise<Sums> {
    const rows = await this.store.query(`${this.ctes(q)} SELECT ${SUM_SELECT} FROM (${sumsPerDay('m', "''")})`, this.params(q));
    return sumsOf(rows[0] ?? {});
  }

  async byDay(q: SumsQuery): Promise<Map<string, Sums>> {
    return byDayMap(await this.store.query(`${this.ctes(q)} SELECT day, ${SUM_SELECT} FROM (${sumsPerDay('m', "''")}) GROUP BY day`, this.params(q)));
  }

  async byHour(q: SumsQuery): Promise<Map<string, Sums>> {
    const rows = await this.store.query(`${this.ctes(q)} SELECT day, hour, ${SUM_SELECT} FROM (${sumsPerHour('m')}) GROUP BY day, hour`, this.params(q));
    return new Map(rows.map((r) => [hourLabel(String(r.day), Number(r.hour)), sumsOf(r)]));
  }

  async byProperty(q: SumsQuery, p: Property, opts: GroupOptions = {}): Promise<GroupRow[]> {
    if (opts.values?.length === 0) return [];
    const params = this.params(q);
    if (opts.values) params.push([...opts.values]);
    const parent = p.parent ? groupExpr(p.parent) : 'NULL';
    const sql = `${this.ctes(q)} SELECT * FROM (
        SELECT g AS value, g_parent AS parent, ${SUM_SELECT} FROM (${sumsPerDay('m', groupExpr(p), parent)}) GROUP BY g, g_parent
      )${groupTail(opts)}`;
    return toRows(await this.store.query(sql, params));
  }

  async ctas(q: SumsQuery, opts: { limit?: number; offset?: number } = {}): Promise<CtaRow[]> {
    const rows = await this.store.query(
      `${this.ctes(q)} SELECT * FROM (SELECT cta, ${CTA_SELECT} FROM (${ctaSumsPerDay('m')}) GROUP BY cta) ${CTA_ORDER}${pageSql(opts)}`,
      this.params(q),
    );
    return toCtas(rows);
  }
}

/** What a question needs from a source. */
export type Need = { kind: 'total' } | { kind: 'day' } | { kind: 'hour' } | { kind: 'property'; property: Property } | { kind: 'ctas' };

/**
 * True when the rollups hold exactly the sums this question needs: no filter; or one plain `==`
 * filter (its rollup row) for totals and days; or, for a breakdown (or the CTA report), filters on
 * the broken-down property only, which just pick rows.
 */
export function rollupsCover(filters: readonly Filter[], need: Need): boolean {
  switch (need.kind) {
    case 'total':
    case 'day':
      return rollupFilter(filters) !== undefined;
    case 'hour':
      return filters.length === 0;
    case 'property':
      return filters.length === 0 || filtersOnlyOn(filters, need.property);
    case 'ctas':
      return filters.length === 0 || filters.every((f) => f.property.name === 'event:cta');
  }
}
