// Right to be forgotten on the real server: a unique marker goes into a site's events through the
// ingest endpoint (2xx), the search over every file under the data dir (store, DuckDB WALs, rollups,
// log segments, temp) finds it — the control — and after `beaconry site delete` it finds nothing:
// events, rollups, keys and salts are gone at once. Once through the running server's admin socket,
// once with no server running (the CLI opens the store and the log itself).
import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addSite, postBatch, runCli, startServer, type TestServer } from '../../helpers/server.js';
import { allFiles, filesContaining } from '../store/helpers.js';

let server: TestServer;

beforeAll(async () => {
  server = await startServer({ env: { BEACONRY_STORE_FLUSH_MS: '20', BEACONRY_LOG_SEGMENT: '64KiB' } });
});
afterAll(async () => {
  await server?.stop();
  if (server) fs.rmSync(server.dataDir, { recursive: true, force: true });
});

async function eventually(fn: () => Promise<void>, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function stats(key: string, domain: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${server.url}/api/v1/stats/aggregate?site_id=${domain}&period=day&metrics=visitors,pageviews`, { headers: { authorization: `Bearer ${key}` } });
  return { status: res.status, body: await res.json() };
}

/** A site with a stats key and `n` marked pageviews in several batches (several log records). */
async function markedSite(domain: string, marker: string, n = 30): Promise<{ id: string; key: string; publicKey: string }> {
  const site = await addSite(server, domain);
  const key = (await server.cli<{ secretKey: string }>(['key', 'create', domain])).secretKey;
  for (let i = 0; i < n; i += 10) {
    const events = Array.from({ length: 10 }, (_, j) => ({ t: 'pageview', i: `${marker}-${i + j}`, u: `https://${domain}${marker}?n=${i + j}` }));
    const res = await postBatch(server, site.publicKey, { s: `s-${i}`, u: `https://${domain}/`, e: [...events, { t: 'custom', n: 'signup', p: { ref: marker } }] });
    expect(res.status).toBe(202);
  }
  return { id: site.id, key, publicKey: site.publicKey };
}

describe('beaconry site delete', () => {
  it('through the running server: no file under the data dir holds the site afterwards', async () => {
    const marker = `/erase-me-${randomBytes(8).toString('hex')}`;
    const domain = `gone-${randomBytes(4).toString('hex')}.example`;
    const kept = await markedSite('kept.example', '/kept-page');
    const gone = await markedSite(domain, marker);
    // Applied, rolled up, and answered by the API.
    await eventually(async () => {
      expect((await stats(gone.key, domain)).body).toEqual({ results: { visitors: { value: 1 }, pageviews: { value: 30 } } });
      const r = await server.query(`SELECT count(*) AS n FROM rollups.main.dims WHERE value = '${marker}?n=0' OR value = '${marker}'`);
      expect(Number(r[0]!.n)).toBeGreaterThan(0);
    });
    await server.cli(['store', 'flush']);
    // The control: the search sees the marker (log segments, day partition or its WAL, rollups).
    const before = filesContaining(server.dataDir, marker);
    expect(before.some((f) => f.includes('/log/'))).toBe(true);
    expect(before.some((f) => f.includes('/store/events/'))).toBe(true);
    expect(before.some((f) => f.includes('rollups.duckdb'))).toBe(true);
    expect(filesContaining(server.dataDir, domain).length).toBeGreaterThan(0);

    const result = await server.cli<{ deleted: string; logReleased: boolean }>(['site', 'delete', domain]);
    expect(result.deleted).toBe(gone.id);
    expect(result.logReleased).toBe(true);

    expect(filesContaining(server.dataDir, marker)).toEqual([]);
    expect(filesContaining(server.dataDir, domain)).toEqual([]);
    expect(allFiles(server.dataDir).length).toBeGreaterThan(0);
    // Keys and salts: the key no longer authenticates, the salts file no longer names the site.
    expect((await stats(gone.key, domain)).status).toBe(401);
    expect(fs.readFileSync(`${server.dataDir}/salts.json`, 'utf8')).not.toContain(gone.id);
    expect(await server.query(`SELECT count(*) AS n FROM events WHERE site_id = '${gone.id}'`)).toEqual([{ n: 0 }]);
    // The site that stays is whole, and ingest goes on.
    expect((await stats(kept.key, 'kept.example')).body).toEqual({ results: { visitors: { value: 1 }, pageviews: { value: 30 } } });
    expect((await postBatch(server, kept.publicKey, { u: 'https://kept.example/after', e: [{ t: 'pageview' }] })).status).toBe(202);
    await eventually(async () => {
      expect((await stats(kept.key, 'kept.example')).body).toEqual({ results: { visitors: { value: 1 }, pageviews: { value: 31 } } });
    });
  });

  it('with no server running: the CLI erases from the store, the rollups and the log itself', async () => {
    const marker = `/offline-${randomBytes(8).toString('hex')}`;
    const domain = `offline-${randomBytes(4).toString('hex')}.example`;
    const site = await markedSite(domain, marker);
    await eventually(async () => {
      expect((await stats(site.key, domain)).body).toEqual({ results: { visitors: { value: 1 }, pageviews: { value: 30 } } });
    });
    // Kill -9: whatever the store had not applied or checkpointed stays in the log for the CLI to replay.
    await server.kill();
    expect(filesContaining(server.dataDir, marker).length).toBeGreaterThan(0);
    const result = await runCli<{ deleted: string }>(['site', 'delete', domain], server.env);
    expect(result.deleted).toBe(site.id);
    expect(filesContaining(server.dataDir, marker)).toEqual([]);
    expect(filesContaining(server.dataDir, domain)).toEqual([]);
    // The server starts again on the same data dir: the log and the store still agree.
    server = await server.restart();
    const kept = (await server.cli<{ domain: string }[]>(['site', 'list'])).map((s) => s.domain);
    expect(kept).toContain('kept.example');
    expect(kept).not.toContain(domain);
    const keptKey = (await server.cli<{ secretKey: string }>(['key', 'create', 'kept.example'])).secretKey;
    await eventually(async () => {
      expect((await stats(keptKey, 'kept.example')).body).toEqual({ results: { visitors: { value: 1 }, pageviews: { value: 31 } } });
    });
  });
});
