// The SQL both the rollups and the stats API's raw path are built from: events → visits (sessions),
// visits and events → filtered rows → per-visit partials → per-day sums. One definition of every
// metric, so a rollup row and a scan of raw partitions give the same numbers (invariant 6).
//
// Definitions (the README's stats section says the same in prose):
// - A visit is the tracker's session (session_id ≠ 0) within one site-local day, or, for events
//   without one (server-side, drop-in clients), a run of a visitor's events with gaps ≤ 30 minutes.
//   Visitor ids are day-scoped, so visits never cross a site-local day.
// - Bounce: a visit with exactly one pageview and no interactive event (`interactive` is false for
//   pageview, engagement, cta_impression, cta_hover and events sent with `ni`).
// - Visit duration: last event − first event (engagement events mark when a page was left); 0 for a bounce.
// - Visitors: distinct visitor ids per day, summed over days (exact, see design.md "Unique visitors").
import { DIMENSIONS } from '../../core/event-contract.js';
import { FIRST_EVENT_VISIT_PROPERTIES, valueExpr, type RowForm } from './properties.js';

/** The event columns stats need (the rest, like copied text, never leave the partition). */
export const EVENT_COLUMNS: readonly string[] = [
  ...new Set([
    'site_id', 'day', 'hour', 'ts', 'event_id', 'type', 'name', 'visitor_id', 'session_id', 'interactive',
    'engaged_ms', 'scroll_depth', 'props', 'pathname', ...DIMENSIONS.map((d) => d.name),
  ]),
];

/** Columns that identify one visit. */
export const VISIT_KEY = 'site_id, day, visitor_id, session_id, seq';

export const SESSION_GAP_MINUTES = 30;

/** Additive sums every metric is derived from; one set per rollup row. */
export const SUM_COLUMNS = [
  'visitors', 'visits', 'pageviews', 'events', 'bounces', 'duration_ms', 'engaged_ms', 'engagements', 'scroll_sum', 'scroll_n',
] as const;
export type SumColumn = (typeof SUM_COLUMNS)[number];

/**
 * Events of `src` (a relation) matching `where`, each with `seq`: which of the visitor's session-less
 * visits that day it belongs to (0 for tracker sessions, which are one visit each). Only session-less
 * events need a window (the gap to the previous event), so tracker sessions skip the sort.
 */
export function sessionizedEvents(src: string, where: string): string {
  // `ord`: (ts, event_id) as one HUGEINT, the order events happen in within a visit (event ids are
  // unique per site, so it is total); one integer compares faster than a struct in arg_min.
  const cols = `${EVENT_COLUMNS.map((c) => `"${c}"`).join(', ')}, CAST(epoch_ms(ts) AS HUGEINT) * 18446744073709551616 + event_id AS ord`;
  const win = 'PARTITION BY site_id, "day", visitor_id ORDER BY ord';
  return `SELECT ${cols}, 0 AS seq FROM ${src} AS e WHERE (${where}) AND session_id <> 0
    UNION ALL BY NAME
    SELECT * EXCLUDE (brk), sum(brk) OVER (${win} ROWS UNBOUNDED PRECEDING) AS seq FROM (
      SELECT ${cols}, CASE WHEN lag(ts) OVER w IS NULL OR ts - lag(ts) OVER w > INTERVAL ${SESSION_GAP_MINUTES} MINUTE THEN 1 ELSE 0 END AS brk
      FROM ${src} AS e WHERE (${where}) AND session_id = 0
      WINDOW w AS (${win})
    )`;
}

/** Per-visit (or per group and visit) partial sums over events; `bounce` and `duration_ms` come from the visit. */
const EVENT_PARTIALS = `count(*) FILTER (WHERE "type" = 'pageview') AS pageviews,
        count(*) FILTER (WHERE "type" <> 'engagement') AS events,
        coalesce(sum(engaged_ms) FILTER (WHERE "type" = 'engagement'), 0) AS engaged_ms,
        count(engaged_ms) FILTER (WHERE "type" = 'engagement') AS engagements,
        coalesce(sum(scroll_depth) FILTER (WHERE "type" = 'engagement'), 0) AS scroll_sum,
        count(scroll_depth) FILTER (WHERE "type" = 'engagement') AS scroll_n`;

/**
 * One row per visit of the sessionized events relation `sev`: bounce, duration, the visit's
 * properties (from its first event; entry and exit page from its first and last pageview), and the
 * visit's event sums. `form`: how `sev`'s rows carry the dictionary columns (the visit columns then
 * hold codes too, see CodedValue).
 */
export function visitsOf(sev: string, form: RowForm = 'text'): string {
  const first = 'ord';
  const props = FIRST_EVENT_VISIT_PROPERTIES.map((p) => `arg_min_null(${valueExpr(p, form)}, ${first}) AS ${p.visitColumn}`).join(',\n    ');
  const pv = `count(*) FILTER (WHERE "type" = 'pageview')`;
  const bounce = `(${pv} = 1 AND NOT bool_or(interactive))`;
  return `SELECT ${VISIT_KEY},
    arg_min_null("hour", ${first}) AS start_hour,
    CAST(${bounce} AS INTEGER) AS bounce,
    CASE WHEN ${bounce} THEN 0 ELSE epoch_ms(max(ts)) - epoch_ms(min(ts)) END AS duration_ms,
    ${props},
    arg_min(pathname, ${first}) FILTER (WHERE "type" = 'pageview') AS v_entry_page,
    arg_max(pathname, ${first}) FILTER (WHERE "type" = 'pageview') AS v_exit_page,
    ${EVENT_PARTIALS}
  FROM ${sev} GROUP BY ${VISIT_KEY}`;
}

/** Per-day sums of a visits relation grouped by `group` (a visit column; NULL groups left out). Same columns as sumsPerDay. */
export function visitSumsPerDay(vis: string, group: string, parent = 'NULL'): string {
  return `SELECT site_id, ${group} AS g, ${parent} AS g_parent, "day",
      count(DISTINCT visitor_id) AS visitors, count(*) AS visits, sum(pageviews) AS pageviews, sum(events) AS events,
      sum(bounce) AS bounces, sum(duration_ms) AS duration_ms, sum(engaged_ms) AS engaged_ms, sum(engagements) AS engagements,
      sum(scroll_sum) AS scroll_sum, sum(scroll_n) AS scroll_n
    FROM ${vis} WHERE ${group} IS NOT NULL GROUP BY site_id, g, g_parent, "day"`;
}

/**
 * Per-day sums of events grouped by an event expression, each visit counted once per value its
 * events carry (bounce and duration from the visits relation). Same columns as sumsPerDay.
 */
export function eventSumsPerDay(sev: string, vis: string, group: string): string {
  return `SELECT site_id, g, NULL AS g_parent, "day",
      count(DISTINCT visitor_id) AS visitors, count(*) AS visits, sum(p.pageviews) AS pageviews, sum(p.events) AS events,
      sum(v.bounce) AS bounces, sum(v.duration_ms) AS duration_ms, sum(p.engaged_ms) AS engaged_ms, sum(p.engagements) AS engagements,
      sum(p.scroll_sum) AS scroll_sum, sum(p.scroll_n) AS scroll_n
    FROM (
      SELECT ${VISIT_KEY}, ${group} AS g, ${EVENT_PARTIALS}
      FROM ${sev} WHERE ${group} IS NOT NULL GROUP BY ALL
    ) p JOIN ${vis} v USING (${VISIT_KEY})
    GROUP BY site_id, g, "day"`;
}

/** Events joined with their visit's columns, kept when `where` (visit and event filters) holds. */
export function matchedEvents(sev: string, vis: string, where: string): string {
  const visitCols = ['start_hour', 'bounce', 'duration_ms', ...FIRST_EVENT_VISIT_PROPERTIES.map((p) => p.visitColumn!), 'v_entry_page', 'v_exit_page'];
  return `SELECT e.*, ${visitCols.map((c) => `v.${c}`).join(', ')} FROM ${sev} e JOIN ${vis} v USING (${VISIT_KEY}) WHERE ${where}`;
}

/**
 * Per-day sums grouped by `group` (a SQL expression over matched events; rows where it is NULL are
 * left out) and `parent` (NULL when the property has none). Columns: site_id, g, g_parent, day, SUM_COLUMNS.
 * A visit counts once under each value its events carry.
 */
export function sumsPerDay(m: string, group: string, parent = 'NULL'): string {
  return `SELECT site_id, g, g_parent, "day",
      count(DISTINCT visitor_id) AS visitors, count(*) AS visits, sum(pageviews) AS pageviews, sum(events) AS events,
      sum(bounce) AS bounces, sum(duration_ms) AS duration_ms, sum(engaged_ms) AS engaged_ms, sum(engagements) AS engagements,
      sum(scroll_sum) AS scroll_sum, sum(scroll_n) AS scroll_n
    FROM (
      SELECT ${group} AS g, ${parent} AS g_parent, ${VISIT_KEY},
        any_value(bounce) AS bounce, any_value(duration_ms) AS duration_ms,
        ${EVENT_PARTIALS}
      FROM ${m} WHERE ${group} IS NOT NULL
      GROUP BY ALL
    ) GROUP BY site_id, g, g_parent, "day"`;
}

/**
 * Per-hour sums: event counts by the event's hour (from `m`), visit counts (visits, bounces,
 * duration) by the hour the visit started (from `visits`: by default the visits of `m`'s rows).
 * Columns: site_id, day, hour, SUM_COLUMNS.
 */
export function sumsPerHour(m: string, visits = `(SELECT DISTINCT ${VISIT_KEY}, start_hour, bounce, duration_ms FROM ${m})`): string {
  return `SELECT site_id, "day", "hour",
      coalesce(a.visitors, 0) AS visitors, coalesce(b.visits, 0) AS visits, coalesce(a.pageviews, 0) AS pageviews,
      coalesce(a.events, 0) AS events, coalesce(b.bounces, 0) AS bounces, coalesce(b.duration_ms, 0) AS duration_ms,
      coalesce(a.engaged_ms, 0) AS engaged_ms, coalesce(a.engagements, 0) AS engagements,
      coalesce(a.scroll_sum, 0) AS scroll_sum, coalesce(a.scroll_n, 0) AS scroll_n
    FROM (
      SELECT site_id, "day", "hour", count(DISTINCT visitor_id) AS visitors,
        count(*) FILTER (WHERE "type" = 'pageview') AS pageviews, count(*) FILTER (WHERE "type" <> 'engagement') AS events,
        coalesce(sum(engaged_ms) FILTER (WHERE "type" = 'engagement'), 0) AS engaged_ms,
        count(engaged_ms) FILTER (WHERE "type" = 'engagement') AS engagements,
        coalesce(sum(scroll_depth) FILTER (WHERE "type" = 'engagement'), 0) AS scroll_sum,
        count(scroll_depth) FILTER (WHERE "type" = 'engagement') AS scroll_n
      FROM ${m} GROUP BY site_id, "day", "hour"
    ) a FULL JOIN (
      SELECT site_id, "day", start_hour AS "hour", count(*) AS visits, sum(bounce) AS bounces, sum(duration_ms) AS duration_ms
      FROM ${visits} GROUP BY site_id, "day", start_hour
    ) b USING (site_id, "day", "hour")`;
}

/** Per-day CTA counts. Columns: site_id, day, cta, impressions, hovers, clicks, clickers. */
export function ctaSumsPerDay(m: string): string {
  return `SELECT site_id, "day", cta_id AS cta,
      count(*) FILTER (WHERE "type" = 'cta_impression') AS impressions,
      count(*) FILTER (WHERE "type" = 'cta_hover') AS hovers,
      count(*) FILTER (WHERE "type" = 'cta_click') AS clicks,
      count(DISTINCT visitor_id) FILTER (WHERE "type" = 'cta_click') AS clickers
    FROM ${m} WHERE cta_id IS NOT NULL GROUP BY site_id, "day", cta_id`;
}

/** One row per (matched event, custom property key) with `prop_key` and `prop_value`. */
export function propsRows(m: string): string {
  return `SELECT x.*, j.key AS prop_key, (j.value->>'$') AS prop_value FROM ${m} x, json_each(x.props) j WHERE x.props IS NOT NULL AND (j.value->>'$') IS NOT NULL`;
}
