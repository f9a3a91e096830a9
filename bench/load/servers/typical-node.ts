// Baseline: what a typical Node analytics backend does — node:http, a JSON body, and one INSERT per
// request into a database (DuckDB here, so the storage engine is the same as ours).
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'typical-'));
const db = await DuckDBInstance.create(path.join(dir, 'events.duckdb'));
const conn = await db.connect();
await conn.run('CREATE TABLE events (ts TIMESTAMP, type VARCHAR, url VARCHAR, referrer VARCHAR, ua VARCHAR, props VARCHAR)');

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    void (async () => {
      try {
        const batch = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { u: string; r: string; e: { t: string; u?: string; p?: unknown }[] };
        const ua = req.headers['user-agent'] ?? '';
        const values = batch.e.map(() => '(now(), ?, ?, ?, ?, ?)').join(',');
        const params = batch.e.flatMap((e) => [e.t, e.u ?? batch.u, batch.r, ua, e.p === undefined ? null : JSON.stringify(e.p)]);
        await conn.run(`INSERT INTO events VALUES ${values}`, params);
        res.writeHead(202).end();
      } catch {
        res.writeHead(400).end();
      }
    })();
  });
});
server.listen(0, '127.0.0.1', () => {
  const addr = server.address() as { port: number };
  process.stdout.write(`${JSON.stringify({ msg: 'listening', port: addr.port })}\n`);
});
process.on('SIGTERM', () => {
  server.close();
  void (async () => {
    const rows = await conn.runAndReadAll('SELECT count(*)::INT AS n FROM events');
    process.stdout.write(`${JSON.stringify({ msg: 'rows', n: rows.getRowObjects()[0]!.n })}\n`);
    process.exit(0);
  })();
});
