// Time periods of the stats API (Plausible's `period` / `date`), as inclusive ranges of site-local
// days; comparison ranges; and the labels of time-series buckets (hour, day, week, month).
import { dayNumber, dayString, localDay } from '../store/days.js';
import { StatsError } from './stats-error.js';

export interface DayRange {
  /** First and last site-local day, inclusive ('YYYY-MM-DD'). */
  from: string;
  to: string;
}

export const PERIODS = ['day', '7d', '30d', 'month', '6mo', '12mo', 'custom'] as const;
export type Period = (typeof PERIODS)[number];
export type Interval = 'hour' | 'day' | 'week' | 'month';
export type CompareMode = 'previous_period' | 'year_over_year';

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const MAX_RANGE_DAYS = 3660;

function parseDate(s: string): string {
  const v = s.trim();
  if (!DATE_RE.test(v)) throw new StatsError(`Error parsing \`date\` parameter: "${s}" is not a date. Please specify a valid date in ISO-8601 format (YYYY-MM-DD).`);
  try {
    dayNumber(v);
  } catch {
    throw new StatsError(`Error parsing \`date\` parameter: "${s}" is not a calendar date. Please specify a valid date in ISO-8601 format (YYYY-MM-DD).`);
  }
  return v;
}

const addDays = (day: string, n: number): string => dayString(dayNumber(day) + n);

function monthStart(day: string, monthsBack = 0): string {
  const [y, m] = day.split('-').map(Number) as [number, number];
  const d = new Date(Date.UTC(y, m - 1 - monthsBack, 1));
  return d.toISOString().slice(0, 10);
}

function monthEnd(day: string): string {
  const [y, m] = day.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
}

/** The site-local range a `period` (default 30d) and `date` (default today in the site's zone) name. */
export function parseRange(period: string | null, date: string | null, timezone: string, now: number): { period: Period; range: DayRange } {
  const p = (period ?? '30d') as Period;
  if (!PERIODS.includes(p)) {
    throw new StatsError(`Error parsing \`period\` parameter: invalid period \`${period}\`. Accepted values: ${PERIODS.join(', ')}.`);
  }
  if (p === 'custom') {
    if (date === null || date === '') throw new StatsError('The `date` parameter is required when using a custom period (date=YYYY-MM-DD,YYYY-MM-DD).');
    const parts = date.split(',');
    if (parts.length !== 2) throw new StatsError('Invalid format for `date` parameter. When using a custom period, please include two ISO-8601 formatted dates joined by a comma.');
    const from = parseDate(parts[0]!);
    const to = parseDate(parts[1]!);
    if (from > to) throw new StatsError('Invalid `date` parameter: the custom range ends before it starts.');
    // Retention keeps at most a year; ten years of daily rows is already a generous answer.
    if (dayNumber(to) - dayNumber(from) >= MAX_RANGE_DAYS) throw new StatsError(`Invalid \`date\` parameter: a custom range covers at most ${MAX_RANGE_DAYS} days.`);
    return { period: p, range: { from, to } };
  }
  const anchor = date === null || date === '' || date === 'today' ? localDay(now, timezone) : parseDate(date);
  switch (p) {
    case 'day':
      return { period: p, range: { from: anchor, to: anchor } };
    case '7d':
      return { period: p, range: { from: addDays(anchor, -6), to: anchor } };
    case '30d':
      return { period: p, range: { from: addDays(anchor, -29), to: anchor } };
    case 'month':
      return { period: p, range: { from: monthStart(anchor), to: monthEnd(anchor) } };
    case '6mo':
      return { period: p, range: { from: monthStart(anchor, 5), to: monthEnd(anchor) } };
    default:
      return { period: p, range: { from: monthStart(anchor, 11), to: monthEnd(anchor) } };
  }
}

export function rangeDays(r: DayRange): number {
  return dayNumber(r.to) - dayNumber(r.from) + 1;
}

/** Every day of the range, ascending. */
export function daysOf(r: DayRange): string[] {
  const a = dayNumber(r.from);
  return Array.from({ length: rangeDays(r) }, (_, i) => dayString(a + i));
}

function minusYear(day: string): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const last = new Date(Date.UTC(y - 1, m, 0)).getUTCDate();
  return new Date(Date.UTC(y - 1, m - 1, Math.min(d, last))).toISOString().slice(0, 10);
}

/** The range a comparison looks at: the same number of days just before, or the same dates a year earlier. */
export function compareRange(r: DayRange, mode: CompareMode): DayRange {
  if (mode === 'year_over_year') return { from: minusYear(r.from), to: minusYear(r.to) };
  const n = rangeDays(r);
  return { from: addDays(r.from, -n), to: addDays(r.from, -1) };
}

export function parseCompare(raw: string | null): CompareMode | undefined {
  if (raw === null || raw === '' || raw === 'false') return undefined;
  if (raw === 'previous_period' || raw === 'year_over_year') return raw;
  throw new StatsError(`Error parsing \`compare\` parameter: invalid value \`${raw}\`. Use previous_period or year_over_year.`);
}

/** Plausible's default: month for 6mo and 12mo, hour for a single day, day otherwise. */
export function parseInterval(raw: string | null, period: Period, range: DayRange): Interval {
  const v = raw === null || raw === '' ? (period === '6mo' || period === '12mo' ? 'month' : rangeDays(range) === 1 ? 'hour' : 'day') : raw === 'date' ? 'day' : raw;
  if (v !== 'hour' && v !== 'day' && v !== 'week' && v !== 'month') {
    throw new StatsError(`Error parsing \`interval\` parameter: invalid interval \`${raw}\`. Valid intervals are \`hour\`, \`day\`, \`week\`, \`month\`.`);
  }
  if (v === 'hour' && rangeDays(range) > 92) throw new StatsError('The `hour` interval is available for ranges of up to 92 days.');
  return v;
}

/** The label of the bucket a day falls in: the day, or the Monday / first of the month, but never before the range starts. */
export function bucketOf(day: string, interval: Exclude<Interval, 'hour'>, range: DayRange): string {
  if (interval === 'day') return day;
  let start: string;
  if (interval === 'week') {
    const n = dayNumber(day);
    // 1970-01-01 was a Thursday: (n + 3) % 7 is 0 on Mondays.
    start = dayString(n - ((n + 3) % 7));
  } else start = monthStart(day);
  return start < range.from ? range.from : start;
}

export const hourLabel = (day: string, hour: number): string => `${day} ${String(hour).padStart(2, '0')}:00:00`;
