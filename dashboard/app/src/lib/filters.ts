// Dashboard filters: a property (Plausible's names), an operator and a value. In the URL each is one
// `f` parameter in Plausible's v1 syntax (`visit:source==Google`), which is also what the stats API
// gets, joined with `;`.

export type FilterOp = '==' | '!=';

export interface Filter {
  property: string;
  op: FilterOp;
  value: string;
  /** Alternatives (`a|b`), for filters the dashboard adds itself (all goals); chips use `value`. */
  values?: readonly string[];
}

const LABELS: Record<string, string> = {
  'visit:source': 'Source',
  'visit:channel': 'Channel',
  'visit:referrer': 'Referrer',
  'visit:utm_source': 'UTM source',
  'visit:utm_medium': 'UTM medium',
  'visit:utm_campaign': 'UTM campaign',
  'visit:utm_content': 'UTM content',
  'visit:utm_term': 'UTM term',
  'visit:country': 'Country',
  'visit:device': 'Device',
  'visit:browser': 'Browser',
  'visit:browser_version': 'Browser version',
  'visit:os': 'OS',
  'visit:os_version': 'OS version',
  'visit:entry_page': 'Entry page',
  'visit:exit_page': 'Exit page',
  'event:page': 'Page',
  'event:hostname': 'Hostname',
  'event:goal': 'Goal',
  'event:name': 'Event',
  'event:cta': 'CTA',
  'event:link_url': 'Link',
  'event:form': 'Form',
};

export function propertyLabel(property: string): string {
  if (property.startsWith('event:props:')) return `Property ${property.slice('event:props:'.length)}`;
  return LABELS[property] ?? property;
}

/** `;` separates filters and `|` alternatives in the v1 syntax: escape them inside values. */
const escape = (v: string): string => v.replace(/\\/g, '\\\\').replace(/;/g, '\\;').replace(/\|/g, '\\|');
const unescape = (v: string): string => v.replace(/\\(.)/g, '$1');

export function filterToString(f: Filter): string {
  return `${f.property}${f.op}${(f.values ?? [f.value]).map(escape).join('|')}`;
}

export function parseFilter(s: string): Filter | undefined {
  const m = /^((?:visit|event):[A-Za-z0-9_:.\-]+?)(==|!=)(.*)$/s.exec(s);
  if (!m || m[3] === undefined || m[3] === '') return undefined;
  return { property: m[1]!, op: m[2] as FilterOp, value: unescape(m[3]) };
}

/** The stats API's `filters` parameter. */
export function filtersParam(filters: readonly Filter[]): string {
  return filters.map(filterToString).join(';');
}

export function sameFilter(a: Filter, b: Filter): boolean {
  return a.property === b.property && a.op === b.op && a.value === b.value;
}
