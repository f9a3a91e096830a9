// The test oracle: the stats API's questions asked of the raw `events` view with plain SQL written
// apart from the product's query builder (string visit keys, DISTINCT ON for first events, regular
// expressions for wildcards), so a shared mistake would have to be made twice in different words.
import type { Store } from '../../../aggregator/store/store.js';

export type OracleOp = 'is' | 'is_not' | 'contains' | 'not_contains';
export interface OracleFilter {
  property: string;
  op: OracleOp;
  values: string[];
}
export type OracleGroup = { kind: 'none' } | { kind: 'day' } | { kind: 'hour' } | { kind: 'property'; property: string };

export interface OracleSums {
  visitors: number;
  visits: number;
  pageviews: number;
  events: number;
  bounces: number;
  duration_ms: number;
  engaged_ms: number;
  engagements: number;
  scroll_sum: number;
  scroll_n: number;
}

export interface OracleCta {
  impressions: number;
  hovers: number;
  clicks: number;
  clickers: number;
}

const lit = (s: string): string => `'${s.replaceAll("'", "''")}'`;

/** Visit properties: the column of the visit's first event, and the label shown when it is empty. */
const VISIT_PROPS: Record<string, { col: string; label?: string }> = {
  'visit:source': { col: 'referrer_source', label: 'Direct / None' },
  'visit:referrer': { col: 'referrer', label: 'Direct / None' },
  'visit:channel': { col: 'channel', label: '(not set)' },
  'visit:utm_source': { col: 'utm_source' },
  'visit:utm_medium': { col: 'utm_medium' },
  'visit:utm_campaign': { col: 'utm_campaign' },
  'visit:utm_content': { col: 'utm_content' },
  'visit:utm_term': { col: 'utm_term' },
  'visit:click_id': { col: 'click_id' },
  'visit:country': { col: 'country' },
  'visit:device': { col: 'device', label: '(not set)' },
  'visit:browser': { col: 'browser', label: '(not set)' },
  'visit:browser_version': { col: 'browser_version', label: '(not set)' },
  'visit:os': { col: 'os', label: '(not set)' },
  'visit:os_version': { col: 'os_version', label: '(not set)' },
};
const EVENT_PROPS: Record<string, string> = {
  'event:page': 'pathname',
  'event:name': 'name',
  'event:hostname': 'hostname',
  'event:cta': 'cta_id',
  'event:link_url': 'link_url',
  'event:form': 'form_id',
};
const GOAL_TYPES = `('cta_click', 'outbound', 'download', 'form_submit', 'copy', 'custom')`;

/** SQL (over a `hits` row) giving the property's value, NULL when it has none. */
export function valueSql(property: string): string {
  const v = VISIT_PROPS[property];
  if (v) return v.label ? `CASE WHEN vis_${v.col} IS NULL OR vis_${v.col} = '' THEN ${lit(v.label)} ELSE vis_${v.col} END` : `vis_${v.col}`;
  if (property === 'visit:entry_page') return 'entry_page';
  if (property === 'visit:exit_page') return 'exit_page';
  if (property === 'event:goal') return `(CASE WHEN "type" IN ${GOAL_TYPES} THEN name ELSE NULL END)`;
  if (property.startsWith('event:props:')) {
    const key = property.slice('event:props:'.length).replaceAll('\\', '\\\\').replaceAll('"', '\\"');
    return `json_extract_string(props, ${lit(`$."${key}"`)})`;
  }
  const col = EVENT_PROPS[property];
  if (!col) throw new Error(`oracle: unknown property ${property}`);
  return `"${col}"`;
}

/** The parent a breakdown also groups by. */
export function parentOf(property: string): string | undefined {
  return property === 'visit:browser_version' ? 'visit:browser' : property === 'visit:os_version' ? 'visit:os' : undefined;
}

const regexEscape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function matchOne(expr: string, op: OracleOp, v: string): string {
  if (op === 'contains' || op === 'not_contains') return `(strpos(${expr}, ${lit(v)}) > 0)`;
  if (v.includes('*')) return `regexp_full_match(${expr}, ${lit(v.split('*').map(regexEscape).join('.*'))})`;
  return `(${expr} = ${lit(v)})`;
}

function filterSql(f: OracleFilter): string {
  const one = (v: string): string => {
    if (f.property === 'event:goal' && v.startsWith('Visit ')) return `("type" = 'pageview' AND ${matchOne('pathname', f.op, v.slice(6))})`;
    return matchOne(valueSql(f.property), f.op, v);
  };
  const any = f.values.map((v) => `coalesce(${one(v)}, false)`).join(' OR ');
  return f.op === 'is' || f.op === 'contains' ? `(${any})` : `NOT (${any})`;
}

function hitsSql(filters: readonly OracleFilter[]): string {
  const visCols = Object.values(VISIT_PROPS).map((p) => `f.${p.col} AS vis_${p.col}`).join(', ');
  const where = filters.length === 0 ? 'true' : filters.map(filterSql).join(' AND ');
  return `WITH base AS (SELECT * FROM events WHERE site_id = $1 AND day BETWEEN $2::DATE AND $3::DATE),
    lagged AS (SELECT *, lag(ts) OVER (PARTITION BY day, visitor_id, session_id ORDER BY ts, event_id) AS prev_ts FROM base),
    keyed AS (SELECT *, CASE WHEN session_id <> 0 THEN 0 ELSE
        sum(CASE WHEN prev_ts IS NULL OR prev_ts < ts - INTERVAL 30 MINUTE THEN 1 ELSE 0 END)
          OVER (PARTITION BY day, visitor_id, session_id ORDER BY ts, event_id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) END AS run
      FROM lagged),
    ev AS (SELECT *, concat_ws('|', day, visitor_id, session_id, run) AS visit FROM keyed),
    firsts AS (SELECT DISTINCT ON (visit) visit, hour AS start_hour, ${Object.values(VISIT_PROPS).map((p) => p.col).join(', ')} FROM ev ORDER BY visit, ts, event_id),
    entries AS (SELECT DISTINCT ON (visit) visit, pathname AS entry_page FROM ev WHERE "type" = 'pageview' ORDER BY visit, ts, event_id),
    exits AS (SELECT DISTINCT ON (visit) visit, pathname AS exit_page FROM ev WHERE "type" = 'pageview' ORDER BY visit, ts DESC, event_id DESC),
    agg AS (SELECT visit, count(*) FILTER (WHERE "type" = 'pageview') AS pv, bool_or(interactive) AS inter,
        epoch_ms(max(ts)) - epoch_ms(min(ts)) AS span FROM ev GROUP BY visit),
    visits AS (SELECT f.visit, f.start_hour, ${visCols}, en.entry_page, ex.exit_page,
        (a.pv = 1 AND NOT a.inter) AS bounced, CASE WHEN a.pv = 1 AND NOT a.inter THEN 0 ELSE a.span END AS dur
      FROM firsts f JOIN agg a ON a.visit = f.visit LEFT JOIN entries en ON en.visit = f.visit LEFT JOIN exits ex ON ex.visit = f.visit),
    hits AS (SELECT e.*, v.* EXCLUDE (visit) FROM ev e JOIN visits v ON v.visit = e.visit WHERE ${where})`;
}

const num = (v: unknown): number => Number(v ?? 0);

function toSums(r: Record<string, unknown>): OracleSums {
  return {
    visitors: num(r.visitors), visits: num(r.visits), pageviews: num(r.pageviews), events: num(r.events),
    bounces: num(r.bounces), duration_ms: num(r.duration_ms), engaged_ms: num(r.engaged_ms), engagements: num(r.engagements),
    scroll_sum: num(r.scroll_sum), scroll_n: num(r.scroll_n),
  };
}

/** Sums per group: key '' for none, the day, 'YYYY-MM-DD HH:00:00', or value + '\u0000' + parent value. */
export async function oracleSums(
  store: Store, siteId: string, from: string, to: string, filters: readonly OracleFilter[], group: OracleGroup,
): Promise<Map<string, OracleSums>> {
  const params = [siteId, from, to];
  const hits = hitsSql(filters);
  let sql: string;
  if (group.kind === 'hour') {
    sql = `${hits},
      ev_part AS (SELECT day, hour, count(DISTINCT visitor_id) AS visitors, count(*) FILTER (WHERE "type" = 'pageview') AS pageviews,
          count(*) FILTER (WHERE "type" <> 'engagement') AS events,
          sum(CASE WHEN "type" = 'engagement' THEN engaged_ms ELSE 0 END) AS engaged_ms,
          count(CASE WHEN "type" = 'engagement' THEN engaged_ms END) AS engagements,
          sum(CASE WHEN "type" = 'engagement' THEN scroll_depth ELSE 0 END) AS scroll_sum,
          count(CASE WHEN "type" = 'engagement' THEN scroll_depth END) AS scroll_n
        FROM hits GROUP BY day, hour),
      vis_part AS (SELECT day, start_hour AS hour, count(*) AS visits, sum(CASE WHEN bounced THEN 1 ELSE 0 END) AS bounces, sum(dur) AS duration_ms
        FROM (SELECT DISTINCT visit, day, start_hour, bounced, dur FROM hits) GROUP BY day, start_hour)
      SELECT strftime(coalesce(a.day, b.day), '%Y-%m-%d') || ' ' || lpad(CAST(coalesce(a.hour, b.hour) AS VARCHAR), 2, '0') || ':00:00' AS k,
        a.visitors, b.visits, a.pageviews, a.events, b.bounces, b.duration_ms, a.engaged_ms, a.engagements, a.scroll_sum, a.scroll_n
      FROM ev_part a FULL OUTER JOIN vis_part b ON a.day = b.day AND a.hour = b.hour`;
  } else {
    let key = `''`;
    let parent = `''`;
    if (group.kind === 'day') key = `strftime(day, '%Y-%m-%d')`;
    if (group.kind === 'property') {
      key = valueSql(group.property);
      const p = parentOf(group.property);
      if (p) parent = valueSql(p);
    }
    sql = `${hits},
      keyed_hits AS (SELECT *, ${key} AS k, ${parent} AS kp FROM hits),
      counted AS (SELECT k, kp, sum(visitors) AS visitors, sum(pageviews) AS pageviews, sum(events) AS events, sum(engaged_ms) AS engaged_ms,
          sum(engagements) AS engagements, sum(scroll_sum) AS scroll_sum, sum(scroll_n) AS scroll_n FROM (
        SELECT k, kp, day, count(DISTINCT visitor_id) AS visitors, count(*) FILTER (WHERE "type" = 'pageview') AS pageviews,
          count(*) FILTER (WHERE "type" <> 'engagement') AS events,
          sum(CASE WHEN "type" = 'engagement' THEN engaged_ms ELSE 0 END) AS engaged_ms,
          count(CASE WHEN "type" = 'engagement' THEN engaged_ms END) AS engagements,
          sum(CASE WHEN "type" = 'engagement' THEN scroll_depth ELSE 0 END) AS scroll_sum,
          count(CASE WHEN "type" = 'engagement' THEN scroll_depth END) AS scroll_n
        FROM keyed_hits WHERE k IS NOT NULL GROUP BY k, kp, day) GROUP BY k, kp),
      per_visit AS (SELECT k, kp, count(*) AS visits, sum(CASE WHEN bounced THEN 1 ELSE 0 END) AS bounces, sum(dur) AS duration_ms
        FROM (SELECT DISTINCT k, kp, visit, bounced, dur FROM keyed_hits WHERE k IS NOT NULL) GROUP BY k, kp)
      SELECT c.k || chr(0) || coalesce(c.kp, '') AS gk, c.*, p.visits, p.bounces, p.duration_ms FROM counted c JOIN per_visit p ON p.k = c.k AND p.kp IS NOT DISTINCT FROM c.kp`;
  }
  const rows = await store.query(sql, params);
  const out = new Map<string, OracleSums>();
  for (const r of rows) {
    const raw = String(group.kind === 'hour' ? r.k : r.gk);
    out.set(group.kind === 'none' ? '' : group.kind === 'day' ? raw.split('\u0000')[0]! : raw, toSums(r));
  }
  return out;
}

/** Per CTA: impressions, hovers, clicks, and clickers (distinct per day, summed). */
export async function oracleCtas(store: Store, siteId: string, from: string, to: string, filters: readonly OracleFilter[]): Promise<Map<string, OracleCta>> {
  const rows = await store.query(
    `${hitsSql(filters)}
     SELECT cta_id, sum(i) AS impressions, sum(h) AS hovers, sum(c) AS clicks, sum(u) AS clickers FROM (
       SELECT cta_id, day, count(*) FILTER (WHERE "type" = 'cta_impression') AS i, count(*) FILTER (WHERE "type" = 'cta_hover') AS h,
         count(*) FILTER (WHERE "type" = 'cta_click') AS c, count(DISTINCT CASE WHEN "type" = 'cta_click' THEN visitor_id END) AS u
       FROM hits WHERE cta_id IS NOT NULL GROUP BY cta_id, day) GROUP BY cta_id`,
    [siteId, from, to],
  );
  return new Map(rows.map((r) => [String(r.cta_id), { impressions: num(r.impressions), hovers: num(r.hovers), clicks: num(r.clicks), clickers: num(r.clickers) }]));
}
