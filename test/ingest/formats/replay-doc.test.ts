// The replay script printed in README.md, run as a user would (node, env, an export file)
// against the real server: old Umami rows land on their original days, once, however often it runs.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addSite, ROOT, startServer, type TestServer } from '../../helpers/server.js';
import { rows } from './drop-in.js';

const WEBSITE_ID = '5e0c7d1a-8a44-4c1e-b6a2-0f9d3e2c1b7a';
let server: TestServer;
let site: { id: string };
let secret: string;

beforeAll(async () => {
  server = await startServer({ env: { BEACONRY_STORE_FLUSH_MS: '20' } });
  site = await addSite(server, 'shop.example');
  await server.cli(['site', 'update', 'shop.example', '--umami-id', WEBSITE_ID]);
  secret = (await server.cli<{ secretKey: string }>(['key', 'create', 'shop.example'])).secretKey;
});
afterAll(async () => {
  await server?.stop();
});

/** The one ```js block of the Umami replay in README.md. */
function docScript(): string {
  const doc = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const block = /```js\n(\/\/ node replay-umami\.mjs[\s\S]*?)```/.exec(doc);
  if (!block) throw new Error('README.md has no replay-umami.mjs block');
  return block[1]!;
}

describe('README.md: replaying an Umami export', () => {
  it('stores each exported event once, at its original time, with its page, referrer and name', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'beaconry-replay-'));
    const script = path.join(dir, 'replay-umami.mjs');
    writeFileSync(script, docScript());
    const exported = [
      { event_id: 'b8d1c7a0-0001-4000-8000-000000000001', session_id: 's-1', hostname: 'shop.example', url_path: '/', url_query: 'utm_source=newsletter', referrer_domain: 'www.google.com', referrer_path: '/', event_type: 1, event_name: null, created_at: '2025-03-04 09:15:00' },
      { event_id: 'b8d1c7a0-0001-4000-8000-000000000002', session_id: 's-1', hostname: 'shop.example', url_path: '/pricing', url_query: '', referrer_domain: null, referrer_path: null, event_type: 1, event_name: null, created_at: '2025-03-04 09:16:30' },
      { event_id: 'b8d1c7a0-0001-4000-8000-000000000003', session_id: 's-1', hostname: 'shop.example', url_path: '/pricing', url_query: '', referrer_domain: null, referrer_path: null, event_type: 2, event_name: 'checkout', created_at: '2025-03-04T09:17:00.000Z' },
      { event_id: 'b8d1c7a0-0001-4000-8000-000000000004', session_id: 's-2', hostname: 'shop.example', url_path: '/blog/x', url_query: '', referrer_domain: 'news.ycombinator.com', referrer_path: '/item', event_type: 1, event_name: null, created_at: '2025-03-05 22:00:00+00' },
    ];
    const file = path.join(dir, 'website_event.ndjson');
    writeFileSync(file, exported.map((e) => JSON.stringify(e)).join('\n'));
    const env = { ...process.env, BEACONRY_URL: server.url, BEACONRY_SECRET_KEY: secret, UMAMI_WEBSITE_ID: WEBSITE_ID };
    for (let run = 0; run < 2; run++) {
      const { stderr } = await promisify(execFile)(process.execPath, [script, file], { env });
      expect(stderr).toBe('');
    }

    const r = await rows(server, `site_id = '${site.id}'`, 'ts');
    expect(r.map((x) => [new Date(String(x.ts)).toISOString(), x.type, x.name, x.pathname, x.utm_source, x.referrer])).toEqual([
      ['2025-03-04T09:15:00.000Z', 'pageview', 'pageview', '/', 'newsletter', 'google.com'],
      ['2025-03-04T09:16:30.000Z', 'pageview', 'pageview', '/pricing', null, null],
      ['2025-03-04T09:17:00.000Z', 'custom', 'checkout', '/pricing', null, null],
      ['2025-03-05T22:00:00.000Z', 'pageview', 'pageview', '/blog/x', null, 'news.ycombinator.com/item'],
    ]);
    // Two original sessions, two visitors; no address of theirs was ever known or stored.
    expect(new Set(r.map((x) => String(x.visitor_id))).size).toBe(2);
    expect(r.map((x) => [x.country, x.browser])).toEqual(r.map(() => [null, 'Chrome']));
  });
});
