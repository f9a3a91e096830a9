// Invariant 2, bounded memory and explicit backpressure: with the store stalled (applying paused),
// acknowledged-but-unapplied bytes grow only to the log queue limit; past it the edge answers 503
// with Retry-After, memory stays bounded, and after resuming every acknowledged event is stored.
import { afterAll, expect, it } from 'vitest';
import { metricValue } from '../../helpers/metrics.js';
import { runLoad } from '../../helpers/load.js';
import { addSite, startServer, type TestServer } from '../../helpers/server.js';

let server: TestServer | undefined;
afterAll(async () => {
  await server?.stop();
});

it('answers 503 once the log queue is full, bounds memory, and loses nothing acknowledged', async () => {
  const limit = 2 * 1024 * 1024;
  server = await startServer({ env: { BEACONRY_LOG_QUEUE: String(limit), BEACONRY_STORE_FLUSH_MS: '20' } });
  const site = await addSite(server, 'pressure.example');
  await server.cli(['store', 'pause']);
  const rssBefore = await metricValue(server.url, 'beaconry_process_resident_memory_bytes');

  let stop = false;
  let first503: Response | undefined;
  const load = runLoad(server, site.publicKey, { concurrency: 8, eventsPerBatch: 50, prefix: 'bp', stop: () => stop, maxBatches: 4000 });
  // Probe until the edge pushes back: the queue fills only with acknowledged bytes.
  for (let i = 0; i < 2000 && !first503; i++) {
    const r = await fetch(`${server.url}/api/v1/batch?k=${site.publicKey}`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ u: 'https://pressure.example/', e: [{ t: 'pageview' }] }) });
    if (r.status === 503) first503 = r;
    else await r.arrayBuffer();
  }
  expect(first503).toBeDefined();
  expect(Number(first503!.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(((await first503!.json()) as { error: { code: string } }).error.code).toBe('BEACONRY_ERR_OVERLOADED');

  // While stalled, the queue stays at its limit (plus at most the tasks in flight when it filled).
  const depth = await metricValue(server.url, 'beaconry_queue_depth', { queue: 'log' });
  expect(depth).toBeGreaterThanOrEqual(limit);
  expect(depth).toBeLessThan(limit * 3);
  const still = await fetch(`${server.url}/api/v1/batch?k=${site.publicKey}`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"u":"https://pressure.example/","e":[{"t":"pageview"}]}' });
  expect(still.status).toBe(503);
  const rssStalled = await metricValue(server.url, 'beaconry_process_resident_memory_bytes');
  expect(rssStalled - rssBefore).toBeLessThan(256 * 1024 * 1024);

  stop = true;
  const r = await load;
  expect(r.statuses[503] ?? 0).toBeGreaterThan(0);
  await server.cli(['store', 'resume']);
  await server.cli(['store', 'flush']);
  const rows = await server.query<{ n: number }>(`SELECT count(DISTINCT name)::INT AS n FROM events WHERE name LIKE 'bp-%'`);
  expect(rows[0]!.n).toBe(r.acked.length);
  const ok = await fetch(`${server.url}/api/v1/batch?k=${site.publicKey}`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"u":"https://pressure.example/","e":[{"t":"pageview"}]}' });
  expect(ok.status).toBe(202);
}, 120_000);
