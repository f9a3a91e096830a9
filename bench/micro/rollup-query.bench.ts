// Micro-benchmark of the stats API's read path in process: the same questions answered from rollups
// and by their naive twin, the scan of raw day partitions (`source=raw`, what the planner falls back
// to), plus the write side: recomputing one site-day's rollups. 30 days × 2 sites of generated
// traffic. Run: npx tsx bench/micro/rollup-query.bench.ts
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Bench } from 'tinybench';
import { Store } from '../../aggregator/store/store.js';
import { Rollups } from '../../aggregator/rollups/rollups.js';
import { StatsService, type StatsSite } from '../../aggregator/stats-api/stats-service.js';
import { dayRange, writeTraffic } from '../../test/aggregator/rollups/traffic.js';

const DAYS = dayRange('2024-06-30', 30);
const SITES = [
  { id: '6a7b8c9d-0000-4000-8000-000000000001', timezone: 'Europe/Berlin' },
  { id: '6a7b8c9d-0000-4000-8000-000000000002', timezone: 'UTC' },
];
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'beaconry-bench-rollup-'));
const store = await Store.open(root);
const events = await writeTraffic(store, SITES, { days: DAYS, visitsPerDay: 300, seed: 1 });
const rollups = await Rollups.open(store);
await rollups.refreshAll();
await store.checkpoint();
await rollups.checkpoint();
const service = new StatsService(store, { rollups: true });
const site: StatsSite = { ...SITES[0]!, domain: 'bench.example' };
const range = { period: 'custom', date: `${DAYS[0]},${DAYS.at(-1)}` };

console.log(`machine: ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, Node ${process.version}`);
console.log(`data: ${events.toLocaleString('en')} events, ${DAYS.length} days × ${SITES.length} sites; rollups ${(rollups.bytes() / 1024).toFixed(0)} KiB, partitions ${(store.totalBytes() / 2 ** 20).toFixed(1)} MiB\n`);

const bench = new Bench({ name: 'stats questions, rollups vs raw partitions', time: 1500, warmupIterations: 2 });
const ask = (name: string, run: (p: URLSearchParams) => Promise<unknown>, params: Record<string, string>): void => {
  bench.add(`${name} — rollups`, () => run(new URLSearchParams({ ...range, ...params })).then(() => undefined));
  bench.add(`${name} — naive twin: raw partitions`, () => run(new URLSearchParams({ ...range, ...params, source: 'raw' })).then(() => undefined));
};
ask('30-day aggregate', (p) => service.aggregate(site, p), { metrics: 'visitors,visits,pageviews,bounce_rate,visit_duration' });
ask('daily time series', (p) => service.timeseries(site, p), { interval: 'day', metrics: 'visitors,pageviews' });
ask('breakdown by page', (p) => service.breakdown(site, p), { property: 'event:page', metrics: 'visitors,pageviews,bounce_rate', limit: '10' });
ask('source breakdown, filtered on source', (p) => service.breakdown(site, p), { property: 'visit:source', filters: 'visit:source!=Direct / None', limit: '10' });
bench.add('write side: recompute one site-day of rollups', async () => {
  await store.withWriter((c) => c.run(`DELETE FROM rollups.main.state WHERE day = '${DAYS[10]}'`));
  await rollups.refreshDay(DAYS[10]!);
});

await bench.run();
console.table(
  bench.tasks.map((t) => {
    const r = t.result as { state?: string; latency?: { mean: number; p50?: number; p99?: number } } | undefined;
    return {
      task: t.name,
      'ms (mean)': Number((r?.latency?.mean ?? NaN).toFixed(2)),
      'ms (p50)': Number((r?.latency?.p50 ?? NaN).toFixed(2)),
      'ms (p99)': Number((r?.latency?.p99 ?? NaN).toFixed(2)),
    };
  }),
);
await store.close();
fs.rmSync(root, { recursive: true, force: true });
