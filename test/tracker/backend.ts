// Where the browser tests send beacons and read stored rows back: the real Beaconry server
// (test/helpers/server.ts over the built dist/cli/beaconry.js), which also serves b.js.
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
  readonly kind: 'beaconry';
  /** Origin serving /b.js and /api/v1/batch; fixture pages are routed onto it by Playwright. */
  readonly url: string;
  newSite(): Promise<TrackedSite>;
  stop(): Promise<void>;
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export async function startBackend(): Promise<Backend> {
  return startBeaconry(path.join(root, 'test/helpers/server.ts'));
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
