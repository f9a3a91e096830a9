// The referrer: kept without its query string (it may carry tokens), reduced to a source name, and
// with the UTM tags and click ids the acquisition channel (Plausible's channel rules, simplified).
import { URL_MAX_BYTES } from '../../../core/event-contract.js';
import { memo, type Step } from '../context.js';
import { utf8Length } from '../text.js';
import { classifySource, classifyUtmSource, type SourceKind } from './referrer-sources.js';

interface ParsedReferrer { url: string; host: string }

function parseReferrer(raw: unknown): ParsedReferrer | undefined {
  if (typeof raw !== 'string' || raw.length === 0 || utf8Length(raw) > URL_MAX_BYTES) return undefined;
  try {
    const url = new URL(raw);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    const host = url.hostname.replace(/^www\./, '');
    return { url: `${host}${url.pathname === '/' ? '' : url.pathname}`, host };
  } catch {
    return undefined;
  }
}

const PAID = /^(.*cp.*|ppc|retargeting|paid.*)$/i;

export function channelOf(medium: string | undefined, kind: SourceKind | undefined, hasSource: boolean, clickId: unknown): string {
  const m = medium?.toLowerCase();
  if (clickId !== undefined || (m && PAID.test(m))) return kind === 'social' ? 'Paid Social' : kind === 'video' ? 'Paid Video' : 'Paid Search';
  if (m === 'email' || m === 'e-mail' || m === 'newsletter' || kind === 'email') return 'Email';
  if (m === 'affiliate') return 'Affiliates';
  if (m === 'display' || m === 'banner' || m === 'cpm') return 'Display';
  if (kind === 'search') return 'Organic Search';
  if (kind === 'social' || m === 'social') return 'Organic Social';
  if (kind === 'video') return 'Organic Video';
  if (hasSource) return 'Referral';
  return 'Direct';
}

// Referrer hosts repeat endlessly; classifying one walks the source table. Bounded cache, cleared whole.
const sourceCache = new Map<string, ReturnType<typeof classifySource>>();

function cachedSource(host: string): ReturnType<typeof classifySource> {
  if (sourceCache.has(host)) return sourceCache.get(host);
  if (sourceCache.size >= 10_000) sourceCache.clear();
  const c = classifySource(host);
  sourceCache.set(host, c);
  return c;
}

export const putReferrer: Step = (ev, ctx) => {
  const own = ev.raw.r;
  const raw = own ?? ctx.referrer;
  const ref = memo(ctx, own === undefined ? 'ref|batch' : `ref|${String(own)}`, () => parseReferrer(raw));
  const rec = ev.rec;
  // A referrer from the site itself is navigation, not acquisition.
  const external = ref && ref.host !== rec.hostname ? ref : undefined;
  let source: string | undefined;
  let kind: SourceKind | undefined;
  if (typeof rec.utm_source === 'string') {
    const c = classifyUtmSource(rec.utm_source);
    source = c?.source ?? rec.utm_source;
    kind = c?.kind;
  } else if (external) {
    const c = cachedSource(external.host);
    source = c?.source ?? external.host;
    kind = c?.kind;
  }
  if (external) rec.referrer = external.url;
  if (source !== undefined) rec.referrer_source = source;
  rec.channel = channelOf(rec.utm_medium as string | undefined, kind, source !== undefined, rec.click_id ?? undefined);
  return undefined;
};
