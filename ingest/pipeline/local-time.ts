// Site-local calendar day and hour of a UTC instant, through Intl (ICU) with a bounded cache of
// UTC offsets per 15-minute slot: formatToParts costs microseconds, a Map hit costs nanoseconds.
const formatters = new Map<string, Intl.DateTimeFormat>();
/** Per time zone: 15-minute slot → offset. Nested maps avoid building a string key per event. */
const offsets = new Map<string, Map<number, number>>();
let cached = 0;
const SLOT_MS = 15 * 60 * 1000;
const MAX_CACHE = 20_000;

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric',
    });
    formatters.set(tz, f);
  }
  return f;
}

/** Offset of `tz` from UTC in ms at instant `ts` (local = utc + offset). */
export function tzOffsetMs(ts: number, tz: string): number {
  if (tz === 'UTC' || tz === 'Etc/UTC') return 0;
  const slot = Math.floor(ts / SLOT_MS);
  let zone = offsets.get(tz);
  if (!zone) {
    zone = new Map();
    offsets.set(tz, zone);
  }
  const hit = zone.get(slot);
  if (hit !== undefined) return hit;
  const at = slot * SLOT_MS;
  const parts = formatter(tz).formatToParts(new Date(at));
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const localAsUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'));
  const offset = localAsUtc - Math.floor(at / 60_000) * 60_000;
  if (++cached > MAX_CACHE) {
    offsets.clear();
    cached = 0;
    offsets.set(tz, zone);
    zone.clear();
  }
  zone.set(slot, offset);
  return offset;
}

/** Days since 1970-01-01 and hour (0–23) of `ts` in `tz`. */
export function localDayHour(ts: number, tz: string): { day: number; hour: number } {
  const local = ts + tzOffsetMs(ts, tz);
  const day = Math.floor(local / 86_400_000);
  return { day, hour: Math.floor((local - day * 86_400_000) / 3_600_000) };
}

export function dayToIso(day: number): string {
  return new Date(day * 86_400_000).toISOString().slice(0, 10);
}

export function isoToDay(iso: string): number {
  return Math.floor(Date.parse(`${iso}T00:00:00Z`) / 86_400_000);
}

export function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
