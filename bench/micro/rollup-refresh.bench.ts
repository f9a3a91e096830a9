// Micro-benchmark of keeping a busy day's rollups current: new rows arrive (1 % of the day each
// time) and the site-day is refreshed from them alone, against its naive twin, recomputing the whole
// site-day (what every refresh did before). Both run twice: over a coded day file, whose rows the
// rollups group by dictionary code, and over a plain file (as written before coded columns) with the
// same events a day later, read as text: what every refresh read before the rollups grouped by codes.
// Interleaved, same store, same rows; medians (wall and process CPU) and ratios.
// Run: npx tsx bench/micro/rollup-refresh.bench.ts
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { eventsTableDDL, type EventRecord } from '../../core/event-contract.js';
import { Store } from '../../aggregator/store/store.js';
import { Rollups } from '../../aggregator/rollups/rollups.js';
import { encodeEventBatch } from '../../ingest/pipeline/arrow-batch.js';
import { generateSiteDay } from '../../test/aggregator/rollups/traffic.js';
import { median } from '../machine.js';

const SITE = { id: '6a7b8c9d-0000-4000-8000-000000000001', timezone: 'UTC' };
const DAY = '2024-06-30';
const PLAIN_DAY = '2024-07-01';
const ROUNDS = 5;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'beaconry-bench-refresh-'));
{
  // The plain file, made before the store opens (the store creates every new day coded).
  fs.mkdirSync(path.join(root, 'store', 'events'), { recursive: true });
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  await c.run(`ATTACH '${path.join(root, 'store', 'events', `${PLAIN_DAY}.duckdb`)}' AS x`);
  await c.run(eventsTableDDL('x.main.events'));
  c.closeSync();
  db.closeSync();
}
const store = await Store.open(root);
const rollups = await Rollups.open(store);
const events = generateSiteDay(SITE, DAY, { days: [DAY], visitsPerDay: 120_000, seed: 1 }, 1);
// Other event ids: ids are unique per site, and a repeated one is dropped as a duplicate.
const nextDay = (e: EventRecord): EventRecord => ({ ...e, ts: (e.ts as number) + 86_400_000, day: (e.day as number) + 1, event_id: (e.event_id as bigint) ^ 1n });
/** Events [from, to) to both days. */
const append = async (from: number, to: number): Promise<void> => {
  for (let i = from; i < to; i += 20_000) {
    const part = events.slice(i, Math.min(i + 20_000, to));
    await store.apply([{ lsn: store.appliedLsn + 1, payload: encodeEventBatch([...part, ...part.map(nextDay)]) }]);
  }
};
// The day so far, then new rows in time order: the late part of the day, as it arrives.
const step = Math.floor(events.length / 100);
const first = events.length - ROUNDS * 2 * step;
await append(0, first);
await rollups.refreshAll();

interface Timing {
  ms: number;
  cpuMs: number;
}
const timed = async (fn: () => Promise<unknown>): Promise<Timing> => {
  const t = performance.now();
  const c = process.cpuUsage();
  await fn();
  const u = process.cpuUsage(c);
  return { ms: performance.now() - t, cpuMs: (u.user + u.system) / 1000 };
};
const incrementalOf = (day: string) => async (): Promise<void> => {
  const [r] = await rollups.refreshDays([day]);
  if (r!.incremental.length !== 1) throw new Error(`expected an incremental refresh: ${JSON.stringify(r)}`);
};
const wholeOf = (day: string) => async (): Promise<void> => {
  await store.withWriter((c) => c.run(`DELETE FROM rollups.main.state WHERE day = '${day}'`));
  const [r] = await rollups.refreshDays([day]);
  if (r!.recomputed.length !== 1 || r!.incremental.length !== 0) throw new Error('expected a whole recompute');
};
const runs = { incremental: [] as Timing[], whole: [] as Timing[], textIncremental: [] as Timing[], textWhole: [] as Timing[] };
let next = first;
for (let i = 0; i < ROUNDS; i++) {
  await append(next, (next += step));
  runs.incremental.push(await timed(incrementalOf(DAY)));
  runs.textIncremental.push(await timed(incrementalOf(PLAIN_DAY)));
  await append(next, (next += step));
  runs.whole.push(await timed(wholeOf(DAY)));
  runs.textWhole.push(await timed(wholeOf(PLAIN_DAY)));
}

const med = (ts: Timing[], k: keyof Timing): number => median(ts.map((t) => t[k]));
const row = (task: string, ts: Timing[]): Record<string, unknown> => ({
  task,
  'ms (median)': Math.round(med(ts, 'ms')),
  'CPU ms (median)': Math.round(med(ts, 'cpuMs')),
  'ms (all)': ts.map((t) => Math.round(t.ms)).join(' '),
});
console.log(`machine: ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, Node ${process.version}`);
console.log(`one site-day of ${first.toLocaleString('en')}–${next.toLocaleString('en')} events; each refresh follows ${step.toLocaleString('en')} new events (1 %); ${ROUNDS} rounds, interleaved\n`);
console.table([
  row('refresh from the new rows (incremental), grouped by codes', runs.incremental),
  row('naive twin: recompute the site-day whole, grouped by codes', runs.whole),
  row('incremental, plain file read as text', runs.textIncremental),
  row('whole, plain file read as text', runs.textWhole),
]);
console.log(`whole ÷ incremental: ${(med(runs.whole, 'ms') / med(runs.incremental, 'ms')).toFixed(1)}×`);
const ratio = (text: Timing[], codes: Timing[]): string =>
  `${(med(text, 'ms') / med(codes, 'ms')).toFixed(2)}× wall, ${(med(text, 'cpuMs') / med(codes, 'cpuMs')).toFixed(2)}× CPU`;
console.log(`text ÷ codes: incremental ${ratio(runs.textIncremental, runs.incremental)}; whole ${ratio(runs.textWhole, runs.whole)}`);
await store.close();
fs.rmSync(root, { recursive: true, force: true });
