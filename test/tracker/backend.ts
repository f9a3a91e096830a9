// Where the browser tests send beacons and read stored rows back. The real Beaconry server when it
// is built (test/helpers/server.ts + dist/cli/beaconry.js); until then a small stand-in over
// node:http that serves the built b.js and decodes batches the way the edge does.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { unpack } from 'msgpackr';
import type { ApiRequest } from '../../core/http.js';
import { buildTracker } from '../../tracker/build.mjs';
import { trackerRoute } from '../../tracker/serve.js';

/** A stored event, by contract column name (core/event-contract.ts); only what the tests read. */
export interface Row {
  type: string;
  event_id: string;
  session_id: string;
  hostname: string;
  pathname: string;
  referrer: string | null;
  utm_source: string | null;
  utm_medium: string | null;
  utm_campaign: string | null;
  name: string | null;
  props: string | null;
  revenue_amount: number | null;
  revenue_currency: string | null;
  cta_id: string | null;
  link_url: string | null;
  form_id: string | null;
  copy_text: string | null;
  scroll_depth: number | null;
  engaged_ms: number | null;
  ts: number;
}

export interface TrackedSite {
  /** The public key for `data-site`. */
  readonly key: string;
  /** Rows stored for this site, oldest first. */
  rows(): Promise<Row[]>;
}

export interface Backend {
  readonly kind: 'beaconry' | 'stand-in';
  /** Origin serving /b.js and /api/v1/batch; fixture pages are routed onto it by Playwright. */
  readonly url: string;
  newSite(): Promise<TrackedSite>;
  /** CORS preflights received (only the stand-in can see them): the tracker must cause none. */
  preflights?(): number;
  stop(): Promise<void>;
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * The one switch. The real server whenever it is built and serves the tracker; the stand-in only
 * while it does not (said loudly). BEACONRY_TRACKER_TEST_BACKEND=beaconry|stand-in forces one.
 */
export async function startBackend(): Promise<Backend> {
  const forced = process.env.BEACONRY_TRACKER_TEST_BACKEND;
  const helper = path.join(root, 'test/helpers/server.ts');
  const built = existsSync(helper) && existsSync(path.join(root, 'dist/cli/beaconry.js'));
  if (forced === 'stand-in' || (!built && forced !== 'beaconry')) return startStandIn();
  const real = await startBeaconry(helper);
  if (forced === 'beaconry') return real;
  const script = await fetch(`${real.url}/b.js`).catch(() => undefined);
  if (script?.status === 200) return real;
  await real.stop();
  console.warn('tracker browser tests: the built server does not serve /b.js yet, so they run against the stand-in');
  return startStandIn();
}

// ---- the real server --------------------------------------------------------------------------

interface ServerHarness {
  url: string;
  cli(args: string[]): Promise<unknown>;
  query(sql: string): Promise<Record<string, unknown>[]>;
  stop(): Promise<void>;
}

const text = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

async function startBeaconry(helper: string): Promise<Backend> {
  const { startServer } = (await import(pathToFileURL(helper).href)) as {
    startServer: () => Promise<ServerHarness>;
  };
  const server = await startServer();
  let n = 0;
  return {
    kind: 'beaconry',
    url: server.url.replace(/\/$/, ''),
    async newSite() {
      const site = (await server.cli(['site', 'add', `tracker-${++n}.example`, '--json'])) as { id: string; publicKey: string };
      return {
        key: site.publicKey,
        async rows() {
          const rows = await server.query(`SELECT * FROM events WHERE site_id = '${site.id}' ORDER BY ts, event_id`);
          return rows.map((r) => ({
            type: String(r.type),
            event_id: String(r.event_id),
            session_id: String(r.session_id),
            hostname: String(r.hostname),
            pathname: String(r.pathname),
            referrer: text(r.referrer),
            utm_source: text(r.utm_source),
            utm_medium: text(r.utm_medium),
            utm_campaign: text(r.utm_campaign),
            name: text(r.name),
            props: text(r.props),
            revenue_amount: num(r.revenue_amount),
            revenue_currency: text(r.revenue_currency),
            cta_id: text(r.cta_id),
            link_url: text(r.link_url),
            form_id: text(r.form_id),
            copy_text: text(r.copy_text),
            scroll_depth: num(r.scroll_depth),
            engaged_ms: num(r.engaged_ms),
            ts: r.ts instanceof Date ? r.ts.getTime() : typeof r.ts === 'string' ? Date.parse(r.ts) : Number(r.ts),
          }));
        },
      };
    },
    stop: () => server.stop(),
  };
}

// ---- the stand-in -----------------------------------------------------------------------------

type Wire = Record<string, unknown>;
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** Wire event → row, as the ingest pipeline would store it (dedup by event id included). */
function toRow(batch: Wire, ev: Wire): Row {
  const href = str(ev.u) ?? String(batch.u);
  const url = new URL(href);
  const rev = (ev.$ ?? null) as Wire | null;
  return {
    type: String(ev.t),
    event_id: String(ev.i),
    session_id: String(batch.s),
    hostname: url.hostname,
    // in hash mode (`hm`) the fragment is part of the page, as in ingest/pipeline/steps/put-page.ts
    pathname: url.pathname + (ev.hm === true ? url.hash : ''),
    referrer: str(ev.r) ?? (str(batch.r) || null),
    utm_source: url.searchParams.get('utm_source'),
    utm_medium: url.searchParams.get('utm_medium'),
    utm_campaign: url.searchParams.get('utm_campaign'),
    name: str(ev.n),
    props: ev.p === undefined ? null : JSON.stringify(ev.p),
    revenue_amount: rev ? Number(rev.a) : null,
    revenue_currency: rev ? str(rev.c) : null,
    cta_id: str(ev.c),
    link_url: str(ev.h),
    form_id: str(ev.f),
    copy_text: str(ev.x),
    scroll_depth: typeof ev.sd === 'number' ? ev.sd : null,
    engaged_ms: typeof ev.et === 'number' ? ev.et : null,
    ts: Number(ev.ts),
  };
}

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function startStandIn(): Promise<Backend> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'beaconry-tracker-browser-'));
  await buildTracker(dir);
  const script = trackerRoute('/b.js', dir);
  const stored = new Map<string, Map<string, Row>>(); // site key → event id → row
  let preflights = 0;
  let sites = 0;

  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (req.method === 'GET' && url.pathname === '/b.js') {
        const apiReq: ApiRequest = {
          method: 'GET',
          path: url.pathname,
          query: url.searchParams,
          headers: req.headers as Record<string, string>,
          body: Buffer.alloc(0),
          ip: '',
          params: {},
        };
        const out = await script.handler(apiReq);
        res.writeHead(out.status, out.headers).end(out.body);
        return;
      }
      if (url.pathname === '/api/v1/batch' && req.method === 'OPTIONS') {
        preflights++;
        res.writeHead(204).end();
        return;
      }
      if (url.pathname === '/api/v1/batch' && req.method === 'POST') {
        const site = stored.get(url.searchParams.get('k') ?? '');
        const body = await readBody(req);
        const cors = { 'access-control-allow-origin': '*', 'content-type': 'application/json' };
        if (!site) {
          res.writeHead(401, cors).end('{"error":{"code":"BEACONRY_ERR_UNKNOWN_KEY","message":"unknown key"}}');
          return;
        }
        const batch = unpack(body) as Wire;
        const events = batch.e as Wire[];
        for (const ev of events) if (!site.has(String(ev.i))) site.set(String(ev.i), toRow(batch, ev));
        res.writeHead(202, cors).end(JSON.stringify({ ok: true, accepted: events.length, dropped: {} }));
        return;
      }
      res.writeHead(404).end();
    })().catch(() => res.writeHead(400).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    kind: 'stand-in',
    url: `http://127.0.0.1:${port}`,
    async newSite() {
      const key = `pk_test_${++sites}`;
      const rows = new Map<string, Row>();
      stored.set(key, rows);
      return { key, rows: async () => [...rows.values()].sort((a, b) => a.ts - b.ts) };
    },
    preflights: () => preflights,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
