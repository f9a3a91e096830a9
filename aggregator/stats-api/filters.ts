// The `filters` parameter, Plausible's syntax: `visit:browser==Chrome;event:page==/blog*`. `;` joins
// filters with AND, `|` lists alternatives, `*` is a wildcard in `==` / `!=` values, `~` / `!~` mean
// contains / does not contain, and a backslash escapes `|`, `;` or itself. Each filter becomes a SQL
// predicate over one matched event row, which carries its visit's columns too.
import { groupExpr, propertyByName, sqlString, type Property } from '../rollups/properties.js';
import { StatsError } from './stats-error.js';

export type FilterOp = 'is' | 'is_not' | 'contains' | 'not_contains';

export interface Filter {
  readonly property: Property;
  readonly op: FilterOp;
  readonly values: readonly string[];
}

const OPS: Record<string, FilterOp> = { '==': 'is', '!=': 'is_not', '~': 'contains', '!~': 'not_contains' };
const FILTER_RE = /^(event:props:.+?|[a-z_]+:[a-z_]+)(==|!=|!~|~)(.*)$/s;

/** Splits on `sep` where it is not escaped by a backslash; unescapes nothing. */
function splitUnescaped(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (ch === '\\' && i + 1 < s.length) {
      cur += ch + s[i + 1]!;
      i++;
    } else if (ch === sep) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

const unescape = (s: string): string => s.replace(/\\(.)/gs, '$1');

export function parseFilters(raw: string | null | undefined): Filter[] {
  if (raw === null || raw === undefined || raw.trim() === '') return [];
  const out: Filter[] = [];
  for (const part of splitUnescaped(raw, ';')) {
    const text = part.trim();
    if (text === '') continue;
    const m = FILTER_RE.exec(text);
    if (!m) throw new StatsError(`Invalid filter "${text}". Filters look like visit:browser==Chrome;event:page==/blog* (operators ==, !=, ~, !~).`);
    const property = propertyByName(m[1]!);
    if (!property) throw new StatsError(`Invalid filter property '${m[1]}'. Please provide a valid filter property: see the properties in the stats API documentation.`);
    const values = splitUnescaped(m[3]!, '|').map(unescape);
    if (values.length === 0 || values.some((v) => v.length === 0)) throw new StatsError(`Filter "${text}" has an empty value.`);
    out.push({ property, op: OPS[m[2]!]!, values });
  }
  return out;
}

/** A value with `*` as a SQL LIKE pattern (`*` matches anything, `/` included). */
function likePattern(v: string): string {
  return v.replace(/[\\%_]/g, (c) => `\\${c}`).replaceAll('*', '%');
}

const hasWildcard = (v: string): boolean => v.includes('*');

/** `column` matches `v` under `==` (equality, or LIKE with a wildcard). NULL stays NULL. */
function isMatch(column: string, v: string): string {
  return hasWildcard(v) ? `(${column} LIKE ${sqlString(likePattern(v))} ESCAPE '\\')` : `(${column} = ${sqlString(v)})`;
}

/** Goal values: `Visit /path` is a pageview goal (the path may have wildcards), anything else an event name. */
function goalMatch(goalExpr: string, v: string, contains: boolean): string {
  if (v.startsWith('Visit ')) {
    const path = v.slice('Visit '.length);
    return `("type" = 'pageview' AND ${contains ? `contains(pathname, ${sqlString(path)})` : isMatch('pathname', path)})`;
  }
  return contains ? `contains(${goalExpr}, ${sqlString(v)})` : isMatch(goalExpr, v);
}

/**
 * SQL predicate of one filter (never NULL: a missing value is "not equal" and "does not contain").
 * `target` defaults to the property's value on a matched event row; rollup rows pass their `value`
 * column (and never hold a pageview goal).
 */
export function filterSql(f: Filter, target = groupExpr(f.property), rollupRows = false): string {
  const contains = f.op === 'contains' || f.op === 'not_contains';
  const one = (v: string): string => {
    if (f.property.name === 'event:goal' && rollupRows && v.startsWith('Visit ')) return 'false';
    if (f.property.name === 'event:goal' && !rollupRows) return goalMatch(target, v, contains);
    return contains ? `contains(${target}, ${sqlString(v)})` : isMatch(target, v);
  };
  const any = `coalesce(${f.values.map(one).join(' OR ')}, false)`;
  return f.op === 'is' || f.op === 'contains' ? any : `NOT ${any}`;
}

/** AND of every filter's predicate ("true" for none). */
export function filtersSql(filters: readonly Filter[]): string {
  return filters.length === 0 ? 'true' : filters.map((f) => `(${filterSql(f)})`).join(' AND ');
}

/**
 * The one (property, value) a rollup row answers for: a single `==` filter with one plain value on
 * a rolled-up property. Anything else (several filters, alternatives, wildcards, negations, contains,
 * pageview goals, version properties grouped under their parent) needs the raw partitions.
 */
export function rollupFilter(filters: readonly Filter[]): { property: Property; value: string } | 'none' | undefined {
  if (filters.length === 0) return 'none';
  if (filters.length > 1) return undefined;
  const f = filters[0]!;
  const v = f.values[0]!;
  if (f.op !== 'is' || f.values.length !== 1 || hasWildcard(v) || f.property.parent) return undefined;
  if (f.property.name === 'event:goal' && v.startsWith('Visit ')) return undefined;
  return { property: f.property, value: v };
}

export const isGoalFilter = (f: Filter): boolean => f.property.name === 'event:goal';

/**
 * True when every filter is on `property` itself: then a breakdown by that property is its
 * unfiltered breakdown with the rows whose value fails a filter left out (each row is one value,
 * and a visit or event counts under a value only if it carries it), so rollup rows answer it.
 */
export function filtersOnlyOn(filters: readonly Filter[], property: Property): boolean {
  return filters.length > 0 && filters.every((f) => f.property.name === property.name);
}
