// Stats API latency, rollups versus raw partitions, on the real server: a data dir seeded with N
// generated events (default 10 million) over 90 days for several sites, then autocannon (the API)
// drives three questions — a 30-day overview (aggregate), a 12-month time series, and a filtered
// breakdown (top /blog pages) — once as the planner answers them (rollups) and once forced onto the
// raw partitions (`source=raw`), in the same run, checking both give the same answer. Reports p50/p95,
// the ratio, and storage bytes per million events.
// Run alone: npx tsx bench/load/stats-api.ts [--events 1000000] (needs `npm run build` first).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import { machineInfo, machineMarkdown, percentile, writeResult } from '../machine.js';
import { spawnServer } from './spawn.js';
import { metricValue } from './scrape.js';
import { seedStatsData, type StatsSeed } from './stats-seed.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(ROOT, 'dist/cli/beaconry.js');

export interface StatsBenchOptions {
  /** Events to seed (default 10 million; `quick`: 1 million). */
  events?: number;
  days?: number;
  sites?: number;
  /** Seconds autocannon drives each rollup-served question. */
  rollupSeconds?: number;
  /** Requests per raw-scan question (each takes seconds at 10M events). */
  rawRequests?: number;
  quick?: boolean;
  progress?: (msg: string) => void;
}

export interface Latency {
  requests: number;
  p50: number;
  p95: number;
  p99: number;
  mean: number;
  errors: number;
}

export interface StatsScenario {
  name: string;
  path: string;
  rollups: Latency & { source: string };
  raw: Latency & { source: string };
  /** raw p95 / rollups p95 */
  speedup: number;
  sameAnswer: boolean;
}

export interface StatsBenchReport {
  seed: Omit<StatsSeed, 'sites'> & { sites: number };
  scenarios: StatsScenario[];
  bytesPerMillionEvents: { store: number; rollups: number };
  markdown: string;
}


/** Drives one GET with autocannon; latencies come from every response (autocannon's summary has no p95). */
function drive(port: number, urlPath: string, key: string, opts: { duration?: number; amount?: number }): Promise<Latency & { source: string }> {
  return new Promise((resolve, reject) => {
    const times: number[] = [];
    const inst = autocannon(
      {
        url: `http://127.0.0.1:${port}${urlPath}`,
        connections: 1,
        ...(opts.amount ? { amount: opts.amount } : { duration: opts.duration ?? 10 }),
        timeout: 120,
        headers: { authorization: `Bearer ${key}` },
      },
      (err, result) => {
        if (err) return reject(err);
        times.sort((a, b) => a - b);
        resolve({
          requests: times.length,
          p50: percentile(times, 50),
          p95: percentile(times, 95),
          p99: percentile(times, 99),
          mean: times.reduce((a, b) => a + b, 0) / Math.max(1, times.length),
          errors: result.errors + result.timeouts + result.non2xx,
          source: '',
        });
      },
    );
    inst.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
      if (status === 200) times.push(ms);
    });
  });
}

async function answer(port: number, urlPath: string, key: string): Promise<{ body: string; source: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${urlPath}`, { headers: { authorization: `Bearer ${key}` } });
  if (res.status !== 200) throw new Error(`${urlPath}: ${res.status} ${await res.text()}`);
  return { body: await res.text(), source: res.headers.get('x-beaconry-source') ?? '' };
}

const ms = (x: number): string => (Number.isFinite(x) ? x.toFixed(x < 10 ? 2 : 1) : '–');

export async function runStatsBench(opts: StatsBenchOptions = {}): Promise<StatsBenchReport> {
  const say = opts.progress ?? ((m: string) => process.stderr.write(`${m}\n`));
  const events = opts.events ?? (opts.quick ? 1_000_000 : 10_000_000);
  const days = opts.days ?? 90;
  const nSites = opts.sites ?? 4;
  const rollupSeconds = opts.rollupSeconds ?? (opts.quick ? 4 : 8);
  const rawRequests = opts.rawRequests ?? (opts.quick ? 3 : 5);
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'beaconry-stats-bench-'));
  try {
    say(`seeding ${events.toLocaleString('en')} events over ${days} days for ${nSites} sites…`);
    const seeded = await seedStatsData({ dataDir, events, days, sites: nSites, progress: say });
    say(`seeded ${seeded.events.toLocaleString('en')} events in ${seeded.writeSeconds.toFixed(0)} s, rollups in ${seeded.rollupSeconds.toFixed(0)} s`);
    const server = await spawnServer([CLI, 'start'], {
      BEACONRY_DATA_DIR: dataDir, BEACONRY_HOST: '127.0.0.1', BEACONRY_PORT: '0', BEACONRY_DISK_FREE_MIN: '0', BEACONRY_LOG_LEVEL: 'info',
    });
    try {
      // Ready, and the startup catch-up found every rollup current.
      for (let i = 0; i < 1200; i++) {
        const ready = await fetch(`http://127.0.0.1:${server.port}/readyz`).then((r) => r.status === 200).catch(() => false);
        const lag = await metricValue(server.port, 'beaconry_rollup_lag_seconds').catch(() => NaN);
        if (ready && lag === 0) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const site = seeded.sites[0]!;
      const q = (endpoint: string, params: Record<string, string>): string =>
        `/api/v1/stats/${endpoint}?${new URLSearchParams({ site_id: site.domain, ...params }).toString()}`;
      const questions = [
        { name: '30-day overview (aggregate)', path: q('aggregate', { period: '30d', metrics: 'visitors,visits,pageviews,views_per_visit,bounce_rate,visit_duration' }) },
        { name: '12-month time series (monthly)', path: q('timeseries', { period: '12mo', metrics: 'visitors,pageviews,bounce_rate' }) },
        { name: 'filtered breakdown (top /blog pages, 30 days)', path: q('breakdown', { period: '30d', property: 'event:page', filters: 'event:page==/blog*', metrics: 'visitors,pageviews,bounce_rate', limit: '10' }) },
      ];
      const scenarios: StatsScenario[] = [];
      for (const question of questions) {
        const rawPath = `${question.path}&source=raw`;
        const a = await answer(server.port, question.path, site.secretKey);
        const b = await answer(server.port, rawPath, site.secretKey);
        say(`${question.name}: rollups…`);
        const rollups = { ...(await drive(server.port, question.path, site.secretKey, { duration: rollupSeconds })), source: a.source };
        say(`${question.name}: raw partitions…`);
        const raw = { ...(await drive(server.port, rawPath, site.secretKey, { amount: rawRequests })), source: b.source };
        scenarios.push({ name: question.name, path: question.path, rollups, raw, speedup: raw.p95 / rollups.p95, sameAnswer: a.body === b.body });
      }
      const perMillion = (bytes: number): number => Math.round(bytes / (seeded.events / 1e6));
      const bytesPerMillionEvents = { store: perMillion(seeded.storeBytes), rollups: perMillion(seeded.rollupBytes) };
      const rows = scenarios.flatMap((s) => [
        `| ${s.name} | ${s.rollups.source} | ${s.rollups.requests} | ${ms(s.rollups.p50)} | ${ms(s.rollups.p95)} | ${ms(s.rollups.p99)} | | ${s.sameAnswer ? 'yes' : 'NO'} |`,
        `| | raw (forced) | ${s.raw.requests} | ${ms(s.raw.p50)} | ${ms(s.raw.p95)} | ${ms(s.raw.p99)} | ${s.speedup.toFixed(0)}× | |`,
      ]);
      const markdown = [
        `Method: ${seeded.events.toLocaleString('en')} generated events (${nSites} sites, ${days} days ending today, several time zones) written through Store.apply, rollups built, then the real server (\`beaconry start\`) on 127.0.0.1. autocannon (API), 1 connection: each question for ${rollupSeconds} s as the planner answers it, then ${rawRequests} requests forced onto the raw day partitions (\`source=raw\`). Latencies in ms from every response; "same" compares the two JSON answers byte for byte.`,
        '',
        '| question | answered from | requests | p50 ms | p95 ms | p99 ms | raw p95 / rollups p95 | same |',
        '|---|---|---:|---:|---:|---:|---:|---|',
        ...rows,
        '',
        `Storage: ${(seeded.storeBytes / 2 ** 20).toFixed(1)} MiB of day partitions and meta (${(bytesPerMillionEvents.store / 2 ** 20).toFixed(1)} MiB per million events), ${(seeded.rollupBytes / 2 ** 20).toFixed(1)} MiB of rollups (${(bytesPerMillionEvents.rollups / 2 ** 20).toFixed(2)} MiB per million events).`,
        `Seeding: ${Math.round(seeded.events / seeded.writeSeconds).toLocaleString('en')} events/s through Store.apply (generation and Arrow encoding included); rollups for ${days} days × ${nSites} sites built in ${seeded.rollupSeconds.toFixed(1)} s.`,
      ].join('\n');
      return { seed: { ...seeded, sites: nSites }, scenarios, bytesPerMillionEvents, markdown };
    } finally {
      await server.stop();
    }
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const i = process.argv.indexOf('--events');
  const events = i > 0 ? Number(process.argv[i + 1]) : undefined;
  const machine = machineInfo();
  runStatsBench({ events, quick: process.argv.includes('--quick') }).then(
    (r) => {
      const md = `# Stats API benchmark\n\n${machineMarkdown(machine)}\n\n${r.markdown}\n`;
      const file = writeResult('stats-api', { machine, ...r }, md);
      process.stdout.write(`${md}\nWritten to ${file}\n`);
      process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
