// Micro-benchmark of keeping a busy day's rollups current: new rows arrive (1 % of the day each
// time) and the site-day is refreshed from them alone, against its naive twin, recomputing the whole
// site-day (what every refresh did before). Interleaved, same store, same rows; medians and ratio.
// Run: npx tsx bench/micro/rollup-refresh.bench.ts
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Store } from '../../aggregator/store/store.js';
import { Rollups } from '../../aggregator/rollups/rollups.js';
import { encodeEventBatch } from '../../ingest/pipeline/arrow-batch.js';
import { generateSiteDay } from '../../test/aggregator/rollups/traffic.js';
import { median } from '../machine.js';

const SITE = { id: '6a7b8c9d-0000-4000-8000-000000000001', timezone: 'UTC' };
const DAY = '2024-06-30';
const ROUNDS = 5;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'beaconry-bench-refresh-'));
const store = await Store.open(root);
const rollups = await Rollups.open(store);
const events = generateSiteDay(SITE, DAY, { days: [DAY], visitsPerDay: 120_000, seed: 1 }, 1);
const append = async (part: typeof events): Promise<void> => {
  for (let i = 0; i < part.length; i += 20_000) await store.apply([{ lsn: store.appliedLsn + 1, payload: encodeEventBatch(part.slice(i, i + 20_000)) }]);
};
// The day so far, then new rows in time order: the late part of the day, as it arrives.
const step = Math.floor(events.length / 100);
const first = events.length - ROUNDS * 2 * step;
await append(events.slice(0, first));
await rollups.refreshAll();

const timed = async (fn: () => Promise<unknown>): Promise<number> => {
  const t = performance.now();
  await fn();
  return performance.now() - t;
};
const incremental: number[] = [];
const whole: number[] = [];
let next = first;
for (let i = 0; i < ROUNDS; i++) {
  await append(events.slice(next, (next += step)));
  incremental.push(await timed(async () => {
    const [r] = await rollups.refreshDays([DAY]);
    if (r!.incremental.length !== 1) throw new Error('expected an incremental refresh');
  }));
  await append(events.slice(next, (next += step)));
  whole.push(await timed(async () => {
    await store.withWriter((c) => c.run('DELETE FROM rollups.main.state'));
    await rollups.refreshDays([DAY]);
  }));
}

console.log(`machine: ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, Node ${process.version}`);
console.log(`one site-day of ${first.toLocaleString('en')}–${next.toLocaleString('en')} events; each refresh follows ${step.toLocaleString('en')} new events (1 %); ${ROUNDS} rounds, interleaved\n`);
console.table([
  { task: 'refresh from the new rows (incremental)', 'ms (median)': Math.round(median(incremental)), 'ms (all)': incremental.map(Math.round).join(' ') },
  { task: 'naive twin: recompute the site-day whole', 'ms (median)': Math.round(median(whole)), 'ms (all)': whole.map(Math.round).join(' ') },
]);
console.log(`whole ÷ incremental: ${(median(whole) / median(incremental)).toFixed(1)}×`);
await store.close();
fs.rmSync(root, { recursive: true, force: true });
