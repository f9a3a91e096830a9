// The key figures that are not plain Plausible metrics, as a Plausible metric plus a filter:
// CTA clicks are the `events` of `event:name==cta_click`; conversions the `visitors` who reached any
// of the site's goals (`event:goal==Signup|Visit /thanks*`).
import type { Filter } from '../lib/filters.js';

export interface Goal {
  id: string;
  kind: 'event' | 'page';
  value: string;
}

/** How the stats API names a goal in `event:goal` filters. */
export function goalFilterValue(g: Goal): string {
  return g.kind === 'page' ? `Visit ${g.value}` : g.value;
}

export function goalsFilter(goals: readonly Goal[]): Filter | undefined {
  if (goals.length === 0) return undefined;
  const values = goals.map(goalFilterValue);
  return { property: 'event:goal', op: '==', value: values.join(' or '), values };
}

export const CTA_CLICKS: Filter = { property: 'event:name', op: '==', value: 'cta_click' };

/** The stats API metric and filters behind a dashboard metric; undefined when it cannot be asked (no goals). */
export function metricQuery(metric: string, filters: readonly Filter[], goals: readonly Goal[]): { metric: string; filters: Filter[] } | undefined {
  if (metric === 'cta_clicks') return { metric: 'events', filters: [...filters, CTA_CLICKS] };
  if (metric === 'conversions') {
    const g = goalsFilter(goals);
    return g ? { metric: 'visitors', filters: [...filters, g] } : undefined;
  }
  return { metric, filters: [...filters] };
}
