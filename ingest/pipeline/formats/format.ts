// The contract of a drop-in wire format (Plausible, Umami): a thin adapter that turns a decoded body
// into native-shaped events, each bound to the site it names, and renders the client's own answer
// once the one pipeline (process-request → steps) has run them. Runs in the pool, never on the edge.
import type { DropReason, EventRecord } from '../../../core/event-contract.js';
import type { ErrorCode } from '../../../core/errors.js';
import type { SiteView } from '../context.js';
import type { KeyKind, SiteLookup } from '../process-request.js';

/** A refusal of a whole request or of one item of it (Umami batches answer per item). */
export interface ItemFailure {
  readonly code: ErrorCode;
  readonly message: string;
  /** Extra fields for the error body (Plausible's `errors` map). */
  readonly details?: Readonly<Record<string, unknown>>;
}

/** One native-shaped event (`t`, `u`, `r`, `n`, `p`, `ts`, …) and where it goes. */
export interface AdaptedEvent {
  /** Index of the item (request body element) it came from. */
  readonly item: number;
  readonly site: SiteView;
  readonly raw: Record<string, unknown>;
  /** Visitor address and agent given in the body: secret keys only (server-side senders). */
  readonly ip?: string;
  readonly ua?: string;
}

export type Adapted =
  | {
    readonly ok: true;
    /** Items in the body: 1 for Plausible and Umami's send, the array length for Umami's batch. */
    readonly items: number;
    readonly events: readonly AdaptedEvent[];
    /** Items refused before the steps, by index (unknown website, bad shape, …). */
    readonly failures: readonly (ItemFailure | undefined)[];
    /** Named sites that do not exist (Plausible's domain lists: dropped, not refused). */
    readonly unknownSites: number;
    /** Named sites over their public rate limit: their events were not run. */
    readonly throttledSites: number;
  }
  | { readonly ok: false; readonly failure: ItemFailure };

export interface AdaptContext {
  readonly keyKind: KeyKind;
  /** The secret key's site; undefined for keyless (public) drop-in requests. */
  readonly keySiteId: string | undefined;
  /** Sites the edge currently throttles (public limiter), by id. */
  readonly throttled: ReadonlySet<string>;
  readonly sites: SiteLookup;
}

/** What became of one item after the steps. */
export interface ItemOutcome {
  failure?: ItemFailure;
  /** The first drop reason among the item's events. */
  dropped?: DropReason;
  /** Events of the item stored (Plausible: one per listed site). */
  stored: number;
  /** The first stored record (Umami answers with ids derived from it). */
  first?: EventRecord;
}

export interface StepsSummary {
  readonly items: readonly ItemOutcome[];
  readonly accepted: number;
  readonly dropped: Partial<Record<DropReason, number>>;
  readonly unknownSites: number;
  readonly throttledSites: number;
}

/** The client's answer, rendered in the pool; the edge writes it once the events are durable. */
export interface FormatReply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface DropInFormat {
  adapt(value: unknown, ctx: AdaptContext): Adapted;
  /** The answer, or a refusal of the whole request (then nothing of it is stored). */
  reply(summary: StepsSummary): FormatReply | ItemFailure;
}

/** Drop reasons that mean "the client sent something invalid": a 400 in both clients' APIs. */
export const INVALID_INPUT: ReadonlySet<DropReason> = new Set<DropReason>(['invalid_event', 'invalid_url', 'invalid_props', 'invalid_field']);

export function isFailure(r: FormatReply | ItemFailure): r is ItemFailure {
  return 'code' in r;
}

/**
 * A site named in a body, as a key may write to it: a secret key only to its own site (like a native
 * batch's `d`), a keyless request to any registered site the edge is not throttling.
 */
export function resolveSite(name: string, ctx: AdaptContext): SiteView | ItemFailure | undefined {
  const site = ctx.sites.byDomainOrId(name);
  if (ctx.keySiteId !== undefined) {
    if (site?.id !== ctx.keySiteId) return { code: 'BEACONRY_ERR_FORBIDDEN_SITE', message: 'This key cannot write to the site named in the request.' };
    return site;
  }
  if (!site) return undefined;
  if (ctx.throttled.has(site.id)) return { code: 'BEACONRY_ERR_RATE_LIMITED', message: 'Rate limit exceeded for this site; retry after the time in Retry-After.' };
  return site;
}

export function isSite(v: SiteView | ItemFailure | undefined): v is SiteView {
  return v !== undefined && !('code' in v);
}
