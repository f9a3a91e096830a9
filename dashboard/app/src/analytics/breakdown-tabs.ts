// What each breakdown panel shows: its tabs, the property behind each, the columns and how a row's
// value is labelled. Plausible's property names throughout.
import { countryName } from '../lib/countries.js';
import type { BreakdownRow } from './stats-client.js';

export interface Column {
  metric: string;
  label?: string;
  /** Shown only on wide screens. */
  wide?: boolean;
}

export interface BreakdownTab {
  id: string;
  label: string;
  /** The breakdown property (and the filter a row click adds). */
  property: string;
  /** The header of the value column. */
  keyLabel: string;
  columns: Column[];
  rowLabel?: (r: BreakdownRow) => string;
  icon?: (r: BreakdownRow) => string;
  /** Another stats endpoint answering in breakdown shape (engagement). */
  endpoint?: string;
  /** Tabs of one group share one tab button, and a select picks among them (the UTM tags). */
  group?: string;
}

/** The value under the property's result key (`visit:source` → `source`, `event:props:plan` → `plan`). */
export function resultKey(property: string): string {
  return property.startsWith('event:props:') ? property.slice('event:props:'.length) : property.slice(property.indexOf(':') + 1);
}

export function rowValue(r: BreakdownRow, property: string): string {
  const v = r[resultKey(property)];
  return v === null || v === undefined ? '(none)' : String(v);
}

const visitors: Column = { metric: 'visitors' };

const plain = (property: string, id: string, label: string, keyLabel: string, columns: Column[] = [visitors]): BreakdownTab => ({
  id, label, property, keyLabel, columns,
});

export const SOURCE_TABS: BreakdownTab[] = [
  plain('visit:channel', 'channels', 'Channels', 'Channel', [visitors, { metric: 'bounce_rate', wide: true }]),
  plain('visit:source', 'sources', 'Sources', 'Source', [visitors, { metric: 'bounce_rate', wide: true }]),
  plain('visit:referrer', 'referrers', 'Referrers', 'Referrer'),
  { ...plain('visit:utm_campaign', 'utm_campaign', 'Campaign', 'UTM campaign'), group: 'Campaigns' },
  { ...plain('visit:utm_source', 'utm_source', 'Source', 'UTM source'), group: 'Campaigns' },
  { ...plain('visit:utm_medium', 'utm_medium', 'Medium', 'UTM medium'), group: 'Campaigns' },
  { ...plain('visit:utm_content', 'utm_content', 'Content', 'UTM content'), group: 'Campaigns' },
  { ...plain('visit:utm_term', 'utm_term', 'Term', 'UTM term'), group: 'Campaigns' },
];

export const PAGE_TABS: BreakdownTab[] = [
  plain('event:page', 'top', 'Top pages', 'Page', [visitors, { metric: 'pageviews', wide: true }]),
  plain('visit:entry_page', 'entry', 'Entry pages', 'Entry page', [visitors, { metric: 'visits', label: 'Entrances', wide: true }]),
  plain('visit:exit_page', 'exit', 'Exit pages', 'Exit page', [visitors, { metric: 'visits', label: 'Exits', wide: true }]),
];

export const LOCATION_TABS: BreakdownTab[] = [
  {
    ...plain('visit:country', 'countries', 'Countries', 'Country'),
    rowLabel: (r) => countryName(rowValue(r, 'visit:country')),
    // The code rather than a flag emoji: Windows has no flag glyphs and shows bare letters anyway.
    icon: (r) => rowValue(r, 'visit:country').toUpperCase(),
  },
];

export const DEVICE_TABS: BreakdownTab[] = [
  plain('visit:browser', 'browser', 'Browser', 'Browser'),
  plain('visit:os', 'os', 'OS', 'Operating system'),
  plain('visit:device', 'device', 'Device', 'Device'),
  {
    ...plain('visit:browser_version', 'browser_version', 'Browser version', 'Version'),
    rowLabel: (r) => `${rowValue(r, 'visit:browser')} ${rowValue(r, 'visit:browser_version')}`,
  },
  {
    ...plain('visit:os_version', 'os_version', 'OS version', 'Version'),
    rowLabel: (r) => `${rowValue(r, 'visit:os')} ${rowValue(r, 'visit:os_version')}`,
  },
];
