// Invariant 3 and the first promise to visitors: no raw IP is ever persisted. Requests come from
// canary addresses (IPv4 through the socket itself, IPv4 and IPv6 through a trusted proxy's
// X-Forwarded-For); then every file under the data dir, the server's own output and /metrics are
// searched for the canaries in text and binary form. The same search must find them in a control
// file, so this test can fail.
import fs from 'node:fs';
import http from 'node:http';
import { isIPv4 } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { addSite, startServer, type TestServer } from '../../helpers/server.js';

// A loopback address other than 127.0.0.1 is a real socket peer we can choose; the others are
// documentation ranges that reach the server only through the trusted proxy header.
const SOCKET_V4 = '127.83.47.19';
const XFF_V4 = '198.51.100.77';
const XFF_V6 = '2001:db8:dead:beef:cafe:1234:5678:9abc';

function v6Bytes(ip: string): Buffer {
  const [head, tail] = ip.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return Buffer.from(groups.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 255]));
}

/** Every form an IP could take in a file: text (also as UTF-16 and in full/compressed v6), and its 4/16 raw bytes. */
function needles(ip: string): Buffer[] {
  const out: Buffer[] = [Buffer.from(ip), Buffer.from(ip, "utf16le")];
  if (isIPv4(ip)) {
    out.push(Buffer.from(ip.split('.').map(Number)));
    out.push(Buffer.from(`::ffff:${ip}`));
  } else {
    const bytes = v6Bytes(ip);
    out.push(bytes);
    out.push(Buffer.from(bytes.toString('hex').replace(/(.{4})(?!$)/g, '$1:')));
  }
  return out;
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(p));
    else if (entry.isFile()) out.push(p);
  }
  return out;
}

function hits(buffers: { name: string; data: Buffer }[], ips: string[]): string[] {
  const found: string[] = [];
  for (const { name, data } of buffers) {
    for (const ip of ips) for (const n of needles(ip)) if (data.includes(n)) found.push(`${ip} (${n.length} bytes) in ${name}`);
  }
  return found;
}

function post(url: string, body: string, opts: { localAddress?: string; headers?: Record<string, string> }): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: 'POST', localAddress: opts.localAddress,
      headers: { 'content-type': 'text/plain', 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36', ...opts.headers },
    }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

let server: TestServer | undefined;
afterAll(async () => {
  await server?.stop();
});

it('leaves no raw IP in the data dir, the logs or /metrics', async () => {
  server = await startServer({ env: { BEACONRY_TRUSTED_PROXIES: '127.0.0.1', BEACONRY_LOG_LEVEL: 'debug', BEACONRY_STORE_FLUSH_MS: '20' } });
  const site = await addSite(server, 'canary.example');
  const url = `${server.url}/api/v1/batch?k=${site.publicKey}`;
  const body = (n: string) => JSON.stringify({ s: 'tab', u: 'https://canary.example/?utm_source=x', e: [{ t: 'pageview', i: n }, { t: 'custom', n, i: `${n}-c` }] });
  expect(await post(url, body('via-socket'), { localAddress: SOCKET_V4 })).toBe(202);
  expect(await post(url, body('via-xff-v4'), { headers: { 'x-forwarded-for': `${XFF_V4}, 127.0.0.1` } })).toBe(202);
  expect(await post(url, body('via-xff-v6'), { headers: { 'x-forwarded-for': XFF_V6 } })).toBe(202);
  // A malformed request and a bad key from the canary too: error paths must not log the IP either.
  expect(await post(url, '{"e":', { localAddress: SOCKET_V4 })).toBe(400);
  expect(await post(`${server.url}/api/v1/batch?k=nope`, body('x'), { headers: { 'x-forwarded-for': XFF_V4 } })).toBe(401);

  // The events were stored with a visitor id and, for the XFF ones, a country lookup happened.
  await server.cli(['store', 'flush']);
  const rows = await server.query<{ name: string; visitor_id: string }>("SELECT name, visitor_id::VARCHAR AS visitor_id FROM events WHERE type = 'custom' ORDER BY name");
  expect(rows.map((r) => r.name)).toEqual(['via-socket', 'via-xff-v4', 'via-xff-v6']);
  expect(new Set(rows.map((r) => r.visitor_id)).size).toBe(3);

  const metricsText = Buffer.from(await (await fetch(`${server.url}/metrics`)).text());
  const ips = [SOCKET_V4, XFF_V4, XFF_V6];
  const live = filesUnder(server.dataDir).map((f) => ({ name: path.relative(server!.dataDir, f), data: fs.readFileSync(f) }));
  await server.stop();
  const afterStop = filesUnder(server.dataDir).map((f) => ({ name: path.relative(server!.dataDir, f), data: fs.readFileSync(f) }));
  const output = Buffer.from(server.lines.join('\n'));
  const searched = [...live, ...afterStop, { name: '/metrics', data: metricsText }, { name: 'server output', data: output }];
  expect(searched.length).toBeGreaterThan(4);
  expect(hits(searched, ips)).toEqual([]);

  // The control: the same search finds every canary in every form in a file that holds them.
  const control = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'canary-')), 'control.bin');
  fs.writeFileSync(control, Buffer.concat(ips.flatMap((ip) => [Buffer.from('xx'), ...needles(ip)])));
  const found = hits([{ name: 'control', data: fs.readFileSync(control) }], ips);
  expect(found.length).toBe(ips.reduce((n, ip) => n + needles(ip).length, 0));
});
