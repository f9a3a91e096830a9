// Day arithmetic for the store: a partition is named by the site-local calendar day its rows carry in
// the `day` column (days since 1970-01-01), written as 'YYYY-MM-DD' in file names and in the API.

const DAY_MS = 86_400_000;
const DAY_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Days since the epoch → 'YYYY-MM-DD'. */
export function dayString(dayNumber: number): string {
  return new Date(dayNumber * DAY_MS).toISOString().slice(0, 10);
}

/** 'YYYY-MM-DD' → days since the epoch; throws on anything that is not a real calendar date. */
export function dayNumber(day: string): number {
  const m = DAY_RE.exec(day);
  if (!m) throw new RangeError(`not a day (YYYY-MM-DD): ${JSON.stringify(day)}`);
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (dayString(ms / DAY_MS) !== day) throw new RangeError(`not a calendar day: ${day}`);
  return ms / DAY_MS;
}

export function isDay(day: string): boolean {
  try {
    dayNumber(day);
    return true;
  } catch {
    return false;
  }
}

/** The catalog name a day file is attached under: an identifier that needs no quoting. */
export function dayAlias(day: string): string {
  return `ev_${day.replaceAll('-', '')}`;
}

/** The site-local calendar day of an instant in an IANA time zone, as 'YYYY-MM-DD'. */
export function localDay(epochMs: number, timeZone: string): string {
  // en-CA formats dates as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(epochMs);
}
