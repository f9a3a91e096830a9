// The state of one site's analytics view, read from and written to the URL: date range, comparison,
// filters, the chosen key figure, the chart interval and each panel's tab. Components read the
// derived values; changes go through the setters, which push a history entry.
import { router } from '../lib/router.svelte.js';
import { filterToString, parseFilter, sameFilter, type Filter } from '../lib/filters.js';
import {
  comparisonRange, defaultInterval, intervalsFor, isDay, rangeFor, RANGES, todayIn,
  type Comparison, type DayRange, type Interval, type RangeKey,
} from '../lib/periods.js';
import type { Site } from '../lib/sites.svelte.js';
import type { ExportTable } from './export-table.js';

export const METRICS = ['visitors', 'visits', 'pageviews', 'views_per_visit', 'bounce_rate', 'visit_duration', 'cta_clicks', 'conversions'] as const;
export type Metric = (typeof METRICS)[number];

export class DashboardState {
  /** Bumped to reload every panel (the retry button, the realtime tick does not). */
  reloadTick = $state(0);
  /** By panel id; csv.ts orders them as the page does. */
  readonly exports = new Map<string, ExportTable>();
  readonly today: string;

  constructor(readonly site: Site) {
    this.today = todayIn(site.timezone);
  }

  private get q(): URLSearchParams {
    return router.query;
  }

  range: RangeKey = $derived.by(() => {
    const p = this.q.get('period');
    return (RANGES as readonly string[]).includes(p ?? '') ? (p as RangeKey) : '30d';
  });

  dayRange: DayRange = $derived.by(() => {
    const from = this.q.get('from');
    const to = this.q.get('to');
    const custom = isDay(from) && isDay(to) ? { from, to } : undefined;
    return rangeFor(this.range, this.today, custom);
  });

  comparison: Comparison = $derived.by(() => {
    const c = this.q.get('compare');
    return c === 'previous_period' || c === 'year_over_year' ? c : 'off';
  });

  compareRange: DayRange | undefined = $derived(comparisonRange(this.dayRange, this.comparison));

  filters: Filter[] = $derived(this.q.getAll('f').map(parseFilter).filter((f): f is Filter => f !== undefined));

  metric: Metric = $derived.by(() => {
    const m = this.q.get('metric');
    return (METRICS as readonly string[]).includes(m ?? '') ? (m as Metric) : 'visitors';
  });

  intervals: Interval[] = $derived(intervalsFor(this.dayRange));

  interval: Interval = $derived.by(() => {
    const i = this.q.get('interval') as Interval | null;
    return i && this.intervals.includes(i) ? i : defaultInterval(this.dayRange);
  });

  /** Changes whenever what the panels must fetch changes. */
  key: string = $derived.by(() =>
    JSON.stringify([this.site.id, this.dayRange, this.compareRange, this.filters.map(filterToString), this.reloadTick]),
  );

  tab(panel: string, fallback: string): string {
    return this.q.get(panel) ?? fallback;
  }

  /** Sets or clears URL parameters; `null` removes one. */
  update(changes: Record<string, string | null>, opts: { replace?: boolean } = {}): void {
    const q = new URLSearchParams(router.search);
    for (const [k, v] of Object.entries(changes)) {
      if (v === null) q.delete(k);
      else q.set(k, v);
    }
    router.setQuery(q, opts);
  }

  setRange(range: RangeKey, custom?: DayRange): void {
    this.update({
      period: range === '30d' ? null : range,
      from: range === 'custom' && custom ? custom.from : null,
      to: range === 'custom' && custom ? custom.to : null,
      interval: null,
    });
  }

  setComparison(c: Comparison): void {
    this.update({ compare: c === 'off' ? null : c });
  }

  setMetric(m: Metric): void {
    this.update({ metric: m === 'visitors' ? null : m }, { replace: true });
  }

  setInterval(i: Interval): void {
    this.update({ interval: i }, { replace: true });
  }

  setTab(panel: string, tab: string): void {
    this.update({ [panel]: tab }, { replace: true });
  }

  /** Clicking a row: filter by it, replacing an earlier filter on the same property. */
  addFilter(f: Filter): void {
    const q = new URLSearchParams(router.search);
    const kept = this.filters.filter((x) => x.property !== f.property);
    q.delete('f');
    for (const x of [...kept, f]) q.append('f', filterToString(x));
    router.setQuery(q);
  }

  removeFilter(f: Filter): void {
    const q = new URLSearchParams(router.search);
    q.delete('f');
    for (const x of this.filters) if (!sameFilter(x, f)) q.append('f', filterToString(x));
    router.setQuery(q);
  }

  clearFilters(): void {
    this.update({ f: null });
  }

  hasFilter(property: string): boolean {
    return this.filters.some((f) => f.property === property);
  }

  reload(): void {
    this.reloadTick++;
  }
}
