// The page: event `u` or the batch's `u` → hostname, pathname, UTM parameters and which click id
// was present (the name only: a click id's value identifies a person to an ad network).
import { EVENT_WIRE, URL_MAX_BYTES } from '../../../core/event-contract.js';
import { memo, type Step } from '../context.js';
import { cutBytes, utf8Length } from '../text.js';

const UTM = ['utm_source', 'utm_medium', 'utm_campaign', 'utm_content', 'utm_term'] as const;
const CLICK_IDS: readonly [string, string][] = [
  ['gclid', 'google_ads'], ['gbraid', 'google_ads'], ['wbraid', 'google_ads'], ['msclkid', 'microsoft_ads'],
  ['fbclid', 'meta'], ['ttclid', 'tiktok'], ['twclid', 'x'], ['li_fat_id', 'linkedin'],
];
const REFUSED_SCHEMES = new Set(['data:', 'javascript:', 'blob:', 'file:', 'about:', 'vbscript:']);

export interface ParsedPage {
  hostname: string;
  pathname: string;
  utm: Partial<Record<(typeof UTM)[number], string>>;
  clickId: string | undefined;
}

export function parsePage(raw: unknown, hashMode: boolean): ParsedPage | undefined {
  if (typeof raw !== 'string' || raw.length === 0 || utf8Length(raw) > URL_MAX_BYTES) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  if (REFUSED_SCHEMES.has(url.protocol) || url.hostname === '') return undefined;
  const q = url.searchParams;
  const utm: ParsedPage['utm'] = {};
  for (const k of UTM) {
    const v = q.get(k);
    if (v) utm[k] = cutBytes(v, 200);
  }
  // Plausible and many newsletters tag links with ?ref= or ?source= instead of utm_source.
  if (!utm.utm_source) {
    const alt = q.get('ref') ?? q.get('source');
    if (alt) utm.utm_source = cutBytes(alt, 200);
  }
  const clickId = CLICK_IDS.find(([param]) => q.has(param))?.[1];
  let pathname = url.pathname;
  if (hashMode && url.hash.length > 1) pathname += url.hash;
  return { hostname: url.hostname.replace(/^www\./, ''), pathname, utm, clickId };
}

export const putPage: Step = (ev, ctx) => {
  const own = ev.raw.u;
  const raw = own ?? ctx.pageUrl;
  const hashMode = ev.raw[EVENT_WIRE.hashMode] === true;
  // Most events use the batch's page: a fixed memo key spares building a key from the URL per event.
  const key = own === undefined ? (hashMode ? 'page|batch|h' : 'page|batch') : `page|${hashMode ? 1 : 0}|${String(own)}`;
  const page = memo(ctx, key, () => parsePage(raw, hashMode));
  if (!page) return 'invalid_url';
  ev.rec.hostname = page.hostname;
  ev.rec.pathname = page.pathname;
  for (const [k, v] of Object.entries(page.utm)) ev.rec[k as (typeof UTM)[number]] = v;
  if (page.clickId) ev.rec.click_id = page.clickId;
  return undefined;
};
