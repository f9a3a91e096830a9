// `POST /api/event` as Plausible accepts it (lib/plausible/ingestion/request.ex): one event, short or
// long keys, sent to every listed domain that is a site here. Answers like Plausible's controller:
// 202 "ok" (with x-plausible-dropped when something was dropped), 400 {"errors": {field: [msg]}}.
import { PROP_KEY_MAX_BYTES, PROP_MAX_KEYS, PROP_VALUE_MAX_BYTES, URL_MAX_BYTES, type DropReason } from '../../../core/event-contract.js';
import type { SiteView } from '../context.js';
import { cutChars, utf8Length } from '../text.js';
import { eventId, eventTime, isObject, NATIVE as W, objectOrJson } from './fields.js';
import { INVALID_INPUT, isSite, resolveSite, type Adapted, type AdaptContext, type DropInFormat, type FormatReply, type ItemFailure, type StepsSummary } from './format.js';

const NAME_MAX_CHARS = 120;
/** Plausible ignores engagement times from 30 days up (an old tracker's bug); ours are capped at 24 h by the step. */
const ENGAGEMENT_MAX_MS = 30 * 24 * 3600 * 1000;
const BLANK_ENGAGEMENT = "engagement event requires a valid integer value for at least one of 'sd' or 'e' fields";

/** Plausible's built-in goal names that have a type of their own here; the link is `props.url`. */
const LINK_EVENTS: Readonly<Record<string, 'outbound' | 'download'>> = {
  'Outbound Link: Click': 'outbound',
  'File Download': 'download',
};

type Errors = Record<string, string[]>;

const first = (b: Record<string, unknown>, ...keys: string[]): unknown => {
  for (const k of keys) if (b[k] !== undefined && b[k] !== null) return b[k];
  return undefined;
};

function addError(errors: Errors, field: string, message: string): void {
  (errors[field] ??= []).push(message);
}

function integerIn(v: unknown): number | undefined {
  const n = typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v;
  return typeof n === 'number' && Number.isInteger(n) ? n : undefined;
}

/** Plausible's prop rules: scalars only, no blank keys or values, the first 30; then sizes are checked. */
function plausibleProps(raw: unknown, errors: Errors): Record<string, string> | undefined {
  const obj = objectOrJson(raw);
  if (!obj) return undefined;
  const out: Record<string, string> = {};
  let n = 0;
  for (const [k, v] of Object.entries(obj)) {
    if (v === null || v === undefined || typeof v === 'object') continue;
    const value = String(v);
    if (k.trimStart() === '' || value.trimStart() === '') continue;
    if (utf8Length(k) > PROP_KEY_MAX_BYTES || utf8Length(value) > PROP_VALUE_MAX_BYTES) {
      addError(errors, 'props', `keys should have at most ${PROP_KEY_MAX_BYTES} bytes and values ${PROP_VALUE_MAX_BYTES} bytes`);
      return undefined;
    }
    out[k] = value;
    if (++n === PROP_MAX_KEYS) break;
  }
  return n === 0 ? undefined : out;
}

/** `{amount, currency}` (or its JSON string); anything else is ignored, as Plausible ignores it. */
function plausibleRevenue(raw: unknown): { a: number; c: string } | undefined {
  const r = objectOrJson(raw);
  if (!r || typeof r.currency !== 'string') return undefined;
  const amount = typeof r.amount === 'string' && r.amount.trim() !== '' ? Number(r.amount) : r.amount;
  const currency = r.currency.toUpperCase();
  if (typeof amount !== 'number' || !Number.isFinite(amount) || !/^[A-Z]{3}$/.test(currency)) return undefined;
  return { a: amount, c: currency };
}

const stripWww = (host: string): string => host.trim().replace(/^www\./, '').toLowerCase();

function domainsOf(raw: unknown, url: string | undefined, errors: Errors): string[] {
  if (typeof raw === 'string') {
    if (raw.trim() === '') {
      addError(errors, 'domain', "can't be blank");
      return [];
    }
    return [...new Set(raw.split(',').map(stripWww).filter((d) => d !== ''))];
  }
  // No domain: the URL's host names the site.
  let host = '';
  try {
    host = url === undefined ? '' : new URL(url).hostname;
  } catch {
    /* reported as a URL error */
  }
  if (host === '') {
    addError(errors, 'domain', "can't be blank");
    return [];
  }
  return [stripWww(host)];
}

function adapt(value: unknown, ctx: AdaptContext): Adapted {
  if (!isObject(value)) return { ok: false, failure: { code: 'BEACONRY_ERR_MALFORMED', message: 'Unable to parse request body as json', details: { errors: { request: ['Unable to parse request body as json'] } } } };
  const b = value;
  const errors: Errors = {};

  let name = first(b, 'n', 'name');
  if (typeof name === 'number' && Number.isInteger(name)) name = String(name); // 404 tracking sends a number
  if (name === undefined) addError(errors, 'event_name', "can't be blank");
  else if (typeof name !== 'string') addError(errors, 'event_name', 'is invalid');
  else if (name.length > NAME_MAX_CHARS) addError(errors, 'event_name', `should be at most ${NAME_MAX_CHARS} character(s)`);

  const rawUrl = first(b, 'u', 'url');
  let url: string | undefined;
  if (rawUrl === undefined) addError(errors, 'url', 'is required');
  else if (typeof rawUrl !== 'string' || utf8Length(rawUrl) > URL_MAX_BYTES) addError(errors, 'url', 'must be a valid url');
  else if (/^\s*data:/i.test(rawUrl)) addError(errors, 'url', 'scheme is not allowed');
  else url = rawUrl;

  const domains = domainsOf(first(b, 'd', 'domain'), url, errors);
  const referrer = first(b, 'r', 'referrer');
  const hash = first(b, 'h', 'hashMode');
  const interactive = first(b, 'i', 'interactive');
  const props = plausibleProps(first(b, 'm', 'meta', 'p', 'props'), errors);
  const revenue = plausibleRevenue(first(b, '$', 'revenue'));

  const raw: Record<string, unknown> = { [W.url]: url };
  if (typeof referrer === 'string' && referrer !== '') raw[W.referrer] = cutChars(referrer, URL_MAX_BYTES);
  if (hash === 1 || hash === true) raw[W.hashMode] = true;
  if (interactive === false) raw[W.nonInteractive] = true;
  if (props) raw[W.props] = props;
  if (revenue) raw[W.revenue] = revenue;

  if (name === 'engagement') {
    let sd = integerIn(b.sd);
    if (sd !== undefined) sd = sd < 0 ? undefined : Math.min(sd, 100);
    let e = integerIn(b.e);
    if (e !== undefined && (e < 0 || e >= ENGAGEMENT_MAX_MS)) e = undefined;
    if (sd === undefined && e === undefined) addError(errors, 'event_name', BLANK_ENGAGEMENT);
    raw[W.type] = 'engagement';
    if (sd !== undefined) raw[W.scrollDepth] = sd;
    if (e !== undefined) raw[W.engagedMs] = e;
  } else if (name === 'pageview') {
    raw[W.type] = 'pageview';
  } else if (typeof name === 'string' && LINK_EVENTS[name] !== undefined && typeof props?.url === 'string') {
    raw[W.type] = LINK_EVENTS[name];
    raw[W.link] = props.url;
  } else {
    raw[W.type] = 'custom';
    raw[W.name] = name;
  }

  // Beaconry's additions for replays: the original time and an id that makes a re-run idempotent.
  const ts = eventTime(b.ts, b.timestamp);
  if (ts === 'invalid') addError(errors, 'timestamp', 'must be milliseconds since the epoch (ts), an ISO 8601 time or Unix seconds (timestamp)');
  else if (ts !== undefined) raw[W.ts] = ts;
  const id = eventId(b.event_id);
  if (id === 'invalid') addError(errors, 'event_id', 'must be a string of 1 to 64 characters');
  else if (id !== undefined) raw[W.id] = id;

  if (Object.keys(errors).length > 0) return { ok: false, failure: { code: 'BEACONRY_ERR_BAD_REQUEST', message: 'The event is invalid.', details: { errors } } };

  const sites: SiteView[] = [];
  let unknownSites = 0;
  let throttledSites = 0;
  for (const d of domains) {
    const site = resolveSite(d, ctx);
    if (isSite(site)) {
      if (!sites.some((s) => s.id === site.id)) sites.push(site);
    } else if (site === undefined) unknownSites++;
    else if (site.code === 'BEACONRY_ERR_RATE_LIMITED') throttledSites++;
    else return { ok: false, failure: site };
  }
  if (sites.length === 0 && throttledSites > 0) {
    return { ok: false, failure: { code: 'BEACONRY_ERR_RATE_LIMITED', message: 'Rate limit exceeded for this site; retry after the time in Retry-After.' } };
  }
  // The steps only read the raw event and build a fresh record per site, so the sites share it.
  const events = sites.map((site) => ({ item: 0, site, raw }));
  return { ok: true, items: 1, events, failures: [], unknownSites, throttledSites };
}

/** The field a step's drop points at, in Plausible's error map. */
const FIELD_OF: Partial<Record<DropReason, [string, string]>> = {
  invalid_url: ['url', 'must be a valid url'],
  invalid_props: ['props', 'are invalid'],
  invalid_field: ['request', 'a field has the wrong type or is out of range'],
  invalid_event: ['event_name', 'is invalid'],
};

function reply(s: StepsSummary): FormatReply | ItemFailure {
  const item = s.items[0];
  const droppedEvents = Object.values(s.dropped).reduce((n, c) => n + (c ?? 0), 0);
  const dropped = droppedEvents + s.unknownSites + s.throttledSites;
  if (item?.dropped !== undefined && INVALID_INPUT.has(item.dropped)) {
    const [field, message] = FIELD_OF[item.dropped] ?? ['request', 'is invalid'];
    return { code: 'BEACONRY_ERR_BAD_REQUEST', message: 'The event is invalid.', details: { errors: { [field]: [message] } } };
  }
  const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' };
  if (dropped > 0) headers['x-plausible-dropped'] = String(dropped);
  return { status: 202, headers, body: 'ok' };
}

export const plausible: DropInFormat = { adapt, reply };
