// `POST /api/send` and `POST /api/batch` as Umami accepts them (src/app/api/send/route.ts,
// src/app/api/batch/route.ts): `{type, payload}` items whose `website` is a site's Umami id (or its
// Beaconry id). Answers like Umami: `{cache, sessionId, visitId}`, `{beep: "boop"}` for bots, the
// batch's `{size, processed, errors, details}`, and `{"error": {message, code, status}}`.
import { createHash, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { PROP_MAX_KEYS, type EventRecord } from '../../../core/event-contract.js';
import { BeaconryError, errorBody } from '../../../core/errors.js';
import { cutChars } from '../text.js';
import { eventId, eventTime, isObject, NATIVE as W } from './fields.js';
import {
  INVALID_INPUT, isSite, resolveSite, type Adapted, type AdaptContext, type AdaptedEvent, type DropInFormat, type FormatReply,
  type ItemFailure, type ItemOutcome, type StepsSummary,
} from './format.js';

/** Umami keeps event data strings to 500 characters and flattens nested objects to dotted keys. */
const DATA_STRING_MAX = 500;
/** Types Umami accepts that have no column here (web vitals, client errors): accepted, not stored. */
const IGNORED_TYPES = new Set(['performance', 'error']);

const bad = (message: string): ItemFailure => ({ code: 'BEACONRY_ERR_BAD_REQUEST', message });

/**
 * Umami's event data → flat scalar props (`{a: {b: 1}}` → `{"a.b": 1}`, arrays as JSON text), the
 * first 30 kept (Umami allows 50; the contract 30).
 */
export function flattenData(data: unknown): Record<string, string | number | boolean> | undefined {
  if (!isObject(data)) return undefined;
  const out: Record<string, string | number | boolean> = {};
  let n = 0;
  const walk = (obj: Record<string, unknown>, prefix: string): void => {
    for (const [k, v] of Object.entries(obj)) {
      if (n === PROP_MAX_KEYS) return;
      const key = prefix === '' ? k : `${prefix}.${k}`;
      if (v === null || v === undefined) continue;
      if (isObject(v)) {
        walk(v, key);
        continue;
      }
      if (Array.isArray(v)) out[key] = cutChars(JSON.stringify(v), DATA_STRING_MAX);
      else if (typeof v === 'string') out[key] = cutChars(v, DATA_STRING_MAX);
      else if (typeof v === 'number' || typeof v === 'boolean') out[key] = v;
      else continue;
      n++;
    }
  };
  walk(data, '');
  return Object.keys(out).length === 0 ? undefined : out;
}

/** Umami's `url` is usually a path: it is resolved against the payload's `hostname` (else the site's domain). */
function absolute(raw: unknown, host: string): string | undefined {
  if (raw !== undefined && typeof raw !== 'string') return undefined;
  try {
    return new URL(raw === undefined || raw === '' ? '/' : raw, `https://${host}`).href;
  } catch {
    return typeof raw === 'string' ? raw : undefined;
  }
}

function adaptItem(item: unknown, index: number, ctx: AdaptContext, events: AdaptedEvent[]): ItemFailure | undefined {
  if (!isObject(item) || !isObject(item.payload)) return bad('Invalid request: expected {type, payload}.');
  const { type, payload: p } = item;
  if (typeof type === 'string' && IGNORED_TYPES.has(type)) return undefined;
  if (type !== 'event' && type !== 'identify' && type !== 'engagement') return bad('Invalid request: type must be "event", "identify", "engagement", "performance" or "error".');
  if (p.pixel !== undefined || p.link !== undefined) return bad('Pixels and links are not supported.');
  if (typeof p.website !== 'string' || p.website === '') return bad('Exactly one of website, link, or pixel must be provided');

  const site = resolveSite(p.website, ctx);
  if (site === undefined) return { code: 'BEACONRY_ERR_UNKNOWN_SITE', message: 'Website not found.' };
  if (!isSite(site)) return site;

  const host = typeof p.hostname === 'string' && p.hostname.trim() !== '' ? p.hostname.trim() : site.domain;
  const u = absolute(p.url, host);
  if (u === undefined) return bad('Invalid request: url must be a string.');
  const raw: Record<string, unknown> = { [W.url]: u };
  // A path-only referrer is the site's own page (Umami resolves it against the event's domain).
  if (typeof p.referrer === 'string' && p.referrer !== '') raw[W.referrer] = absolute(p.referrer, URL.canParse(u) ? new URL(u).host : host);

  const ts = eventTime(p.ts, p.timestamp);
  if (ts === 'invalid') return bad('Invalid request: timestamp must be Unix seconds or an ISO 8601 time.');
  if (ts !== undefined) raw[W.ts] = ts;
  const id = eventId(p.event_id);
  if (id === 'invalid') return bad('Invalid request: event_id must be a string of 1 to 64 characters.');
  if (id !== undefined) raw[W.id] = id;

  // The distinct id and the visitor's address and agent are a server's to give: a browser could claim anyone's.
  const secret = ctx.keyKind === 'secret';
  if (secret && typeof p.id === 'string' && p.id !== '') raw[W.userId] = p.id;
  let ip: string | undefined;
  let ua: string | undefined;
  if (secret && p.ip !== undefined) {
    if (typeof p.ip !== 'string' || isIP(p.ip) === 0) return bad('Invalid request: ip must be an IPv4 or IPv6 address.');
    ip = p.ip;
  }
  if (secret && typeof p.userAgent === 'string' && p.userAgent !== '') ua = cutChars(p.userAgent, 1024);

  const data = flattenData(p.data);
  if (type === 'identify') {
    // Our identify carries an email and is secret-only (dropSecretOnly drops it from public senders).
    raw[W.type] = 'identify';
    if (data) {
      const { email, em, ...traits } = data;
      raw[W.email] = email ?? em;
      if (Object.keys(traits).length > 0) raw[W.traits] = traits;
    }
  } else if (type === 'engagement') {
    raw[W.type] = 'engagement';
    if (typeof p.engagement === 'number') raw[W.engagedMs] = p.engagement;
  } else {
    const named = typeof p.name === 'string' && p.name.trim() !== '';
    raw[W.type] = named ? 'custom' : 'pageview';
    if (named) raw[W.name] = p.name;
    if (data) raw[W.props] = data;
  }
  events.push({ item: index, site, raw, ...(ip !== undefined ? { ip } : {}), ...(ua !== undefined ? { ua } : {}) });
  return undefined;
}

function adaptItems(list: readonly unknown[], ctx: AdaptContext): Adapted {
  const events: AdaptedEvent[] = [];
  const failures = list.map((item, i) => adaptItem(item, i, ctx, events));
  return { ok: true, items: list.length, events, failures, unknownSites: 0, throttledSites: 0 };
}

/** A UUID-shaped rendering of a hash, for Umami's `sessionId` / `visitId` fields. */
function uuidOf(text: string): string {
  const h = createHash('sha256').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * `sessionId` and `visitId` derived from the stored record's day-scoped visitor id: stable for the
 * visitor on this site for the local day (session) and the hour (visit), linking nothing beyond it.
 * `cache` is random: Umami's clients echo it in `x-umami-cache`, which we do not need to read.
 */
function sessionReply(rec: EventRecord | undefined): Record<string, string> {
  const out: Record<string, string> = { cache: randomBytes(18).toString('base64url') };
  if (rec) {
    const base = `${String(rec.site_id)}|${String(rec.visitor_id)}|${String(rec.day)}`;
    out.sessionId = uuidOf(`umami-session|${base}`);
    out.visitId = uuidOf(`umami-visit|${base}|${String(rec.hour)}`);
  }
  return out;
}

function itemFailure(o: ItemOutcome): ItemFailure | undefined {
  if (o.failure) return o.failure;
  if (o.dropped !== undefined && INVALID_INPUT.has(o.dropped)) return bad(`Invalid request: the event was refused (${o.dropped}).`);
  return undefined;
}

const JSON_HEADERS = { 'content-type': 'application/json' } as const;

function dropHeaders(s: StepsSummary): Record<string, string> {
  const reasons = Object.entries(s.dropped).map(([r, n]) => `${r}=${n}`);
  return reasons.length > 0 ? { ...JSON_HEADERS, 'x-beaconry-dropped': reasons.join(',') } : JSON_HEADERS;
}

function sendReply(s: StepsSummary): FormatReply | ItemFailure {
  const o = s.items[0] ?? { stored: 0 };
  const failure = itemFailure(o);
  if (failure) return failure;
  if (o.dropped === 'bot') return { status: 200, headers: dropHeaders(s), body: '{"beep":"boop"}' };
  return { status: 200, headers: dropHeaders(s), body: JSON.stringify(sessionReply(o.first)) };
}

function batchReply(s: StepsSummary): FormatReply {
  const details: { index: number; response: unknown }[] = [];
  s.items.forEach((o, index) => {
    const f = itemFailure(o);
    if (f) details.push({ index, response: errorBody(new BeaconryError(f.code, f.message), 'umami') });
  });
  const size = s.items.length;
  return { status: 200, headers: dropHeaders(s), body: JSON.stringify({ size, processed: size - details.length, errors: details.length, details }) };
}

export const umamiSend: DropInFormat = {
  adapt: (value, ctx) => (isObject(value) ? adaptItems([value], ctx) : { ok: false, failure: bad('Invalid request: expected {type, payload}.') }),
  reply: sendReply,
};

export const umamiBatch: DropInFormat = {
  adapt: (value, ctx) => (Array.isArray(value) ? adaptItems(value, ctx) : { ok: false, failure: bad('Invalid request: expected an array of {type, payload}.') }),
  reply: batchReply,
};
