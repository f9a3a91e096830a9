// Export on the real server: a site's raw events and rollups for a range of days, as CSV and as
// Parquet (read back with DuckDB), streamed in chunks; the NDJSON progress mode carries the same
// bytes with per-day progress; auth and the same 404 as the stats API; no spool file stays behind.
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addSite, startServer, type TestServer } from '../../helpers/server.js';
import { tempDir } from '../store/helpers.js';

let server: TestServer;
let key: string;
let otherKey: string;
const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36';
const DAYS = ['2024-02-01', '2024-02-02', '2024-02-03', '2024-02-04', '2024-02-05'];
const PER_DAY = 40;
const out = tempDir();

beforeAll(async () => {
  server = await startServer({ env: { BEACONRY_STORE_FLUSH_MS: '20', BEACONRY_SECRET_KEY_RATE: '100000' } });
  await addSite(server, 'export.example', ['--retention', '365']);
  await addSite(server, 'other.example');
  key = (await server.cli<{ secretKey: string }>(['key', 'create', 'export.example'])).secretKey;
  otherKey = (await server.cli<{ secretKey: string }>(['key', 'create', 'other.example'])).secretKey;
  for (const [d, day] of DAYS.entries()) {
    const events = Array.from({ length: PER_DAY }, (_, i) => ({
      t: i % 4 === 3 ? 'engagement' : 'pageview', i: `${day}-${i}`, ts: Date.parse(`${day}T10:00:00Z`) + i * 60_000, sd: 50, et: 1000,
      u: `https://export.example/p/${i % 5},"quoted"`,
    }));
    const res = await fetch(`${server.url}/api/v1/batch`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ip: `198.51.100.${d + 1}`, ua: UA, u: 'https://export.example/', e: events }),
    });
    expect(res.status).toBe(202);
  }
  // Applied and rolled up.
  for (let i = 0; i < 200; i++) {
    const r = await server.query<{ n: number }>('SELECT count(*) AS n FROM rollups.main.daily');
    if (Number(r[0]?.n) === DAYS.length) break;
    await new Promise((res) => setTimeout(res, 100));
  }
});

afterAll(async () => {
  await server?.stop();
  fs.rmSync(out, { recursive: true, force: true });
});

const q = (params: Record<string, string>): string =>
  `${server.url}/api/v1/export?${new URLSearchParams({ site_id: 'export.example', period: 'custom', date: `${DAYS[0]},${DAYS.at(-1)}`, ...params }).toString()}`;

async function download(params: Record<string, string>, k = key): Promise<{ res: Response; bytes: Buffer; chunks: number }> {
  const res = await fetch(q(params), { headers: { authorization: `Bearer ${k}` } });
  let chunks = 0;
  const parts: Buffer[] = [];
  if (res.body) {
    for await (const c of res.body as unknown as AsyncIterable<Uint8Array>) {
      chunks++;
      parts.push(Buffer.from(c));
    }
  }
  return { res, bytes: Buffer.concat(parts), chunks };
}

async function duck(sql: string): Promise<Record<string, unknown>[]> {
  const inst = await DuckDBInstance.create(':memory:');
  const c = await inst.connect();
  try {
    return (await c.runAndReadAll(sql)).getRowObjectsJS();
  } finally {
    c.closeSync();
    inst.closeSync();
  }
}

describe('GET /api/v1/export', () => {
  it('streams raw events as CSV, one header, every row, with the row count up front', async () => {
    const { res, bytes } = await download({ format: 'csv' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="export.example-events-${DAYS[0]}_${DAYS.at(-1)}.csv"`);
    expect(res.headers.get('x-beaconry-export-rows')).toBe(String(DAYS.length * PER_DAY));
    expect(res.headers.get('x-beaconry-export-days')).toBe(String(DAYS.length));
    const file = path.join(out, 'events.csv');
    fs.writeFileSync(file, bytes);
    expect(bytes.toString('utf8').split('\n')[0]!.startsWith('event_id,site_id,ts,day,hour,type,')).toBe(true);
    const rows = await duck(`SELECT count(*) AS n, count(DISTINCT day) AS days, count(*) FILTER (WHERE pathname LIKE '/p/_,%22quoted%22') AS quoted FROM read_csv('${file}', header = true)`);
    expect(rows).toEqual([{ n: BigInt(DAYS.length * PER_DAY), days: BigInt(DAYS.length), quoted: BigInt(DAYS.length * PER_DAY) }]);
  });

  it('exports Parquet that DuckDB reads back, and the rollups too', async () => {
    const { res, bytes } = await download({ format: 'parquet' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/vnd.apache.parquet');
    expect(bytes.subarray(0, 4).toString()).toBe('PAR1');
    const file = path.join(out, 'events.parquet');
    fs.writeFileSync(file, bytes);
    const rows = await duck(`SELECT count(*) AS n, count(*) FILTER (WHERE type = 'pageview') AS pv FROM read_parquet('${file}')`);
    expect(rows).toEqual([{ n: BigInt(DAYS.length * PER_DAY), pv: BigInt(DAYS.length * 30) }]);

    const daily = await download({ format: 'parquet', table: 'daily' });
    const dfile = path.join(out, 'daily.parquet');
    fs.writeFileSync(dfile, daily.bytes);
    const drows = await duck(`SELECT day::VARCHAR AS day, pageviews FROM read_parquet('${dfile}') ORDER BY day`);
    expect(drows).toEqual(DAYS.map((day) => ({ day, pageviews: 30n })));
    const dims = await download({ format: 'csv', table: 'dims' });
    expect(dims.res.headers.get('x-beaconry-export-rows')).toBe(String(dims.bytes.toString('utf8').trim().split('\n').length - 1));
  });

  it('NDJSON progress mode: start, per-day progress, the same bytes in base64 chunks, end', async () => {
    const plain = await download({ format: 'csv' });
    const { res, bytes } = await download({ format: 'csv', progress: 'ndjson' });
    expect(res.headers.get('content-type')).toBe('application/x-ndjson');
    const lines = bytes.toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ type: 'start', rows: DAYS.length * PER_DAY, days: DAYS.length, format: 'csv', table: 'events' });
    const progress = lines.filter((l) => l.type === 'progress' && l.phase === 'send').map((l) => l.daysDone);
    expect(progress).toEqual([1, 2, 3, 4, 5]);
    const data = Buffer.concat(lines.filter((l) => l.type === 'data').map((l) => Buffer.from(String(l.base64), 'base64')));
    expect(data.equals(plain.bytes)).toBe(true);
    expect(lines.at(-1)).toEqual({ type: 'end', bytes: plain.bytes.length });
  });

  it('answers like the stats API for bad requests and other sites, and leaves no spool file', async () => {
    expect((await download({ format: 'xlsx' })).res.status).toBe(400);
    expect((await download({ table: 'nope' })).res.status).toBe(400);
    const foreign = await download({}, otherKey);
    expect(foreign.res.status).toBe(404);
    const missing = await fetch(q({ site_id: 'missing.example' }), { headers: { authorization: `Bearer ${key}` } });
    expect(missing.status).toBe(404);
    expect(await missing.text()).toBe(foreign.bytes.toString('utf8'));
    expect((await fetch(q({}))).status).toBe(401);
    const spool = path.join(server.dataDir, 'store', 'tmp');
    expect(fs.readdirSync(spool).filter((f) => f.startsWith('export-'))).toEqual([]);
  });
});
