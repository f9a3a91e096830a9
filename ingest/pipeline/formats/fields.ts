// Shared by the drop-in adapters: the native event's wire keys (from the contract), event times in
// the spellings exports use, and JSON objects that arrive as strings. Pure functions.
import { COLUMNS, EVENT_WIRE } from '../../../core/event-contract.js';

const wireOf = (column: string): string => {
  const wire = COLUMNS.find((c) => c.name === column)?.wire;
  if (wire === undefined) throw new Error(`column ${column} has no wire key`);
  return wire;
};

/** The keys of a native event, which is what the adapters produce for the steps. */
export const NATIVE = {
  ...EVENT_WIRE,
  type: wireOf('type'),
  name: wireOf('name'),
  props: wireOf('props'),
  scrollDepth: wireOf('scroll_depth'),
  engagedMs: wireOf('engaged_ms'),
  link: wireOf('link_url'),
  userId: wireOf('user_id'),
  email: wireOf('email'),
  traits: wireOf('traits'),
} as const;

export function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** An object, or a string holding a JSON object (Plausible's `p` and `$` may be either). */
export function objectOrJson(v: unknown): Record<string, unknown> | undefined {
  if (isObject(v)) return v;
  if (typeof v !== 'string') return undefined;
  try {
    const parsed: unknown = JSON.parse(v);
    return isObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** `2026-01-15T23:30:00`, `2026-01-15 23:30:00.123`, `…Z`, `…+01:00`, `…+0100`, `…+01` (Postgres). */
const DATE_TIME = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

function isoTime(text: string): number {
  const m = DATE_TIME.exec(text);
  if (!m) return Number.NaN;
  const [, date, time, zone] = m;
  // No zone: UTC, as Plausible's ClickHouse and Umami's exports write their times.
  let z = zone === undefined || zone.toUpperCase() === 'Z' ? 'Z' : zone;
  if (z !== 'Z') z = z.length === 3 ? `${z}:00` : z.length === 5 ? `${z.slice(0, 3)}:${z.slice(3)}` : z;
  // Date.parse takes at most milliseconds.
  const t = time!.replace(/(\.\d{3})\d+$/, '$1');
  return Date.parse(`${date}T${t}${z}`);
}

/**
 * An event time for backfills: `ts` in milliseconds (the native key), or `timestamp` as an ISO 8601
 * time (without a zone it is UTC) or Unix seconds (Umami's own field). Undefined when neither is
 * given, 'invalid' when one is given badly.
 */
export function eventTime(ts: unknown, timestamp: unknown): number | undefined | 'invalid' {
  if (ts !== undefined && ts !== null) return typeof ts === 'number' && Number.isFinite(ts) ? Math.trunc(ts) : 'invalid';
  if (timestamp === undefined || timestamp === null) return undefined;
  if (typeof timestamp === 'number') return Number.isFinite(timestamp) ? Math.trunc(timestamp * 1000) : 'invalid';
  if (typeof timestamp !== 'string') return 'invalid';
  const t = timestamp.trim();
  if (/^\d{9,11}$/.test(t)) return Number(t) * 1000;
  const ms = isoTime(t);
  return Number.isFinite(ms) ? ms : 'invalid';
}

/** A client-chosen event id for idempotent replays (`event_id`), as the native `i`. */
export function eventId(v: unknown): string | undefined | 'invalid' {
  if (v === undefined || v === null) return undefined;
  if ((typeof v !== 'string' && typeof v !== 'number') || String(v).length === 0 || String(v).length > 64) return 'invalid';
  return String(v);
}
