// The only use of the raw IP besides the country: visitor id = HMAC-SHA256 keyed by the site's salt
// of the event's local day over (site, IP, User-Agent), truncated to 64 bits. Salts rotate daily and
// are destroyed, so ids cannot be linked across days. One HMAC per request and day (not per event).
// Also the event id: a 64-bit hash of the client's random id, so a re-sent batch dedups in the store.
import { createHmac, hash, randomBytes, randomFillSync } from 'node:crypto';
import { memo, type RequestContext, type Step } from '../context.js';

/**
 * Key for days whose salt is gone (backfill by secret keys): random per process and never
 * persisted, so old events get ids that are stable within one import and link to nothing else.
 */
const EPHEMERAL_SALT = randomBytes(32);

// Event ids for events sent without one: 8 random bytes each, drawn from a pool refilled 64 KiB at a
// time. randomBytes(8) per event was half of the pipeline's time (bench/micro/pipeline.bench.ts).
const POOL_BYTES = 64 * 1024;
const pool = Buffer.alloc(POOL_BYTES);
let poolPos = POOL_BYTES;

export function random64(): bigint {
  if (poolPos + 8 > POOL_BYTES) {
    randomFillSync(pool);
    poolPos = 0;
  }
  const v = pool.readBigUInt64BE(poolPos);
  poolPos += 8;
  return v;
}

function hmac64(key: Buffer, parts: readonly string[]): bigint {
  // JSON of an array of strings is an unambiguous encoding of the parts: no delimiter games.
  return createHmac('sha256', key).update(JSON.stringify(parts)).digest().readBigUInt64BE(0);
}

export function visitorIdFor(ctx: RequestContext, day: number): bigint {
  return memo(ctx, `vid|${day}`, () => {
    const salt = ctx.salts.saltFor(ctx.site.id, day) ?? Buffer.concat([EPHEMERAL_SALT, Buffer.from(String(day))]);
    return hmac64(salt, [ctx.site.id, ctx.ip, ctx.ua]);
  });
}

export const putVisitorId: Step = (ev, ctx) => {
  const day = ev.rec.day as number;
  const vid = visitorIdFor(ctx, day);
  ev.rec.visitor_id = vid;
  const sid = ctx.sessionId;
  ev.rec.session_id = sid === undefined
    ? 0n // no tab session: rollups split visits by 30 minutes of inactivity
    : memo(ctx, `sid|${day}`, () => {
      const salt = ctx.salts.saltFor(ctx.site.id, day) ?? EPHEMERAL_SALT;
      return hmac64(salt, [ctx.site.id, ctx.ip, ctx.ua, sid]);
    });
  return undefined;
};

export const putEventId: Step = (ev, ctx) => {
  const id = ev.raw.i;
  if (id === undefined) {
    ev.rec.event_id = random64();
    return undefined;
  }
  if ((typeof id !== 'string' && typeof id !== 'number') || String(id).length === 0 || String(id).length > 64) return 'invalid_field';
  // One-shot hash: half the cost of a createHash object per event (1.2 against 2.1 µs here).
  ev.rec.event_id = hash('sha256', `${ctx.site.id}\u0000${String(id)}`, 'buffer').readBigUInt64BE(0);
  return undefined;
};
