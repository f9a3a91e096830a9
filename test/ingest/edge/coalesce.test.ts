// The real server on 127.0.0.1: when the pool is free and only a few requests wait, the edge waits
// up to BEACONRY_POOL_COALESCE_MS for more and sends them as one pool task and one log record. A
// wide window here makes that visible in the counters; without it the first request of a burst goes
// alone at once (the pool is free), so a burst would take at least two tasks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricValue } from '../../helpers/metrics.js';
import { addSite, postBatch, startServer, type TestServer } from '../../helpers/server.js';

let server: TestServer;
let site: { publicKey: string };

beforeAll(async () => {
  server = await startServer({ env: { BEACONRY_POOL_THREADS: '1', BEACONRY_POOL_COALESCE_MS: '400' } });
  site = await addSite(server, 'example.com');
});
afterAll(async () => {
  await server?.stop();
});

const tasks = (): Promise<number> => metricValue(server.url, 'beaconry_pool_task_seconds_count');
const records = (): Promise<number> => metricValue(server.url, 'beaconry_log_records_total');

describe('coalescing requests into pool tasks', () => {
  it('sends a burst of requests that arrive while the pool is free as one task and one log record', async () => {
    const [t0, r0] = [await tasks(), await records()];
    const answers = await Promise.all(
      Array.from({ length: 5 }, (_, i) => postBatch(server, site.publicKey, { u: `https://example.com/p${i}`, e: [{ t: 'pageview' }] })),
    );
    for (const a of answers) expect(a.status).toBe(202);
    expect(await tasks()).toBe(t0 + 1);
    expect(await records()).toBe(r0 + 1);
  });

  it('still answers a lone request once the window has passed', async () => {
    const t0 = await tasks();
    const res = await postBatch(server, site.publicKey, { u: 'https://example.com/alone', e: [{ t: 'pageview' }] });
    expect(res.status).toBe(202);
    expect(((await res.json()) as { accepted: number }).accepted).toBe(1);
    expect(await tasks()).toBe(t0 + 1);
  });
});
