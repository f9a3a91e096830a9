// One request through the pool: decode → batch-level checks → the steps for each event. Returns the
// accepted records and the outcome the edge answers with. Formats other than the native batch
// (Plausible, Umami) are thin adapters that produce the same NativeBatch before the steps.
import { DROP_REASONS, type DropReason, type EventRecord } from '../../core/event-contract.js';
import { BeaconryError, type ErrorCode } from '../../core/errors.js';
import type { RequestContext, SaltSource, SiteView } from './context.js';
import { decodeBody } from './decode/decode-body.js';
import { DecodeError, DEFAULT_LIMITS, type DecodeLimits } from './decode/limits.js';
import { toNativeBatch, type NativeBatch } from './native-batch.js';
import { STEPS } from './steps/index.js';
import { newRecord } from './arrow-batch.js';

export type KeyKind = 'public' | 'secret';
export type WireFormat = 'native';

export interface RequestInput {
  readonly body: Uint8Array;
  /** Memory only. */
  readonly ip: string;
  readonly ua: string;
  readonly keyKind: KeyKind;
  /** The site the key belongs to (resolved by the edge). */
  readonly siteId: string;
  readonly format: WireFormat;
  readonly receivedAt: number;
  readonly maxBytes: number;
}

export type RequestOutcome =
  | { ok: true; accepted: number; dropped: Partial<Record<DropReason, number>>; received: number }
  | { ok: false; code: ErrorCode; message: string; received: number };

export interface SiteLookup {
  byId(id: string): SiteView | undefined;
  byDomainOrId(name: string): SiteView | undefined;
}

export function processRequest(
  input: RequestInput,
  sites: SiteLookup,
  salts: SaltSource,
  out: EventRecord[],
): RequestOutcome {
  const site = sites.byId(input.siteId);
  if (!site) return { ok: false, code: 'BEACONRY_ERR_UNAUTHORIZED', message: 'Unknown or revoked key.', received: 0 };
  let batch: NativeBatch;
  try {
    const limits: DecodeLimits = input.maxBytes === DEFAULT_LIMITS.maxBytes ? DEFAULT_LIMITS : { ...DEFAULT_LIMITS, maxBytes: input.maxBytes };
    batch = toNativeBatch(decodeBody(input.body, limits));
  } catch (err) {
    if (err instanceof DecodeError) return { ok: false, code: 'BEACONRY_ERR_MALFORMED', message: err.message, received: 0 };
    if (err instanceof BeaconryError) return { ok: false, code: err.code, message: err.message, received: 0 };
    throw err;
  }
  if (batch.site !== undefined) {
    const named = sites.byDomainOrId(batch.site);
    if (named?.id !== site.id) {
      return { ok: false, code: 'BEACONRY_ERR_FORBIDDEN_SITE', message: 'This key cannot write to the site named in the batch.', received: batch.events.length };
    }
  }
  if (input.keyKind === 'public' && (batch.ip !== undefined || batch.ua !== undefined)) {
    return { ok: false, code: 'BEACONRY_ERR_BAD_REQUEST', message: 'Only a secret key may set ip or ua.', received: batch.events.length };
  }
  const ctx: RequestContext = {
    site,
    keyKind: input.keyKind,
    ip: batch.ip ?? input.ip,
    ua: batch.ua ?? input.ua,
    now: input.receivedAt,
    sessionId: batch.sessionId,
    pageUrl: batch.url,
    referrer: batch.referrer,
    salts,
    memo: new Map(),
  };
  const dropped: Partial<Record<DropReason, number>> = {};
  let accepted = 0;
  for (const raw of batch.events) {
    const reason = runSteps(raw, ctx, out);
    if (reason === undefined) accepted++;
    else dropped[reason] = (dropped[reason] ?? 0) + 1;
  }
  return { ok: true, accepted, dropped, received: batch.events.length };
}

function runSteps(raw: unknown, ctx: RequestContext, out: EventRecord[]): DropReason | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return 'invalid_event';
  const rec = newRecord();
  rec.site_id = ctx.site.id;
  const ev = { raw: raw as Record<string, unknown>, rec };
  for (const [, step] of STEPS) {
    const reason = step(ev, ctx);
    if (reason !== undefined) return reason;
  }
  out.push(rec);
  return undefined;
}

export { DROP_REASONS };
