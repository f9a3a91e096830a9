// The properties a site owner groups and filters by (Plausible's `event:*` / `visit:*` names), derived
// from the contract's DIMENSIONS. Rollups store one row per day × property × value for each of them,
// and the stats API's raw path evaluates the very same SQL expressions, so both answer alike.
import { DIMENSIONS, EVENT_TYPES, NON_INTERACTIVE_TYPES, type Column } from '../../core/event-contract.js';
import { isCoded } from '../store/day-layout.js';

/**
 * `event`: the value belongs to each event (page, name): a visit can count under several values.
 * `visit`: the value is the visit's, taken from its first event (source, UTM tags, device…), or
 * from its first / last pageview (entry / exit page): every visit counts under exactly one value.
 */
export type Scope = 'event' | 'visit';

export interface Property {
  /** The API name: `event:page`, `visit:source`, `event:props:plan`. */
  readonly name: string;
  readonly scope: Scope;
  /** The key the value gets in breakdown results: `page`, `source`, the custom property's key. */
  readonly resultKey: string;
  /**
   * SQL over one event row giving the displayed value (event scope), or, for visit scope, the value
   * its visit takes from its first event. NULL means "no value": never matched by `==`, left out of
   * breakdowns.
   */
  readonly expr: string;
  /** Visit scope: the column of the visits relation holding the value. */
  readonly visitColumn?: string;
  /** Breakdowns by this property also group by (and return) the parent: browser for browser_version. */
  readonly parent?: Property;
  /** The same value over the rows of a coded day file as the rollups read them (see CodedValue). */
  readonly coded: CodedValue;
}

/**
 * A property's value over a coded day file's rows as the rollups read them (Partitions.codedEvents):
 * the dictionary columns keep their codes, and in the columns of MISSING_AS_NULL the codes of the
 * strings listed there read as NULL. Grouping by a code costs DuckDB far less than by its string, and
 * within one file a code and its string stand for each other one to one, so the groups are the same;
 * the rollups decode only the group keys.
 */
export interface CodedValue {
  /** SQL over one such row: the value's code when `isCode`, else the displayed value itself. */
  readonly expr: string;
  readonly isCode: boolean;
  /** The displayed value of LABEL_CODE (the property shows a label for a missing value). */
  readonly label?: string;
}

/** How rows carry dictionary columns: as their text (the `events` views), or as codes (CodedValue). */
export type RowForm = 'text' | 'codes';

/** The SQL giving `p`'s value (event scope) or the value its visit takes (visit scope) over rows of `form`. */
export const valueExpr = (p: Property, form: RowForm): string => (form === 'codes' ? p.coded.expr : p.expr);

/**
 * What groups and filters by `p` compare over events joined with their visit (matched events) or over
 * sessionized events beside their visits, of `form`: the visit's column for visit scope, the event's
 * value otherwise.
 */
export const groupExpr = (p: Property, form: RowForm = 'text'): string => (p.scope === 'visit' ? p.visitColumn! : valueExpr(p, form));

/** The code a labelled property's missing value groups under (no dictionary comes near it: codes are dense from 0). */
export const LABEL_CODE = 4294967295;

/** Events that count as conversions for `event:goal` (besides "Visit /path" pageview goals). */
export const GOAL_TYPES: readonly string[] = EVENT_TYPES.filter((t) => t !== 'identify' && !(NON_INTERACTIVE_TYPES as readonly string[]).includes(t));
const GOAL_IN = GOAL_TYPES.map((t) => `'${t}'`).join(', ');
const GOAL_EXPR = `CASE WHEN "type" IN (${GOAL_IN}) THEN "name" END`;

export const sqlString = (s: string): string => `'${s.replaceAll("'", "''")}'`;

/** Displayed for visits without a referrer source, as Plausible does. */
export const DIRECT = 'Direct / None';
/** Displayed for a missing device, browser or OS field. */
export const NOT_SET = '(not set)';

/**
 * How each contract dimension is exposed. A dimension added to the contract without an entry here
 * becomes `event:<column>` (event scope), so it is rolled up and queryable at once.
 */
const KNOWN: Record<string, { name: string; scope: Scope; label?: string; parent?: string }> = {
  pathname: { name: 'event:page', scope: 'event' },
  name: { name: 'event:name', scope: 'event' },
  hostname: { name: 'event:hostname', scope: 'event' },
  cta_id: { name: 'event:cta', scope: 'event' },
  link_url: { name: 'event:link_url', scope: 'event' },
  form_id: { name: 'event:form', scope: 'event' },
  referrer_source: { name: 'visit:source', scope: 'visit', label: DIRECT },
  referrer: { name: 'visit:referrer', scope: 'visit', label: DIRECT },
  channel: { name: 'visit:channel', scope: 'visit', label: NOT_SET },
  utm_source: { name: 'visit:utm_source', scope: 'visit' },
  utm_medium: { name: 'visit:utm_medium', scope: 'visit' },
  utm_campaign: { name: 'visit:utm_campaign', scope: 'visit' },
  utm_content: { name: 'visit:utm_content', scope: 'visit' },
  utm_term: { name: 'visit:utm_term', scope: 'visit' },
  click_id: { name: 'visit:click_id', scope: 'visit' },
  country: { name: 'visit:country', scope: 'visit' },
  device: { name: 'visit:device', scope: 'visit', label: NOT_SET },
  browser: { name: 'visit:browser', scope: 'visit', label: NOT_SET },
  browser_version: { name: 'visit:browser_version', scope: 'visit', label: NOT_SET, parent: 'browser' },
  os: { name: 'visit:os', scope: 'visit', label: NOT_SET },
  os_version: { name: 'visit:os_version', scope: 'visit', label: NOT_SET, parent: 'os' },
};

const resultKeyOf = (name: string): string => name.slice(name.indexOf(':') + 1);

function fromColumn(col: Column, byColumn: Map<string, Property>): Property {
  const known = KNOWN[col.name];
  const name = known?.name ?? `event:${col.name}`;
  const scope = known?.scope ?? 'event';
  const quoted = `"${col.name}"`;
  // An empty string is as missing as NULL (the UA parser gives '' for an unknown version).
  const expr = known?.label !== undefined ? `coalesce(nullif(${quoted}, ''), ${sqlString(known.label)})` : quoted;
  const parent = known?.parent !== undefined ? byColumn.get(known.parent) : undefined;
  // Over codes, '' and the label itself read as NULL (MISSING_AS_NULL), so the three group as one, as
  // `expr` groups them.
  const coded: CodedValue = !isCoded(col)
    ? { expr, isCode: false }
    : known?.label !== undefined
      ? { expr: `coalesce(${quoted}, ${LABEL_CODE})`, isCode: true, label: known.label }
      : { expr: quoted, isCode: true };
  return Object.freeze({
    name,
    scope,
    resultKey: resultKeyOf(name),
    expr,
    coded,
    ...(scope === 'visit' ? { visitColumn: `v_${col.name}` } : {}),
    ...(parent ? { parent } : {}),
  });
}

function build(): Property[] {
  const byColumn = new Map<string, Property>();
  // Parents first, so a child can point at its parent.
  const ordered = [...DIMENSIONS].sort((a, b) => Number(KNOWN[a.name]?.parent !== undefined) - Number(KNOWN[b.name]?.parent !== undefined));
  for (const col of ordered) byColumn.set(col.name, fromColumn(col, byColumn));
  const out = DIMENSIONS.map((c) => byColumn.get(c.name)!);
  out.push(
    page('visit:entry_page', 'v_entry_page'),
    page('visit:exit_page', 'v_exit_page'),
    // The rollups read `type` decoded (ROLLUP_DECODED), `name` as its code.
    Object.freeze({
      name: 'event:goal', scope: 'event', resultKey: 'goal', expr: GOAL_EXPR, coded: { expr: GOAL_EXPR, isCode: true },
    } as Property),
  );
  return out;
}

/** The visit's entry or exit page: `pathname` is text, stored as it is in every layout. */
function page(name: string, visitColumn: string): Property {
  const expr = 'pathname';
  return Object.freeze({ name, scope: 'visit', resultKey: resultKeyOf(name), expr, visitColumn, coded: { expr, isCode: false } });
}

/** Every fixed property, in a stable order. Custom properties (`event:props:<key>`) come from propsProperty. */
export const PROPERTIES: readonly Property[] = Object.freeze(build());

const BY_NAME = new Map(PROPERTIES.map((p) => [p.name, p]));
export const PROPS_PREFIX = 'event:props:';

/** A JSON pointer for one key ("/" and "~" escaped as RFC 6901 says), as a SQL literal. */
export function jsonPointer(key: string): string {
  return sqlString(`/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`);
}

/** `event:props:<key>`: the string value of that key in the event's props, NULL when absent. */
export function propsProperty(key: string): Property {
  const expr = `json_extract_string("props", ${jsonPointer(key)})`;
  return { name: `${PROPS_PREFIX}${key}`, scope: 'event', resultKey: key, expr, coded: { expr, isCode: false } };
}

/** The property for an API name, or undefined when there is none. */
export function propertyByName(name: string): Property | undefined {
  if (name.startsWith(PROPS_PREFIX)) {
    const key = name.slice(PROPS_PREFIX.length);
    return key.length > 0 ? propsProperty(key) : undefined;
  }
  return BY_NAME.get(name);
}

/** Visit-scope properties whose value is the visit's first event's (entry/exit pages are computed apart). */
export const FIRST_EVENT_VISIT_PROPERTIES: readonly Property[] = PROPERTIES.filter(
  (p) => p.scope === 'visit' && p.name !== 'visit:entry_page' && p.name !== 'visit:exit_page',
);

/** Coded columns whose codes of these strings the rollups read as NULL: '' and the label of a labelled property. */
export const MISSING_AS_NULL: Readonly<Record<string, readonly string[]>> = Object.freeze(
  Object.fromEntries(
    DIMENSIONS.filter((c) => isCoded(c) && KNOWN[c.name]?.label !== undefined).map((c) => [c.name, Object.freeze(['', KNOWN[c.name]!.label!])]),
  ),
);

/** Coded columns the rollups read decoded: `type` is compared with string literals all through visit-sql.ts. */
export const ROLLUP_DECODED: readonly string[] = ['type'];
