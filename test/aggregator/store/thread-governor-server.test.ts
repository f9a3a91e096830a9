// The real server's DuckDB threads (BEACONRY_DUCKDB_THREADS): fixed when set; by default every core
// while ingest is quiet, one while events arrive fast and the store keeps up, every core again once
// the load stops. Generated load on 127.0.0.1, bounded in count and time.
import { afterEach, expect, it } from 'vitest';
import { addSite, postBatch, startServer, type TestServer } from '../../helpers/server.js';
import { duckdbDefaultThreads } from './helpers.js';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

async function threadsGauge(s: TestServer): Promise<number | undefined> {
  const text = await (await fetch(`${s.url}/metrics`)).text();
  const m = /^beaconry_duckdb_threads (\S+)$/m.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** Polls until `ok(value)` or `ms` pass; returns the last value seen. */
async function waitFor(s: TestServer, ok: (v: number | undefined) => boolean, ms: number, meanwhile?: () => Promise<void>): Promise<number | undefined> {
  const until = Date.now() + ms;
  let v = await threadsGauge(s);
  while (!ok(v) && Date.now() < until) {
    if (meanwhile) await meanwhile();
    else await new Promise((r) => setTimeout(r, 200));
    v = await threadsGauge(s);
  }
  return v;
}

it('uses the thread count it is given', async () => {
  server = await startServer({ env: { BEACONRY_DUCKDB_THREADS: '1' } });
  expect(await threadsGauge(server)).toBe(1);
});

it('gives DuckDB one thread under sustained ingest and every core back when it stops', async () => {
  const cores = await duckdbDefaultThreads();
  expect(cores).toBeGreaterThan(1);

  server = await startServer({ env: { BEACONRY_PUBLIC_KEY_RATE: '100000000' } });
  const site = await addSite(server, 'threads.example');
  expect(await threadsGauge(server)).toBe(cores);

  // About 10k events a second (twice the busy rate) in rounds of 20 parallel 50-event batches.
  const events = Array.from({ length: 50 }, (_, i) => ({ t: 'pageview', u: `https://threads.example/p${i}` }));
  const s = server;
  let sent = 0;
  const round = async (): Promise<void> => {
    const started = Date.now();
    const res = await Promise.all(Array.from({ length: 20 }, () => postBatch(s, site.publicKey, { u: 'https://threads.example/', e: events })));
    for (const r of res) expect(r.status).toBe(202);
    sent += 20 * 50;
    await new Promise((r) => setTimeout(r, Math.max(0, 100 - (Date.now() - started))));
  };
  expect(await waitFor(server, (v) => v === 1, 20_000, round)).toBe(1);
  expect(sent).toBeGreaterThan(0);

  // Quiet again: the 5 s window empties, then the 5 s dwell ends.
  expect(await waitFor(server, (v) => v === cores, 20_000)).toBe(cores);
}, 60_000);
