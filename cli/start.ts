// `beaconry start`: opens the store and the log, replays what the store has not applied, starts the
// pool and the edge, and keeps salts, disk watermark and metrics current. One process, every part.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { Config } from '../core/config.js';
import type { ErrorCode } from '../core/errors.js';
import type { Route } from '../core/http.js';
import { createLogger } from '../core/logger.js';
import { metrics, reportQueueDepth } from '../core/metrics.js';
import { Applier, ROW_GROUP_ROWS } from '../aggregator/applier.js';
import { RetentionScheduler } from '../aggregator/erasure/retention-scheduler.js';
import { RollupMaintainer } from '../aggregator/rollups/rollup-maintainer.js';
import { Rollups } from '../aggregator/rollups/rollups.js';
import { Store } from '../aggregator/store/store.js';
import { Dispatcher } from '../ingest/edge/dispatcher.js';
import { startEdge } from '../ingest/edge/server.js';
import { WriteAheadLog } from '../ingest/log/write-ahead-log.js';
import { KeyRegistry, type KeySource } from '../ingest/registry/key-registry.js';
import { SaltKeeper } from '../ingest/registry/salt-keeper.js';
import type { PoolResult, PoolTask } from '../ingest/pool/worker.js';
import { RegistryWriter } from '../ingest/pool/shared-registry.js';
import { startAdminSocket } from './admin-socket.js';
import { extraRoutes } from './routes.js';
import { ThreadGovernor } from '../aggregator/store/thread-governor.js';

export interface Running {
  port: number;
  stop(): Promise<void>;
}

function keySource(store: Store): KeySource {
  return {
    sites: async () => (await store.sites.list()).map((s) => ({ ...s, excludedIps: [] })),
    secretKeys: async () => (await store.keys.all()).filter((k) => k.revokedAt === null),
  };
}

export async function start(config: Config): Promise<Running> {
  const log = createLogger(config.logLevel);
  fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });

  const store = await Store.open(config.dataDir, { threads: config.duckdbThreads });
  const wal = await WriteAheadLog.open(path.join(config.dataDir, 'log'), {
    segmentBytes: config.logSegmentBytes,
    preallocate: true,
    onFsync: (seconds, bytes) => {
      metrics.logFsync.observe(seconds);
      metrics.logBytes.inc(bytes);
    },
  });
  if (store.appliedLsn > wal.stats().lastLsn) {
    // The store has applied records the log no longer has: the log directory was lost or replaced.
    // Appending would reuse LSNs the store treats as applied, silently dropping new events.
    throw new Error(`the log in ${path.join(config.dataDir, 'log')} ends at LSN ${wal.stats().lastLsn} but the store applied up to ${store.appliedLsn}; restore the log directory or move the data dir aside`);
  }
  if (wal.recovery) log.warn('cut a torn log tail', { segment: wal.recovery.segment, bytes: wal.recovery.bytes });
  // Rollups live next to the store (rollups.duckdb) and follow every append within seconds.
  const rollups = await Rollups.open(store);
  const maintainer = new RollupMaintainer(rollups, { log });
  const retention = new RetentionScheduler(store, rollups, { log });
  const applier = new Applier(store, wal, {
    flushMs: config.storeFlushMs,
    onApplied: (days, appliedAt) => maintainer.markDirty(days, appliedAt),
  });

  // BEACONRY_DUCKDB_THREADS=0: ingest's pressure decides (thread-governor.ts); otherwise fixed at open.
  const governor = config.duckdbThreads === 0
    ? new ThreadGovernor(
        { pendingRows: () => applier.pendingRows, arrivedRows: () => applier.arrivedRows, setThreads: (n) => store.setThreads(n) },
        { maxThreads: await store.threads(), behindRows: 2 * ROW_GROUP_ROWS, log },
      )
    : undefined;
  if (governor) governor.start();
  else metrics.duckdbThreads.set(await store.threads());

  const writer = new RegistryWriter();
  const keys = new KeyRegistry(keySource(store), new SaltKeeper(config.dataDir), writer);
  await keys.reload();

  const here = path.dirname(fileURLToPath(import.meta.url));
  const pool = new Piscina<PoolTask, PoolResult>({
    filename: path.join(here, '..', 'ingest', 'pool', 'worker.js'),
    workerData: { registry: writer.sab },
    minThreads: config.poolThreads,
    maxThreads: config.poolThreads,
    // The dispatcher bounds in-flight tasks itself; piscina's own queue never grows past that.
    concurrentTasksPerWorker: 1,
    idleTimeout: 60_000,
    // One hostile task can at most kill its own worker, not the process.
    resourceLimits: { maxOldGenerationSizeMb: 256, maxYoungGenerationSizeMb: 64, stackSizeMb: 4 },
  });

  let replaying = true;
  let diskLow = false;
  const notReady = (): { code: ErrorCode; reason: string } | undefined => {
    if (replaying) return { code: 'BEACONRY_ERR_NOT_READY', reason: 'replaying the log' };
    if (wal.failed) return { code: 'BEACONRY_ERR_NOT_DURABLE', reason: 'the log cannot be written' };
    if (diskLow) return { code: 'BEACONRY_ERR_NOT_DURABLE', reason: 'free disk below the watermark' };
    return undefined;
  };

  const dispatcher = new Dispatcher(pool, wal, applier, {
    edgeQueue: config.edgeQueueLimit,
    poolTasks: config.poolQueueLimit,
    logBytes: config.logQueueLimitBytes,
    coalesceMs: config.poolCoalesceMs,
  });
  reportQueueDepth('log', () => dispatcher.logQueueBytes());
  const routes: Route[] = extraRoutes({ config, store, keys, rollups, applier, log: wal });
  const edge = await startEdge({ config, keys, dispatcher, notReady, routes });

  const admin = await startAdminSocket(config.dataDir, {
    store,
    changed: () => keys.reload(),
    applier,
    log: wal,
    rollups,
  });

  const checkDisk = (): void => {
    try {
      const s = fs.statfsSync(config.dataDir);
      const free = s.bavail * s.bsize;
      metrics.diskFree.set(free);
      metrics.diskTotal.set(s.blocks * s.bsize);
      diskLow = free < config.diskFreeMinBytes;
    } catch {
      diskLow = true;
    }
    const parts = store.partitions();
    metrics.storePartitions.set(parts.length);
    metrics.storeBytes.set(parts.reduce((n, p) => n + p.bytes, 0));
    metrics.appliedLag.set(applier.lagSeconds());
    metrics.rollupLag.set(maintainer.lagSeconds());
    const st = wal.stats();
    metrics.logSegments.set(st.segments);
    metrics.ready.set(notReady() ? 0 : 1);
  };
  checkDisk();
  const diskTimer = setInterval(checkDisk, 1000);
  const saltTimer = setInterval(() => keys.rotateSalts(), 30_000);

  log.info('listening', { port: edge.port, host: config.host, dataDir: config.dataDir, poolThreads: config.poolThreads });
  // Replay after listening so /healthz answers and /readyz says why we are not ready yet.
  // Ready means warm: every worker has loaded its tables before the first visitor waits on one.
  const warm = Promise.all(Array.from({ length: config.poolThreads }, () => pool.run({ requests: [] })));
  const replayed = Promise.all([applier.replay(), warm]).then(async ([n]) => {
    replaying = false;
    log.info('ready', { replayedRecords: n, appliedLsn: store.appliedLsn });
    // Catch up rollups a crash or an older version left behind (unchanged days cost one count each),
    // then purge what is past retention, now and hourly.
    maintainer.markDirty([...new Set([...store.partitions().map((p) => p.day), ...(await rollups.days())])]);
    retention.start();
  });
  replayed.catch((err: unknown) => log.error('replay failed', { err: String(err) }));

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      edge.close();
      clearInterval(diskTimer);
      clearInterval(saltTimer);
      governor?.stop();
      await replayed.catch(() => {});
      // Let in-flight requests reach the log, then apply everything and checkpoint.
      for (let i = 0; i < 100 && dispatcher.waiting > 0; i++) await new Promise((r) => setTimeout(r, 20));
      await pool.close({ force: false }).catch(() => {});
      await applier.close().catch((err: unknown) => log.error('final apply failed', { err: String(err) }));
      await retention.close();
      await maintainer.close();
      await wal.close();
      admin.close();
      await store.close();
    })();
    return stopping;
  };
  return { port: edge.port, stop };
}
