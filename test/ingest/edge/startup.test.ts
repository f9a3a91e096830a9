// Starting up: refusing the slow uWS fallback, refusing bad settings, and /readyz reporting a disk
// below the watermark (ingest answers 503 before the disk is full).
import { execFile } from 'node:child_process';
import { afterAll, expect, it } from 'vitest';
import { addSite, CLI, postBatch, startServer, tempDataDir, type TestServer } from '../../helpers/server.js';

function run(args: string[], env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 20_000 }, (err, _out, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr });
    });
  });
}

let server: TestServer | undefined;
afterAll(async () => {
  await server?.stop();
});

it('refuses to start on the uWebSockets.js fallback, saying why and how to fix it', async () => {
  const r = await run(['start'], { UWS_USE_FALLBACK: '1', BEACONRY_DATA_DIR: tempDataDir(), BEACONRY_HOST: '127.0.0.1', BEACONRY_PORT: '0' });
  expect(r.code).not.toBe(0);
  expect(r.stderr).toMatch(/fell back to its slow ws implementation/);
  expect(r.stderr).toMatch(/Node 20/);
});

it('refuses unknown and invalid settings with a message naming them', async () => {
  const unknown = await run(['site', 'list'], { BEACONRY_DATA_DIR: tempDataDir(), BEACONRY_PROT: '8080' });
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toMatch(/unknown setting BEACONRY_PROT/);
  const invalid = await run(['site', 'list'], { BEACONRY_DATA_DIR: tempDataDir(), BEACONRY_TRUSTED_PROXIES: '10.0.0.0/99' });
  expect(invalid.code).toBe(2);
  expect(invalid.stderr).toMatch(/BEACONRY_TRUSTED_PROXIES/);
  const threads = await run(['site', 'list'], { BEACONRY_DATA_DIR: tempDataDir(), BEACONRY_DUCKDB_THREADS: '-1' });
  expect(threads.code).toBe(2);
  expect(threads.stderr).toMatch(/BEACONRY_DUCKDB_THREADS/);
});

it('is not ready and answers 503 when free disk is below the watermark', async () => {
  server = await startServer({ env: { BEACONRY_DISK_FREE_MIN: '1000000GiB' }, waitReady: false });
  const site = await addSite(server, 'disk.example');
  let ready: Response | undefined;
  for (let i = 0; i < 100; i++) {
    ready = await fetch(`${server.url}/readyz`);
    if ((await ready.clone().json() as { reason?: string }).reason?.includes('disk')) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  expect(ready!.status).toBe(503);
  expect(await ready!.json()).toMatchObject({ ready: false, code: 'BEACONRY_ERR_NOT_DURABLE' });
  const res = await postBatch(server, site.publicKey, { u: 'https://disk.example/', e: [{ t: 'pageview' }] });
  expect(res.status).toBe(503);
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(((await res.json()) as { error: { code: string } }).error.code).toBe('BEACONRY_ERR_NOT_DURABLE');
  expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
});
