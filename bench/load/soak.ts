// `npm run bench -- --soak 30m`: steady load on the real server for a long time, sampling its memory
// (RSS, heap) and queue depths from /metrics every few seconds, to catch leaks. Loopback only; stops
// by itself at the end of the duration.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { generateBatches } from './batches.js';
import { spawnServer } from './spawn.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(ROOT, 'dist/cli/beaconry.js');

export interface SoakSample { atSec: number; rssMiB: number; heapMiB: number; logQueueBytes: number; acceptedTotal: number }

function parseDuration(s: string): number {
  const m = /^(\d+)(s|m|h)?$/.exec(s);
  if (!m) throw new Error(`--soak takes a duration like 30m, got ${s}`);
  return Number(m[1]) * ({ s: 1, m: 60, h: 3600 }[m[2] ?? 's'] ?? 1);
}

function metric(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

export async function runSoak(duration: string): Promise<{ samples: SoakSample[]; markdown: string }> {
  const seconds = parseDuration(duration);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'beaconry-soak-'));
  const env = { BEACONRY_DATA_DIR: dataDir, BEACONRY_HOST: '127.0.0.1', BEACONRY_PORT: '0', BEACONRY_LOG_LEVEL: 'info', BEACONRY_DISK_FREE_MIN: '0' };
  const site = JSON.parse(execFileSync(process.execPath, [CLI, 'site', 'add', 'soak.example', '--json'], { env: { ...process.env, ...env } }).toString()) as { publicKey: string };
  const server = await spawnServer([CLI, 'start'], env);
  const reqs = generateBatches(256, 50);
  const samples: SoakSample[] = [];
  const started = Date.now();
  const load = autocannon({
    url: `http://127.0.0.1:${server.port}`, connections: 8, duration: seconds, overallRate: 400,
    requests: reqs.map((r) => ({ method: 'POST' as const, path: `/api/v1/batch?k=${site.publicKey}`, headers: { 'content-type': 'text/plain', 'user-agent': r.userAgent }, body: r.body })),
  });
  const timer = setInterval(() => {
    void fetch(`http://127.0.0.1:${server.port}/metrics`).then(async (r) => {
      const t = await r.text();
      samples.push({
        atSec: Math.round((Date.now() - started) / 1000),
        rssMiB: Math.round(metric(t, 'beaconry_process_resident_memory_bytes') / 2 ** 20),
        heapMiB: Math.round(metric(t, 'beaconry_nodejs_heap_size_used_bytes') / 2 ** 20),
        logQueueBytes: metric(t, 'beaconry_queue_depth{queue="log"}'),
        acceptedTotal: metric(t, 'beaconry_events_accepted_total'),
      });
    }).catch(() => {});
  }, Math.max(5000, (seconds * 1000) / 120));
  await load;
  clearInterval(timer);
  await server.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
  const md = ['| t (s) | RSS MiB | heap MiB | log queue bytes | events accepted |', '|---:|---:|---:|---:|---:|',
    ...samples.map((s) => `| ${s.atSec} | ${s.rssMiB} | ${s.heapMiB} | ${s.logQueueBytes} | ${s.acceptedTotal} |`)].join('\n');
  return { samples, markdown: `Steady 400 requests/s × 50 events for ${duration}; memory sampled from /metrics.\n\n${md}` };
}
