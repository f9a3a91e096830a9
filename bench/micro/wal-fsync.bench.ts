// Why the log's fdatasync has a long tail while DuckDB writes, and what would cut it: 20 KB records
// appended and fdatasynced one after another for 8 s while another file on the same filesystem
// takes 8 MiB every 20 ms (DuckDB writing row groups), (a) appending to a growing file, as the log
// does now, and (b) overwriting a segment zero-filled and synced in advance. Appending changes the
// file's size and extents, so each fdatasync commits the ext4 journal, which waits for the other
// file's dirty data; an overwrite of allocated blocks needs no journal commit.
// Run: npx tsx bench/micro/wal-fsync.bench.ts (bounded: 2 × 8 s, files in the OS temp dir).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeZerosDurably } from '../../ingest/log/log-io.js';
import { percentile } from '../machine.js';

const SECONDS = 8;
const SEGMENT = 256 * 1024 * 1024;

async function run(mode: 'append' | 'preallocated'): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'beaconry-wal-fsync-'));
  try {
    const handle = await fs.promises.open(path.join(dir, 'wal'), 'w+');
    // The log's own zero-fill (ingest/log/log-io.ts), as it prepares a spare segment.
    if (mode === 'preallocated') await writeZerosDurably(handle, 0, SEGMENT);
    const wal = handle.fd;
    const other = fs.openSync(path.join(dir, 'duckdb'), 'w');
    const big = Buffer.alloc(8 << 20, 7);
    let stop = false;
    let otherAt = 0;
    const background = (async () => {
      while (!stop) {
        fs.writeSync(other, big, 0, big.length, otherAt);
        otherAt += big.length;
        if (otherAt % (64 << 20) === 0) fs.fdatasyncSync(other);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const record = Buffer.alloc(20_000, 1);
    const latencies: number[] = [];
    let at = 0;
    const until = Date.now() + SECONDS * 1000;
    while (Date.now() < until && at + record.length < SEGMENT) {
      const t = performance.now();
      fs.writeSync(wal, record, 0, record.length, at);
      at += record.length;
      await new Promise<void>((resolve, reject) => fs.fdatasync(wal, (err) => (err ? reject(err) : resolve())));
      latencies.push(performance.now() - t);
      await new Promise((r) => setImmediate(r));
    }
    stop = true;
    await background;
    await handle.close();
    fs.closeSync(other);
    latencies.sort((a, b) => a - b);
    const p = (q: number): string => percentile(latencies, q).toFixed(2);
    return `| ${mode === 'append' ? 'append to a growing file (a plain segment)' : 'overwrite a zero-filled, synced segment (as the log does)'} | ${latencies.length} | ${p(50)} | ${p(90)} | ${p(99)} | ${latencies.at(-1)!.toFixed(1)} |`;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const rows = [await run('append'), await run('preallocated')];
console.log(`machine: ${os.cpus()[0]?.model ?? 'unknown'}, ${os.availableParallelism()} cores, Node ${process.version}, temp dir ${os.tmpdir()}`);
console.log('method: 20 KB write + fdatasync in a loop for 8 s while another file takes 8 MiB every 20 ms (fdatasync every 64 MiB)\n');
console.log('| log file | fsyncs | p50 ms | p90 ms | p99 ms | max ms |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const r of rows) console.log(r);
