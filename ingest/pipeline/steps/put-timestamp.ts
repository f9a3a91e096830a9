// Event time: the client's `ts` if sane. More than a minute in the future → server time (clock skew);
// older than 48 h → refused for public keys (only a secret key may backfill). Then the site-local day
// and hour, which pick the day partition and the daily salt.
import { FUTURE_SKEW_MS, PUBLIC_MAX_AGE_MS } from '../../../core/event-contract.js';
import type { Step } from '../context.js';
import { localDayHour } from '../local-time.js';

/** Events before 2000-01-01 are not analytics, they are bugs. */
const MIN_TS = 946_684_800_000;

export const putTimestamp: Step = (ev, ctx) => {
  const raw = ev.raw.ts;
  let ts = ctx.now;
  if (raw !== undefined) {
    if (typeof raw !== 'number' || !Number.isFinite(raw) || raw < MIN_TS) return 'invalid_field';
    ts = Math.trunc(raw);
    if (ts > ctx.now + FUTURE_SKEW_MS) ts = ctx.now;
    if (ctx.keyKind === 'public' && ts < ctx.now - PUBLIC_MAX_AGE_MS) return 'too_old';
  }
  const { day, hour } = localDayHour(ts, ctx.site.timezone);
  ev.rec.ts = ts;
  ev.rec.day = day;
  ev.rec.hour = hour;
  return undefined;
};
