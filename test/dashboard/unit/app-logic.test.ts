// The dashboard app's pure logic: date ranges in a site's zone, comparison periods, chart intervals,
// the v1 filter syntax in the URL, and CSV that spreadsheets cannot be tricked by.
import { describe, expect, it } from 'vitest';
import { addMonths, comparisonRange, daysBetween, intervalsFor, rangeFor, todayIn } from '../../../dashboard/app/src/lib/periods.js';
import { filterToString, filtersParam, parseFilter } from '../../../dashboard/app/src/lib/filters.js';
import { toCsv } from '../../../dashboard/app/src/analytics/csv.js';

describe('periods', () => {
  it('computes the presets from the site-local today', () => {
    expect(rangeFor('7d', '2026-03-10')).toEqual({ from: '2026-03-04', to: '2026-03-10' });
    expect(rangeFor('yesterday', '2026-03-01')).toEqual({ from: '2026-02-28', to: '2026-02-28' });
    expect(rangeFor('month', '2026-03-10')).toEqual({ from: '2026-03-01', to: '2026-03-10' });
    expect(rangeFor('last-month', '2026-03-10')).toEqual({ from: '2026-02-01', to: '2026-02-28' });
    expect(rangeFor('12mo', '2026-03-10')).toEqual({ from: '2025-04-01', to: '2026-03-10' });
    expect(rangeFor('custom', '2026-03-10', { from: '2026-01-05', to: '2026-01-09' })).toEqual({ from: '2026-01-05', to: '2026-01-09' });
  });
  it('takes today in the site zone, not the browser zone', () => {
    const at = new Date('2026-03-10T23:30:00Z');
    expect(todayIn('UTC', at)).toBe('2026-03-10');
    expect(todayIn('Asia/Tokyo', at)).toBe('2026-03-11');
    expect(todayIn('America/Los_Angeles', at)).toBe('2026-03-10');
  });
  it('compares with the period just before, or a year earlier', () => {
    expect(comparisonRange({ from: '2026-03-04', to: '2026-03-10' }, 'previous_period')).toEqual({ from: '2026-02-25', to: '2026-03-03' });
    expect(comparisonRange({ from: '2024-02-29', to: '2024-02-29' }, 'year_over_year')).toEqual({ from: '2023-02-28', to: '2023-02-28' });
    expect(comparisonRange({ from: '2026-03-04', to: '2026-03-10' }, 'off')).toBeUndefined();
    expect(addMonths('2026-03-31', -1)).toBe('2026-02-28');
  });
  it('offers intervals that fit the range', () => {
    expect(intervalsFor({ from: '2026-03-10', to: '2026-03-10' })).toEqual(['hour', 'day']);
    expect(intervalsFor({ from: '2026-02-09', to: '2026-03-10' })).toEqual(['day', 'week']);
    expect(intervalsFor({ from: '2025-04-01', to: '2026-03-10' })).toEqual(['day', 'week', 'month']);
    expect(daysBetween({ from: '2026-02-27', to: '2026-03-02' })).toBe(4);
  });
});

describe('filters', () => {
  it('round-trips through the URL, escaping the v1 separators', () => {
    const f = { property: 'event:page', op: '==' as const, value: '/a;b|c\\d' };
    expect(filterToString(f)).toBe('event:page==/a\\;b\\|c\\\\d');
    expect(parseFilter(filterToString(f))).toEqual(f);
    expect(parseFilter('visit:country!=FR')).toEqual({ property: 'visit:country', op: '!=', value: 'FR' });
    expect(parseFilter('event:props:plan==pro')).toEqual({ property: 'event:props:plan', op: '==', value: 'pro' });
    expect(parseFilter('nonsense')).toBeUndefined();
    expect(parseFilter('visit:source==')).toBeUndefined();
  });
  it('joins filters with ; and alternatives with |', () => {
    expect(filtersParam([
      { property: 'visit:source', op: '==', value: 'Google' },
      { property: 'event:goal', op: '==', value: 'Signup or Visit /x', values: ['Signup', 'Visit /x'] },
    ])).toBe('visit:source==Google;event:goal==Signup|Visit /x');
  });
});

describe('CSV export', () => {
  it('writes one block per table, quotes what needs quoting and defuses formulas', () => {
    const csv = toCsv(new Map([
      ['pages', { title: 'Pages · Top pages', columns: ['Page', 'Visitors'], rows: [['/a,b', 3], ['=HYPERLINK("x")', 1], ['-x', null]] }],
      ['figures', { title: 'Key figures', columns: ['metric', 'value'], rows: [['Unique visitors', 10]] }],
    ]));
    expect(csv).toBe(
      'table,metric,value\r\nKey figures,Unique visitors,10\r\n\r\n' +
        'table,Page,Visitors\r\nPages · Top pages,"/a,b",3\r\nPages · Top pages,"\'=HYPERLINK(""x"")",1\r\nPages · Top pages,\'-x,\r\n',
    );
  });
});
