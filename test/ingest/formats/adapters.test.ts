// The drop-in adapters inside the pool, without a server: the time and data readers, and the property
// that no body, however odd, makes a format throw instead of answering (a throw costs a 500).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EventRecord } from '../../../core/event-contract.js';
import type { SaltSource, SiteView } from '../../../ingest/pipeline/context.js';
import { eventTime } from '../../../ingest/pipeline/formats/fields.js';
import { flattenData } from '../../../ingest/pipeline/formats/umami.js';
import { processRequest, type RequestInput, type SiteLookup, type WireFormat } from '../../../ingest/pipeline/process-request.js';

const SITE: SiteView = { id: '5b0f6c1e-1111-4aaa-8bbb-000000000001', domain: 'example.com', timezone: 'UTC', umamiId: '3f1c2b7a-9d4e-4c1a-8b6f-2e5d7c9a1b30' };
const sites: SiteLookup = {
  byId: (id) => (id === SITE.id ? SITE : undefined),
  byDomainOrId: (n) => ([SITE.id, SITE.domain, SITE.umamiId].includes(n.toLowerCase()) ? SITE : undefined),
};
const salts: SaltSource = { saltFor: () => Buffer.alloc(32, 1) };
const CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';

function run(format: WireFormat, body: unknown, over: Partial<RequestInput> = {}): { out: EventRecord[]; outcome: ReturnType<typeof processRequest> } {
  const out: EventRecord[] = [];
  const input: RequestInput = {
    body: body instanceof Uint8Array ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
    ip: '8.8.8.8', ua: CHROME, keyKind: 'public', format, receivedAt: Date.now(), maxBytes: 65536, ...over,
  };
  return { out, outcome: processRequest(input, sites, salts, out) };
}

describe('eventTime', () => {
  const t = Date.UTC(2026, 0, 15, 23, 30, 0);
  it('reads ts in ms, ISO times with and without a zone (UTC), and Unix seconds', () => {
    expect(eventTime(t, undefined)).toBe(t);
    expect(eventTime(undefined, '2026-01-15T23:30:00Z')).toBe(t);
    expect(eventTime(undefined, '2026-01-16T00:30:00+01:00')).toBe(t);
    expect(eventTime(undefined, '2026-01-15 23:30:00')).toBe(t);
    expect(eventTime(undefined, '2026-01-15 23:30:00.000')).toBe(t);
    expect(eventTime(undefined, '2026-01-15 23:30:00.000000')).toBe(t); // ClickHouse DateTime64(6)
    expect(eventTime(undefined, '2026-01-16 00:30:00+01')).toBe(t); // Postgres timestamptz as text
    expect(eventTime(undefined, '2026-01-16T00:30:00+0100')).toBe(t);
    expect(eventTime(undefined, t / 1000)).toBe(t);
    expect(eventTime(undefined, String(t / 1000))).toBe(t);
    expect(eventTime(undefined, undefined)).toBeUndefined();
  });
  it('says invalid for anything else', () => {
    for (const bad of ['yesterday', '2026-01-15', '15/01/2026 23:30', '2026-13-45 10:00:00', true, {}, Number.NaN]) expect(eventTime(undefined, bad)).toBe('invalid');
    expect(eventTime('123', undefined)).toBe('invalid');
  });
});

describe('flattenData', () => {
  it('flattens nested objects to dotted keys, arrays to JSON text, drops nulls, cuts strings at 500 characters', () => {
    expect(flattenData({ a: { b: { c: 1 } }, list: [1, 'x'], n: null, s: 'y'.repeat(600), ok: false })).toEqual({
      'a.b.c': 1, list: '[1,"x"]', s: 'y'.repeat(500), ok: false,
    });
    const many = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, i]));
    expect(Object.keys(flattenData({ nested: many })!)).toEqual(Array.from({ length: 30 }, (_, i) => `nested.k${i}`));
    expect(flattenData({})).toBeUndefined();
    expect(flattenData('x')).toBeUndefined();
  });
});

describe('drop-in formats in the pool', () => {
  it('a refused request leaves no records behind, even when other requests of the task stored some', () => {
    const out: EventRecord[] = [];
    const base = { ip: '8.8.8.8', ua: CHROME, keyKind: 'public' as const, receivedAt: Date.now(), maxBytes: 65536 };
    const ok = processRequest({ ...base, format: 'plausible', body: Buffer.from(JSON.stringify({ n: 'pageview', u: 'https://example.com/', d: 'example.com' })) }, sites, salts, out);
    expect(ok).toMatchObject({ ok: true, accepted: 1 });
    const refused = processRequest({ ...base, format: 'plausible', body: Buffer.from(JSON.stringify({ n: 'A', u: 'https://example.com/', d: 'example.com', $: 'x', p: { k: 1 }, sd: 1, timestamp: 'no' })) }, sites, salts, out);
    expect(refused).toMatchObject({ ok: false, code: 'BEACONRY_ERR_BAD_REQUEST' });
    expect(out).toHaveLength(1);
  });

  it('refuses msgpack bodies: these APIs speak JSON', () => {
    expect(run('umami', new Uint8Array([0x81, 0xa1, 0x74, 0x01])).outcome).toMatchObject({ ok: false, code: 'BEACONRY_ERR_MALFORMED' });
  });

  it('charges the site each event ran for, so the edge can rate-limit keyless senders', () => {
    const { outcome } = run('umami-batch', [
      { type: 'event', payload: { website: SITE.umamiId, url: '/a' } },
      { type: 'event', payload: { website: SITE.id, url: '/b' } },
      { type: 'event', payload: { website: 'nope', url: '/c' } },
    ]);
    expect(outcome).toMatchObject({ ok: true, accepted: 2, charges: [[SITE.id, 2]] });
  });

  it('refuses the events of a throttled site', () => {
    expect(run('umami', { type: 'event', payload: { website: SITE.umamiId, url: '/' } }, { throttled: [SITE.id] }).outcome).toMatchObject({ ok: false, code: 'BEACONRY_ERR_RATE_LIMITED' });
    expect(run('plausible', { n: 'pageview', u: 'https://example.com/', d: 'example.com' }, { throttled: [SITE.id] }).outcome).toMatchObject({ ok: false, code: 'BEACONRY_ERR_RATE_LIMITED' });
  });

  const json = fc.jsonValue({ maxDepth: 4 });
  const plausibleLike = fc.record({
    n: fc.oneof(fc.constantFrom('pageview', 'engagement', 'Outbound Link: Click', 'File Download', 'x'), json),
    u: fc.oneof(fc.constant('https://example.com/p'), json),
    d: fc.oneof(fc.constant('example.com,www.example.com'), json),
    p: json, $: json, h: json, i: json, sd: json, e: json, r: json, timestamp: json, ts: json, event_id: json,
  }, { requiredKeys: [] });
  const umamiLike = fc.record({
    type: fc.oneof(fc.constantFrom('event', 'identify', 'engagement', 'performance'), json),
    payload: fc.oneof(json, fc.record({
      website: fc.oneof(fc.constant(SITE.umamiId!), json), url: json, hostname: json, referrer: json, name: json, data: json, timestamp: json, id: json, ip: json,
    }, { requiredKeys: [] })),
  }, { requiredKeys: [] });

  it('never throws on any JSON body, and answers either a reply or a coded refusal', () => {
    const cases: [WireFormat, fc.Arbitrary<unknown>][] = [
      ['plausible', fc.oneof(plausibleLike, json)],
      ['umami', fc.oneof(umamiLike, json)],
      ['umami-batch', fc.oneof(fc.array(umamiLike, { maxLength: 5 }), json)],
    ];
    for (const [format, arb] of cases) {
      fc.assert(fc.property(arb, fc.boolean(), (body, secret) => {
        const { outcome, out } = run(format, body, secret ? { keyKind: 'secret', siteId: SITE.id } : {});
        if (outcome.ok) expect(outcome.reply?.status).toBeGreaterThanOrEqual(200);
        else expect(outcome.code).toMatch(/^BEACONRY_ERR_/);
        expect(out.length).toBe(outcome.ok ? outcome.accepted : 0);
      }), { numRuns: 300 });
    }
  });
});
