// Number, percentage, duration and date formatting for the analytics views (the browser's locale).

const compact = new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 1 });
const whole = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const twoDigits = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });

export function formatNumber(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  return Math.abs(n) >= 10_000 ? compact.format(n) : Number.isInteger(n) ? whole.format(n) : twoDigits.format(n);
}

export function formatExact(n: number | null | undefined): string {
  return n === null || n === undefined || !Number.isFinite(n) ? '–' : twoDigits.format(n);
}

export function formatPercent(n: number | null | undefined): string {
  return n === null || n === undefined || !Number.isFinite(n) ? '–' : `${Math.round(n * 10) / 10}%`;
}

/** Seconds as "1m 05s" / "42s" / "1h 02m". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '–';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

/** 'YYYY-MM-DD' as "22 Nov" or "22 Nov 2025" when the year differs from this year. */
export function formatDay(day: string, withYear = false): string {
  const d = new Date(`${day}T00:00:00Z`);
  const thisYear = new Date().getUTCFullYear() === d.getUTCFullYear();
  return d.toLocaleDateString(undefined, { day: 'numeric', month: 'short', ...(withYear || !thisYear ? { year: 'numeric' } : {}), timeZone: 'UTC' });
}

export function formatMonth(day: string): string {
  return new Date(`${day}T00:00:00Z`).toLocaleDateString(undefined, { month: 'short', year: 'numeric', timeZone: 'UTC' });
}
