// How each metric is named and shown, and which direction of change is good news.
import { formatDuration, formatExact, formatNumber, formatPercent } from '../lib/format.js';

export interface MetricInfo {
  label: string;
  /** For narrow places: key figure cards and table headers. */
  short?: string;
  format: (v: number | null | undefined) => string;
  /** Lower is better (bounce rate): a rise shows red. */
  lowerIsBetter?: boolean;
  /** Change is in percentage points, not percent. */
  points?: boolean;
}

export const METRIC_INFO: Record<string, MetricInfo> = {
  visitors: { label: 'Unique visitors', short: 'Visitors', format: formatNumber },
  visits: { label: 'Total visits', short: 'Visits', format: formatNumber },
  pageviews: { label: 'Pageviews', format: formatNumber },
  views_per_visit: { label: 'Views per visit', short: 'Views / visit', format: formatExact },
  bounce_rate: { label: 'Bounce rate', short: 'Bounce', format: formatPercent, lowerIsBetter: true, points: true },
  visit_duration: { label: 'Visit duration', short: 'Duration', format: formatDuration },
  cta_clicks: { label: 'CTA clicks', format: formatNumber },
  conversions: { label: 'Conversions', format: formatNumber },
  events: { label: 'Events', format: formatNumber },
  conversion_rate: { label: 'Conversion rate', short: 'CR', format: formatPercent },
  time_on_page: { label: 'Time on page', short: 'Time', format: formatDuration },
  scroll_depth: { label: 'Scroll depth', short: 'Scroll', format: formatPercent },
  impressions: { label: 'Impressions', short: 'Impr.', format: formatNumber },
  hovers: { label: 'Hovers', format: formatNumber },
  clicks: { label: 'Clicks', format: formatNumber },
  unique_clickers: { label: 'Unique clickers', short: 'Clickers', format: formatNumber },
  ctr: { label: 'CTR', format: formatPercent },
};

export function metricInfo(m: string): MetricInfo {
  return METRIC_INFO[m] ?? { label: m, format: formatNumber };
}

/** Plausible's change: percent (or points for rates), rounded; null when there is nothing to compare. */
export function changeOf(m: string, prev: number | null | undefined, cur: number | null | undefined): number | null {
  if (prev === null || prev === undefined || cur === null || cur === undefined) return null;
  if (metricInfo(m).points) return Math.round((cur - prev) * 10) / 10;
  if (prev === 0) return cur > 0 ? 100 : 0;
  return Math.round(((cur - prev) / prev) * 100);
}
