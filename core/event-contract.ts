// The one contract for an event: every stored column with its Arrow type, DuckDB type, wire key and
// limit. The validator, the Arrow builder, the DuckDB DDL and the rollups all derive from this list.

/** Storage kinds; each maps to one Arrow type, one DuckDB type and one append path. */
export type ColumnKind =
  | 'u64' // 64-bit ids (event, visitor, session): BigUint64
  | 'timestamp' // UTC milliseconds since epoch
  | 'date' // days since epoch, in the site's time zone
  | 'u8'
  | 'u32'
  | 'f64'
  | 'bool'
  | 'dict' // low-cardinality text: dictionary-encoded in Arrow
  | 'text'; // free text

export interface Column {
  readonly name: string;
  readonly kind: ColumnKind;
  /** Key in the batch's event objects when the value comes straight from the client. */
  readonly wire?: string;
  /** Max UTF-8 bytes (text) or max value (numbers). Longer text is cut at a character boundary. */
  readonly limit?: number;
  readonly nullable: boolean;
  /** A dimension that rollups and breakdowns group by. */
  readonly dimension?: boolean;
}

const c = (name: string, kind: ColumnKind, opts: Partial<Omit<Column, 'name' | 'kind'>> = {}): Column =>
  Object.freeze({ name, kind, nullable: true, ...opts });

export const URL_MAX_BYTES = 2000;
export const PROP_MAX_KEYS = 30;
export const PROP_KEY_MAX_BYTES = 300;
export const PROP_VALUE_MAX_BYTES = 2000;
export const COPY_MAX_CHARS = 200;
export const NAME_MAX_BYTES = 120;

export const COLUMNS: readonly Column[] = Object.freeze([
  c('event_id', 'u64', { nullable: false }),
  c('site_id', 'dict', { nullable: false }),
  c('ts', 'timestamp', { nullable: false }),
  c('day', 'date', { nullable: false }),
  c('hour', 'u8', { nullable: false }),
  c('type', 'dict', { nullable: false, wire: 't' }),
  c('name', 'dict', { nullable: false, wire: 'n', limit: NAME_MAX_BYTES, dimension: true }),
  c('visitor_id', 'u64', { nullable: false }),
  c('session_id', 'u64', { nullable: false }),
  c('hostname', 'dict', { nullable: false, limit: 253, dimension: true }),
  c('pathname', 'text', { nullable: false, limit: URL_MAX_BYTES, dimension: true }),
  c('referrer', 'text', { limit: URL_MAX_BYTES, dimension: true }),
  c('referrer_source', 'dict', { limit: 200, dimension: true }),
  c('channel', 'dict', { dimension: true }),
  c('utm_source', 'dict', { limit: 200, dimension: true }),
  c('utm_medium', 'dict', { limit: 200, dimension: true }),
  c('utm_campaign', 'dict', { limit: 200, dimension: true }),
  c('utm_content', 'dict', { limit: 200, dimension: true }),
  c('utm_term', 'dict', { limit: 200, dimension: true }),
  c('click_id', 'dict', { dimension: true }),
  c('country', 'dict', { dimension: true }),
  c('device', 'dict', { dimension: true }),
  c('browser', 'dict', { dimension: true }),
  c('browser_version', 'dict', { dimension: true }),
  c('os', 'dict', { dimension: true }),
  c('os_version', 'dict', { dimension: true }),
  c('scroll_depth', 'u8', { wire: 'sd', limit: 100 }),
  c('engaged_ms', 'u32', { wire: 'et', limit: 24 * 3600 * 1000 }),
  c('cta_id', 'dict', { wire: 'c', limit: 36, dimension: true }),
  c('link_url', 'text', { wire: 'h', limit: URL_MAX_BYTES, dimension: true }),
  c('form_id', 'dict', { wire: 'f', limit: 200, dimension: true }),
  c('copy_text', 'text', { wire: 'x', limit: COPY_MAX_CHARS * 4 }),
  c('props', 'text', { wire: 'p' }), // JSON object of string values, ≤ PROP_MAX_KEYS keys
  c('revenue_amount', 'f64', {}),
  c('revenue_currency', 'dict', { limit: 3 }),
  c('interactive', 'bool', { nullable: false }),
  c('user_id', 'text', { wire: 'uid', limit: 200 }),
  c('email', 'text', { wire: 'em', limit: 254 }),
  c('traits', 'text', { wire: 'tr' }), // JSON object, identify only
]);

export type ColumnName = (typeof COLUMNS)[number]['name'];

export const EVENT_TYPES = [
  'pageview',
  'engagement',
  'cta_impression',
  'cta_hover',
  'cta_click',
  'outbound',
  'download',
  'form_submit',
  'copy',
  'custom',
  'identify',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Events that do not make a visit non-bouncing (Plausible's rule, plus our passive CTA signals). */
export const NON_INTERACTIVE_TYPES: readonly EventType[] = ['pageview', 'engagement', 'cta_impression', 'cta_hover'];

/**
 * Why an event was dropped. (A request with DNT or GPC is dropped whole before decoding and counted
 * in beaconry_requests_dropped_total{reason="dnt"}.) A closed set: metrics are labelled by it and
 * the API reports it, so adding one is a contract change.
 */
export const DROP_REASONS = [
  'bot', // user agent or headless hints say automated
  'invalid_event', // not an object, or missing/unknown type
  'invalid_url', // missing, unparseable, data:, or over the size limit
  'invalid_props', // too many, too long, or not scalar
  'invalid_email', // identify with a bad email
  'invalid_field', // a field of the wrong type or out of range
  'too_old', // older than 48 h on a public key
  'secret_only', // a field only a secret key may send (identify, uid, ip, ua, old ts)
] as const;
export type DropReason = (typeof DROP_REASONS)[number];

/** Batch-level wire keys of the native format (`POST /api/v1/batch`). */
export const BATCH_WIRE = {
  sessionId: 's',
  url: 'u',
  referrer: 'r',
  site: 'd',
  events: 'e',
  ip: 'ip', // secret keys only
  userAgent: 'ua', // secret keys only
} as const;

/** Event-level wire keys that are not a column of their own. */
export const EVENT_WIRE = {
  id: 'i',
  ts: 'ts',
  url: 'u',
  referrer: 'r',
  revenue: '$',
  nonInteractive: 'ni',
  /** The tracker's hash mode: keep the URL's #fragment in the page path. */
  hashMode: 'hm',
} as const;

export const MAX_EVENTS_PER_BATCH = 1000;
/** Public keys may send events at most this old; secret keys may backfill. */
export const PUBLIC_MAX_AGE_MS = 48 * 3600 * 1000;
/** Timestamps further than this in the future are replaced by the server's time. */
export const FUTURE_SKEW_MS = 60 * 1000;

const DUCK_TYPES: Record<ColumnKind, string> = {
  u64: 'UBIGINT',
  timestamp: 'TIMESTAMP',
  date: 'DATE',
  u8: 'UTINYINT',
  u32: 'UINTEGER',
  f64: 'DOUBLE',
  bool: 'BOOLEAN',
  dict: 'VARCHAR',
  text: 'VARCHAR',
};

export function duckType(kind: ColumnKind): string {
  return DUCK_TYPES[kind];
}

/** `CREATE TABLE` column list derived from the contract; `typeOf` may store a column differently. */
export function eventsTableDDL(table: string, typeOf: (col: Column) => string = (col) => duckType(col.kind)): string {
  const cols = COLUMNS.map((col) => `  "${col.name}" ${typeOf(col)}${col.nullable ? '' : ' NOT NULL'}`);
  return `CREATE TABLE IF NOT EXISTS ${table} (\n${cols.join(',\n')}\n)`;
}

export const DIMENSIONS: readonly Column[] = COLUMNS.filter((col) => col.dimension === true);

/** One event as the pipeline builds it: column name → value (undefined = NULL). */
export type EventRecord = { [K in ColumnName]?: string | number | bigint | boolean | null };
