// The pipeline steps on real requests (no server): each drop reason, the enriched columns, and
// the privacy rules (copy cap, forms, secret-only fields, salts).
import { pack } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import type { EventRecord } from '../../../core/event-contract.js';
import type { SaltSource, SiteView } from '../../../ingest/pipeline/context.js';
import { localDayHour } from '../../../ingest/pipeline/local-time.js';
import { processRequest, type RequestInput, type SiteLookup } from '../../../ingest/pipeline/process-request.js';

const SITE: SiteView = { id: '5b0f6c1e-1111-4aaa-8bbb-000000000001', domain: 'example.com', timezone: 'Europe/Berlin' };
const OTHER: SiteView = { id: '5b0f6c1e-1111-4aaa-8bbb-000000000002', domain: 'other.org', timezone: 'UTC' };
const sites: SiteLookup = {
  byId: (id) => [SITE, OTHER].find((s) => s.id === id),
  byDomainOrId: (n) => [SITE, OTHER].find((s) => s.id === n || s.domain === n),
};
const salt = Buffer.alloc(32, 7);
const salts: SaltSource = { saltFor: () => salt };
const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';
const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);

function run(body: unknown, over: Partial<RequestInput> = {}): { out: EventRecord[]; outcome: ReturnType<typeof processRequest> } {
  const out: EventRecord[] = [];
  const input: RequestInput = {
    body: body instanceof Uint8Array ? body : Buffer.from(JSON.stringify(body)),
    ip: '8.8.8.8', ua: CHROME, keyKind: 'public', siteId: SITE.id, format: 'native', receivedAt: NOW, maxBytes: 65536, ...over,
  };
  return { out, outcome: processRequest(input, sites, salts, out) };
}

const page = 'https://www.example.com/pricing?utm_source=newsletter&utm_medium=email&utm_campaign=launch&gclid=abc';

describe('processRequest', () => {
  it('enriches a pageview: page, UTM, click id, channel, device, country, day, ids', () => {
    const { out, outcome } = run({ s: 'tab-1', u: page, r: 'https://news.ycombinator.com/item?id=1', e: [{ t: 'pageview', i: 'a1', ts: NOW - 1000 }] });
    expect(outcome).toMatchObject({ ok: true, accepted: 1, received: 1 });
    const r = out[0]!;
    expect(r).toMatchObject({
      type: 'pageview', name: 'pageview', hostname: 'example.com', pathname: '/pricing', utm_source: 'newsletter', utm_medium: 'email',
      utm_campaign: 'launch', click_id: 'google_ads', referrer: 'news.ycombinator.com/item', browser: 'Chrome', browser_version: '124',
      os: 'Windows', device: 'Desktop', country: 'US', interactive: false, site_id: SITE.id,
    });
    expect(r.channel).toBe('Paid Search'); // a click id wins over the email medium
    expect(r.day).toBe(localDayHour(NOW - 1000, 'Europe/Berlin').day);
    expect(r.hour).toBe(12); // 11:59:59 UTC is 12:59:59 in Berlin in November
    expect(typeof r.visitor_id).toBe('bigint');
    expect(r.session_id).not.toBe(0n);
  });

  it('gives the same visitor id within a day and a different one with another salt', () => {
    const a = run({ u: page, e: [{ t: 'pageview' }] }).out[0]!;
    const b = run({ u: page, e: [{ t: 'pageview' }] }).out[0]!;
    expect(a.visitor_id).toBe(b.visitor_id);
    const out: EventRecord[] = [];
    processRequest({ body: Buffer.from(JSON.stringify({ u: page, e: [{ t: 'pageview' }] })), ip: '8.8.8.8', ua: CHROME, keyKind: 'public', siteId: SITE.id, format: 'native', receivedAt: NOW, maxBytes: 65536 },
      sites, { saltFor: () => Buffer.alloc(32, 9) }, out);
    expect(out[0]!.visitor_id).not.toBe(a.visitor_id);
  });

  it('decodes msgpack bodies the same as JSON', () => {
    const body = { u: page, e: [{ t: 'custom', n: 'Signup', p: { plan: 'pro', seats: 3 }, $: { a: 49, c: 'eur' } }] };
    const fromJson = run(body).out[0]!;
    const fromPack = run(new Uint8Array(pack(body))).out[0]!;
    expect(fromPack).toEqual({ ...fromJson, event_id: fromPack.event_id });
    expect(fromJson).toMatchObject({ name: 'Signup', props: '{"plan":"pro","seats":"3"}', revenue_amount: 49, revenue_currency: 'EUR', interactive: true });
  });

  it('cuts copied text to 200 characters and stores only the form id', () => {
    const long = '🙂'.repeat(150) + 'x'.repeat(300);
    const { out } = run({ u: page, e: [{ t: 'copy', x: long }, { t: 'form_submit', f: 'signup', values: { email: 'a@b.c' } }] });
    expect([...(out[0]!.copy_text as string)].length).toBe(200);
    expect(out[1]!.form_id).toBe('signup');
    expect(JSON.stringify(out[1], (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).not.toContain('a@b.c');
  });

  it('moves timestamps from the future to now', () => {
    expect(run({ u: page, e: [{ t: 'pageview', ts: NOW + 3_600_000 }] }).out[0]!.ts).toBe(NOW);
  });

  const drops: [string, unknown, Partial<RequestInput>?][] = [
    ['bot', { u: page, e: [{ t: 'pageview' }] }, { ua: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)' }],
    ['bot', { u: page, e: [{ t: 'pageview' }] }, { ua: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0 Safari/537.36' }],
    ['invalid_event', { u: page, e: [{ t: 'teleport' }] }],
    ['invalid_event', { u: page, e: ['pageview'] }],
    ['invalid_url', { u: 'data:text/html,hi', e: [{ t: 'pageview' }] }],
    ['invalid_url', { u: `https://example.com/${'a'.repeat(2001)}`, e: [{ t: 'pageview' }] }],
    ['invalid_url', { e: [{ t: 'pageview' }] }],
    ['invalid_props', { u: page, e: [{ t: 'custom', n: 'x', p: Object.fromEntries(Array.from({ length: 31 }, (_, i) => [`k${i}`, i])) }] }],
    ['invalid_props', { u: page, e: [{ t: 'custom', n: 'x', p: { k: 'v'.repeat(2001) } }] }],
    ['invalid_props', { u: page, e: [{ t: 'custom', n: 'x', p: { ['k'.repeat(301)]: 1 } }] }],
    ['invalid_props', { u: page, e: [{ t: 'custom', n: 'x', p: { nested: { a: 1 } } }] }],
    ['invalid_email', { u: page, e: [{ t: 'identify', em: 'not-an-email' }] }, { keyKind: 'secret' }],
    ['invalid_field', { u: page, e: [{ t: 'custom' }] }],
    ['invalid_field', { u: page, e: [{ t: 'cta_click', c: 'not-a-uuid' }] }],
    ['invalid_field', { u: page, e: [{ t: 'engagement', sd: 'deep' }] }],
    ['too_old', { u: page, e: [{ t: 'pageview', ts: NOW - 49 * 3_600_000 }] }],
    ['secret_only', { u: page, e: [{ t: 'identify', em: 'a@example.com' }] }],
    ['secret_only', { u: page, e: [{ t: 'pageview', uid: 'u1' }] }],
  ];
  for (const [reason, body, over] of drops) {
    it(`drops with reason ${reason}: ${JSON.stringify(body).slice(0, 60)}`, () => {
      const { out, outcome } = run(body, over);
      expect(outcome).toMatchObject({ ok: true, accepted: 0, dropped: { [reason]: 1 } });
      expect(out).toHaveLength(0);
    });
  }

  it('lets a secret key backfill, identify and set ip/ua', () => {
    const { out, outcome } = run(
      { u: page, ip: '81.2.69.142', ua: CHROME, e: [{ t: 'identify', em: 'Ada@Example.com', uid: 'u-1', tr: { plan: 'pro' }, ts: NOW - 30 * 86_400_000 }] },
      { keyKind: 'secret' },
    );
    expect(outcome).toMatchObject({ ok: true, accepted: 1 });
    expect(out[0]).toMatchObject({ email: 'ada@example.com', user_id: 'u-1', traits: '{"plan":"pro"}', country: 'GB', ts: NOW - 30 * 86_400_000 });
  });

  it('refuses a whole batch naming another site, and ip/ua on a public key', () => {
    expect(run({ d: 'other.org', u: page, e: [{ t: 'pageview' }] }).outcome).toMatchObject({ ok: false, code: 'BEACONRY_ERR_FORBIDDEN_SITE' });
    expect(run({ d: 'example.com', u: page, e: [{ t: 'pageview' }] }).outcome).toMatchObject({ ok: true, accepted: 1 });
    expect(run({ u: page, ip: '1.2.3.4', e: [{ t: 'pageview' }] }).outcome).toMatchObject({ ok: false, code: 'BEACONRY_ERR_BAD_REQUEST' });
  });

  it('keeps the good events of a batch when some are bad', () => {
    const { out, outcome } = run({ u: page, e: [{ t: 'pageview' }, { t: 'nope' }, { t: 'custom', n: 'ok' }] });
    expect(outcome).toMatchObject({ ok: true, accepted: 2, dropped: { invalid_event: 1 } });
    expect(out).toHaveLength(2);
  });
});
