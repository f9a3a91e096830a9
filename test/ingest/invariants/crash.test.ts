// Invariant 1, "2xx means durable": a server under load is killed with SIGKILL at random moments;
// after each restart every acknowledged event is in the store exactly once and /readyz comes back.
import { afterAll, expect, it } from 'vitest';
import { runLoad } from '../../helpers/load.js';
import { addSite, startServer, tempDataDir, type TestServer } from '../../helpers/server.js';

const KILLS = 10;
let server: TestServer | undefined;

afterAll(async () => {
  await server?.kill();
});

it(`keeps every acknowledged event exactly once across ${KILLS} SIGKILLs under load`, async () => {
  const dataDir = tempDataDir();
  // A small log segment size makes kills land around rotations and releases too.
  const env = { BEACONRY_LOG_SEGMENT: '256KiB', BEACONRY_STORE_FLUSH_MS: '30' };
  server = await startServer({ dataDir, env });
  const site = await addSite(server, 'crash.example');
  const acked: string[] = [];
  for (let round = 0; round < KILLS; round++) {
    let stop = false;
    const load = runLoad(server, site.publicKey, { concurrency: 8, eventsPerBatch: 20, prefix: `r${round}`, stop: () => stop });
    await new Promise((r) => setTimeout(r, 300 + Math.random() * 1200));
    await server.kill();
    stop = true;
    const r = await load;
    acked.push(...r.acked);
    server = await server.restart(); // waits for /readyz
  }
  expect(acked.length).toBeGreaterThan(KILLS * 20);
  await server.cli(['store', 'flush']);
  const rows = await server.query<{ name: string; n: number }>(
    "SELECT name, count(*)::INT AS n FROM events WHERE type = 'custom' GROUP BY name",
  );
  const counts = new Map(rows.map((r) => [r.name, r.n]));
  const missing = acked.filter((n) => !counts.has(n));
  const doubled = rows.filter((r) => r.n !== 1);
  expect(missing).toEqual([]);
  expect(doubled).toEqual([]);
  const ready = await fetch(`${server.url}/readyz`);
  expect(ready.status).toBe(200);
}, 240_000);
