// Date ranges in the site's time zone: the presets of the range picker, the comparison period, and
// the chart intervals that make sense for a range. Days are 'YYYY-MM-DD' strings throughout; the
// stats API gets explicit custom ranges, so "last 7 days" means exactly what the picker shows.
import { formatDay } from './format.js';

export const RANGES = ['day', 'yesterday', '7d', '30d', 'month', 'last-month', '12mo', 'custom'] as const;
export type RangeKey = (typeof RANGES)[number];

export const RANGE_LABELS: Record<RangeKey, string> = {
  day: 'Today',
  yesterday: 'Yesterday',
  '7d': 'Last 7 days',
  '30d': 'Last 30 days',
  month: 'Month to date',
  'last-month': 'Last month',
  '12mo': 'Last 12 months',
  custom: 'Custom range',
};

/** Keyboard shortcuts, as in Plausible. */
export const RANGE_KEYS: Partial<Record<string, RangeKey>> = { d: 'day', e: 'yesterday', w: '7d', t: '30d', m: 'month', l: 'last-month', y: '12mo', c: 'custom' };

export type Interval = 'hour' | 'day' | 'week' | 'month';
export type Comparison = 'off' | 'previous_period' | 'year_over_year';

export interface DayRange {
  from: string;
  to: string;
}

const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

export function isDay(s: string | null | undefined): s is string {
  return typeof s === 'string' && DAY_RE.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`));
}

export function todayIn(timezone: string, now = new Date()): string {
  try {
    return new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
  } catch {
    return now.toISOString().slice(0, 10);
  }
}

export function addDays(day: string, n: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

export function addMonths(day: string, n: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  const target = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + n, 1));
  const last = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(d.getUTCDate(), last));
  return target.toISOString().slice(0, 10);
}

export const monthStart = (day: string): string => `${day.slice(0, 7)}-01`;

export function daysBetween(r: DayRange): number {
  return Math.round((Date.parse(`${r.to}T00:00:00Z`) - Date.parse(`${r.from}T00:00:00Z`)) / 86_400_000) + 1;
}

export function rangeFor(key: RangeKey, today: string, custom?: DayRange): DayRange {
  switch (key) {
    case 'day':
      return { from: today, to: today };
    case 'yesterday':
      return { from: addDays(today, -1), to: addDays(today, -1) };
    case '7d':
      return { from: addDays(today, -6), to: today };
    case '30d':
      return { from: addDays(today, -29), to: today };
    case 'month':
      return { from: monthStart(today), to: today };
    case 'last-month': {
      const start = monthStart(addMonths(monthStart(today), -1));
      return { from: start, to: addDays(monthStart(today), -1) };
    }
    case '12mo':
      return { from: monthStart(addMonths(monthStart(today), -11)), to: today };
    case 'custom':
      return custom && custom.from <= custom.to ? custom : { from: addDays(today, -29), to: today };
  }
}

export function comparisonRange(r: DayRange, mode: Comparison): DayRange | undefined {
  if (mode === 'off') return undefined;
  if (mode === 'year_over_year') return { from: addMonths(r.from, -12), to: addMonths(r.to, -12) };
  const n = daysBetween(r);
  return { from: addDays(r.from, -n), to: addDays(r.from, -1) };
}

export function intervalsFor(r: DayRange): Interval[] {
  const n = daysBetween(r);
  if (n <= 2) return ['hour', 'day'];
  if (n <= 7) return ['hour', 'day', 'week'];
  if (n <= 31) return ['day', 'week'];
  return ['day', 'week', 'month'];
}

export function defaultInterval(r: DayRange): Interval {
  const n = daysBetween(r);
  return n <= 2 ? 'hour' : n <= 92 ? 'day' : 'month';
}

export function describeRange(r: DayRange): string {
  if (r.from === r.to) return formatDay(r.from, true);
  return `${formatDay(r.from)} – ${formatDay(r.to, true)}`;
}

/** Every bucket start of the range at the interval (hours as 'YYYY-MM-DD HH:00:00'), so gaps show as zeros. */
export function buckets(r: DayRange, interval: Interval): string[] {
  const out: string[] = [];
  if (interval === 'hour') {
    for (let d = r.from; d <= r.to; d = addDays(d, 1)) for (let h = 0; h < 24; h++) out.push(`${d} ${String(h).padStart(2, '0')}:00:00`);
  } else if (interval === 'day') {
    for (let d = r.from; d <= r.to; d = addDays(d, 1)) out.push(d);
  } else if (interval === 'week') {
    // ISO weeks start on Monday; the first bucket is the Monday on or before `from`.
    const dow = (new Date(`${r.from}T00:00:00Z`).getUTCDay() + 6) % 7;
    for (let d = addDays(r.from, -dow); d <= r.to; d = addDays(d, 7)) out.push(d);
  } else {
    for (let d = monthStart(r.from); d <= r.to; d = addMonths(d, 1)) out.push(d);
  }
  return out;
}
