// The `filters` parameter: Plausible's syntax (`==`, `!=`, `|`, `;`, `*`) plus contains (`~`, `!~`),
// backslash escapes, custom property keys with any characters, and clear refusals.
import { describe, expect, it } from 'vitest';
import { parseFilters, rollupFilter } from '../../../aggregator/stats-api/filters.js';
import { StatsError } from '../../../aggregator/stats-api/stats-error.js';

const brief = (raw: string) => parseFilters(raw).map((f) => ({ p: f.property.name, op: f.op, values: f.values }));

describe('filters', () => {
  it('parses operators, alternatives and escapes', () => {
    expect(brief('visit:browser==Chrome|Firefox;event:page==/blog*')).toEqual([
      { p: 'visit:browser', op: 'is', values: ['Chrome', 'Firefox'] },
      { p: 'event:page', op: 'is', values: ['/blog*'] },
    ]);
    expect(brief('visit:country!=FR')).toEqual([{ p: 'visit:country', op: 'is_not', values: ['FR'] }]);
    expect(brief('event:page~blog;event:page!~draft')).toEqual([
      { p: 'event:page', op: 'contains', values: ['blog'] },
      { p: 'event:page', op: 'not_contains', values: ['draft'] },
    ]);
    expect(brief('visit:utm_campaign==campaign\\|one;visit:utm_term==a\\;b')).toEqual([
      { p: 'visit:utm_campaign', op: 'is', values: ['campaign|one'] },
      { p: 'visit:utm_term', op: 'is', values: ['a;b'] },
    ]);
    expect(brief('event:props:plan:tier==pro')).toEqual([{ p: 'event:props:plan:tier', op: 'is', values: ['pro'] }]);
    expect(brief('event:goal==Visit /register')).toEqual([{ p: 'event:goal', op: 'is', values: ['Visit /register'] }]);
    expect(brief('')).toEqual([]);
  });

  it('refuses unknown properties, missing operators and empty values with a 400', () => {
    for (const bad of ['visit:nope==1', 'visit:browser', 'visit:browser==', 'event:props:==x', 'page==/']) {
      expect(() => parseFilters(bad), bad).toThrow(StatsError);
    }
  });

  it('sends only one plain == value to the rollups', () => {
    expect(rollupFilter(parseFilters(''))).toBe('none');
    expect(rollupFilter(parseFilters('visit:source==Google'))).toMatchObject({ value: 'Google' });
    for (const raw of ['visit:source==Google|Bing', 'visit:source!=Google', 'event:page==/blog*', 'event:page~blog', 'event:goal==Visit /x', 'visit:browser_version==124', 'visit:source==A;event:page==/']) {
      expect(rollupFilter(parseFilters(raw)), raw).toBeUndefined();
    }
  });
});
