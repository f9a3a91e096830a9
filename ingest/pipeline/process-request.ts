// One request through the pool: decode → batch-level checks → the steps for each event. Returns the
// accepted records and the outcome the edge answers with. Formats other than the native batch
// (Plausible, Umami) are thin adapters (formats/) that produce the same native events before the steps.
import { DROP_REASONS, type DropReason, type EventRecord } from '../../core/event-contract.js';
import { BeaconryError, type ErrorCode } from '../../core/errors.js';
import type { RequestContext, SaltSource, SiteView } from './context.js';
import { decodeBody, sniffFormat } from './decode/decode-body.js';
import { DecodeError, DEFAULT_LIMITS, type DecodeLimits } from './decode/limits.js';
import { DROP_IN_FORMATS, type DropInFormatName } from './formats/index.js';
import { isFailure, type AdaptedEvent, type FormatReply, type ItemOutcome } from './formats/format.js';
import { toNativeBatch, type NativeBatch } from './native-batch.js';
import { STEPS } from './steps/index.js';
import { newRecord } from './arrow-batch.js';

export type KeyKind = 'public' | 'secret';
export type WireFormat = 'native' | DropInFormatName;

export interface RequestInput {
  readonly body: Uint8Array;
  /** Memory only. */
  readonly ip: string;
  readonly ua: string;
  readonly keyKind: KeyKind;
  /**
   * The site the key belongs to (resolved by the edge). Undefined only for keyless drop-in requests
   * (Plausible, Umami), whose body names the site: the pool resolves it through the registry.
   */
  readonly siteId?: string;
  readonly format: WireFormat;
  readonly receivedAt: number;
  readonly maxBytes: number;
  /** Keyless drop-in requests: sites the edge's public limiter is throttling, whose events are refused. */
  readonly throttled?: readonly string[];
}

/** Events run for a site by a keyless request: the edge charges them to that site's public limiter. */
export type SiteCharge = readonly [siteId: string, events: number];

export type RequestOutcome =
  | {
    ok: true;
    accepted: number;
    dropped: Partial<Record<DropReason, number>>;
    received: number;
    /** Drop-in formats: the client's own answer, rendered here rather than on the edge. */
    reply?: FormatReply;
    charges?: readonly SiteCharge[];
    /** Sites a drop-in body named that do not exist (Plausible: dropped, not refused). */
    unknownSites?: number;
  }
  | {
    ok: false;
    code: ErrorCode;
    message: string;
    received: number;
    /** Extra fields for the error body (Plausible's field errors). */
    details?: Readonly<Record<string, unknown>>;
    charges?: readonly SiteCharge[];
  };

export interface SiteLookup {
  byId(id: string): SiteView | undefined;
  byDomainOrId(name: string): SiteView | undefined;
}

const limitsFor = (input: RequestInput): DecodeLimits =>
  input.maxBytes === DEFAULT_LIMITS.maxBytes ? DEFAULT_LIMITS : { ...DEFAULT_LIMITS, maxBytes: input.maxBytes };

export function processRequest(
  input: RequestInput,
  sites: SiteLookup,
  salts: SaltSource,
  out: EventRecord[],
): RequestOutcome {
  if (input.format !== 'native') return processDropIn(input, input.format, sites, salts, out);
  const site = input.siteId === undefined ? undefined : sites.byId(input.siteId);
  if (!site) return { ok: false, code: 'BEACONRY_ERR_UNAUTHORIZED', message: 'Unknown or revoked key.', received: 0 };
  let batch: NativeBatch;
  try {
    batch = toNativeBatch(decodeBody(input.body, limitsFor(input)));
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
  const ctx = contextFor(site, batch, input, salts);
  const dropped: Partial<Record<DropReason, number>> = {};
  let accepted = 0;
  for (const raw of batch.events) {
    const reason = runSteps(raw, ctx, out);
    if (reason === undefined) accepted++;
    else dropped[reason] = (dropped[reason] ?? 0) + 1;
  }
  return { ok: true, accepted, dropped, received: batch.events.length };
}

function contextFor(site: SiteView, batch: NativeBatch, input: RequestInput, salts: SaltSource): RequestContext {
  return {
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
}

/**
 * A Plausible or Umami request: decode (JSON only), let the format's adapter bind native-shaped
 * events to the sites the body names, run them through the same steps as a native batch (one
 * context per site and visitor, so per-request memos stay correct), and let the format answer.
 */
function processDropIn(input: RequestInput, name: DropInFormatName, sites: SiteLookup, salts: SaltSource, out: EventRecord[]): RequestOutcome {
  const format = DROP_IN_FORMATS[name];
  let value: unknown;
  try {
    if (sniffFormat(input.body) !== 'json') throw new DecodeError('the body is not JSON');
    value = decodeBody(input.body, limitsFor(input));
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err;
    const message = name === 'plausible' ? 'Unable to parse request body as json' : `Invalid request: ${err.message}`;
    return { ok: false, code: 'BEACONRY_ERR_MALFORMED', message, received: 0 };
  }
  const adapted = format.adapt(value, { keyKind: input.keyKind, keySiteId: input.siteId, throttled: new Set(input.throttled), sites });
  if (!adapted.ok) {
    const f = adapted.failure;
    return { ok: false, code: f.code, message: f.message, received: 0, ...(f.details ? { details: f.details } : {}) };
  }
  const items: ItemOutcome[] = Array.from({ length: adapted.items }, (_, i) => {
    const failure = adapted.failures[i];
    return failure ? { failure, stored: 0 } : { stored: 0 };
  });
  const mark = out.length;
  const dropped: Partial<Record<DropReason, number>> = {};
  const charges = new Map<string, number>();
  let accepted = 0;
  for (const group of groupBySiteAndVisitor(adapted.events)) {
    const head = group[0]!;
    const batch: NativeBatch = { events: [], sessionId: undefined, url: undefined, referrer: undefined, site: head.site.id, ip: head.ip, ua: head.ua };
    const ctx = contextFor(head.site, batch, input, salts);
    charges.set(head.site.id, (charges.get(head.site.id) ?? 0) + group.length);
    for (const ev of group) {
      const item = items[ev.item]!;
      const reason = runSteps(ev.raw, ctx, out);
      if (reason === undefined) {
        accepted++;
        if (item.stored++ === 0) item.first = out[out.length - 1];
      } else {
        dropped[reason] = (dropped[reason] ?? 0) + 1;
        item.dropped ??= reason;
      }
    }
  }
  const received = adapted.events.length;
  const chargeList = [...charges];
  const reply = format.reply({ items, accepted, dropped, unknownSites: adapted.unknownSites, throttledSites: adapted.throttledSites });
  if (isFailure(reply)) {
    // A refused request stores nothing: its records leave the task's batch again.
    out.length = mark;
    return { ok: false, code: reply.code, message: reply.message, received, charges: chargeList, ...(reply.details ? { details: reply.details } : {}) };
  }
  return { ok: true, accepted, dropped, received, reply, charges: chargeList, ...(adapted.unknownSites > 0 ? { unknownSites: adapted.unknownSites } : {}) };
}

/** Events sharing a site, address and agent share one context (bot verdict, visitor id, memos). */
function groupBySiteAndVisitor(events: readonly AdaptedEvent[]): AdaptedEvent[][] {
  const groups = new Map<string, AdaptedEvent[]>();
  for (const ev of events) {
    const key = `${ev.site.id}\u0000${ev.ip ?? ''}\u0000${ev.ua ?? ''}`;
    const g = groups.get(key);
    if (g) g.push(ev);
    else groups.set(key, [ev]);
  }
  return [...groups.values()];
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
