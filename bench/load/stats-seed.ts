// Seeds a data dir for the stats API benchmark: several sites, N generated events over D days written
// straight through Store.apply (the applier's path, without HTTP), then the rollups built, and an
// empty log segment that carries the store's position, so `beaconry start` opens the data dir as if
// ingest had written it and every log segment had been released.
import fs from 'node:fs';
import path from 'node:path';
import { Store } from '../../aggregator/store/store.js';
import { Rollups } from '../../aggregator/rollups/rollups.js';
import { localDay } from '../../aggregator/store/days.js';
import { encodeEventBatch } from '../../ingest/pipeline/arrow-batch.js';
import { segmentFileName } from '../../ingest/log/segment-format.js';
import { dayRange, generateSiteDay, type TrafficOptions } from '../../test/aggregator/rollups/traffic.js';

export interface StatsSeedOptions {
  dataDir: string;
  /** Events to generate in total (about; the report says how many were written). */
  events: number;
  days: number;
  sites: number;
  seed?: number;
  /** Last day of data (default: today, UTC), so `30d` and `12mo` periods see it. */
  endDay?: string;
  progress?: (msg: string) => void;
}

export interface SeededSite {
  id: string;
  domain: string;
  timezone: string;
  secretKey: string;
}

export interface StatsSeed {
  sites: SeededSite[];
  events: number;
  days: string[];
  writeSeconds: number;
  rollupSeconds: number;
  storeBytes: number;
  rollupBytes: number;
}

const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Tokyo', 'Australia/Sydney', 'America/Sao_Paulo'];
const RECORD_EVENTS = 20_000;

export async function seedStatsData(opts: StatsSeedOptions): Promise<StatsSeed> {
  const say = opts.progress ?? (() => {});
  const store = await Store.open(opts.dataDir);
  try {
    const sites: SeededSite[] = [];
    for (let i = 0; i < opts.sites; i++) {
      const timezone = ZONES[i % ZONES.length]!;
      const site = await store.sites.create(`bench-${i + 1}.example`, { timezone, retentionDays: 365 });
      const key = await store.keys.create(site.id, { name: 'bench', scopes: ['stats'] });
      sites.push({ id: site.id, domain: site.domain, timezone, secretKey: key.secretKey });
    }
    const days = dayRange(opts.endDay ?? localDay(Date.now(), 'UTC'), opts.days);
    const seed = opts.seed ?? 42;
    // Events per visit of the generator, measured on one site-day and then on what was written so
    // far, size each day's visits so the total reaches the target.
    const probe = generateSiteDay(sites[0]!, days[0]!, { days, visitsPerDay: 500, seed }, seed);
    let perVisit = probe.length / 500;
    let visits = 0;
    const started = performance.now();
    let events = 0;
    let lsn = store.appliedLsn;
    for (const [d, day] of days.entries()) {
      const records = [];
      // 2 % over, so the total lands at or just above the target.
      const left = (Math.max(0, opts.events - events) / (days.length - d)) * 1.02;
      const traffic: TrafficOptions = { days, visitsPerDay: Math.max(1, Math.ceil(left / (opts.sites * perVisit))), seed };
      visits += traffic.visitsPerDay * opts.sites;
      for (const [s, site] of sites.entries()) {
        const evs = generateSiteDay(site, day, traffic, seed * 1_000_003 + d * 101 + s);
        events += evs.length;
        for (let i = 0; i < evs.length; i += RECORD_EVENTS) records.push({ lsn: ++lsn, payload: encodeEventBatch(evs.slice(i, i + RECORD_EVENTS)) });
      }
      await store.apply(records);
      perVisit = events / visits;
      if ((d + 1) % 10 === 0) say(`seeded ${d + 1}/${days.length} days, ${events.toLocaleString('en')} events`);
    }
    await store.checkpoint();
    const writeSeconds = (performance.now() - started) / 1000;
    say(`building rollups for ${days.length} days…`);
    const r0 = performance.now();
    const rollups = await Rollups.open(store);
    await rollups.refreshAll();
    await rollups.checkpoint();
    const rollupSeconds = (performance.now() - r0) / 1000;
    // The log a server would have left after releasing every applied segment: one empty segment
    // whose name carries the next LSN (see ingest/log/README.md).
    const logDir = path.join(opts.dataDir, 'log');
    fs.mkdirSync(logDir, { recursive: true });
    fs.writeFileSync(path.join(logDir, segmentFileName(store.appliedLsn + 1)), '');
    return { sites, events, days, writeSeconds, rollupSeconds, storeBytes: store.totalBytes(), rollupBytes: rollups.bytes() };
  } finally {
    await store.close();
  }
}
