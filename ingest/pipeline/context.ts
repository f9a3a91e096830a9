// What the pipeline steps see: one request's context (site, key kind, IP and UA in memory only,
// per-request caches so that hashing and parsing happen once per request, not once per event) and
// the event being built.
import type { DropReason, EventRecord } from '../../core/event-contract.js';

export interface SiteView {
  readonly id: string;
  readonly domain: string;
  readonly timezone: string;
  readonly umamiId?: string | null;
}

export interface SaltSource {
  /** The salt for this site-local day, or undefined when it was already destroyed (backfill). */
  saltFor(siteId: string, day: number): Buffer | undefined;
}

export interface RequestContext {
  readonly site: SiteView;
  readonly keyKind: 'public' | 'secret';
  readonly ip: string;
  readonly ua: string;
  /** Server time at receipt (ms). */
  readonly now: number;
  readonly sessionId: string | undefined;
  readonly pageUrl: unknown;
  readonly referrer: unknown;
  readonly salts: SaltSource;
  /** Memo for per-request work (bot verdict, UA parse, visitor id per day, parsed URLs). */
  readonly memo: Map<string, unknown>;
}

export interface EventDraft {
  /** The decoded event object, not yet trusted. */
  readonly raw: Readonly<Record<string, unknown>>;
  readonly rec: EventRecord;
}

/** A pipeline step. `drop…` steps may return a reason to end processing of this event. */
export type Step = (ev: EventDraft, ctx: RequestContext) => DropReason | undefined;

export function memo<T>(ctx: RequestContext, key: string, make: () => T): T {
  // One lookup on a hit (the common case: every event after a request's first); `has` only for a
  // memoized undefined.
  const hit = ctx.memo.get(key);
  if (hit !== undefined || ctx.memo.has(key)) return hit as T;
  const v = make();
  ctx.memo.set(key, v);
  return v;
}
