// The native batch shape (`POST /api/v1/batch`) checked at the top level: the events array and
// the batch-wide fields the steps fall back to. Wire keys come from the contract.
import { BATCH_WIRE } from '../../core/event-contract.js';
import { isIP } from 'node:net';
import { DecodeError } from './decode/limits.js';

export interface NativeBatch {
  readonly events: readonly unknown[];
  readonly sessionId: string | undefined;
  readonly url: unknown;
  readonly referrer: unknown;
  readonly site: string | undefined;
  readonly ip: string | undefined;
  readonly ua: string | undefined;
}

const optString = (v: unknown, field: string, max: number): string | undefined => {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v.length > max) throw new DecodeError(`"${field}" must be a string of at most ${max} characters`);
  return v;
};

export function toNativeBatch(value: unknown): NativeBatch {
  // A bare array is a batch of events with no batch-level fields.
  if (Array.isArray(value)) return { events: value, sessionId: undefined, url: undefined, referrer: undefined, site: undefined, ip: undefined, ua: undefined };
  if (value === null || typeof value !== 'object') throw new DecodeError('a batch is an object with an "e" array of events');
  const b = value as Record<string, unknown>;
  const events = b[BATCH_WIRE.events];
  if (!Array.isArray(events)) throw new DecodeError('a batch is an object with an "e" array of events');
  const ip = optString(b[BATCH_WIRE.ip], 'ip', 45);
  if (ip !== undefined && isIP(ip) === 0) throw new DecodeError('"ip" must be an IPv4 or IPv6 address');
  return {
    events,
    sessionId: optString(b[BATCH_WIRE.sessionId], 's', 64),
    url: b[BATCH_WIRE.url],
    referrer: b[BATCH_WIRE.referrer],
    site: optString(b[BATCH_WIRE.site], 'd', 253),
    ip,
    ua: optString(b[BATCH_WIRE.userAgent], 'ua', 1024),
  };
}
