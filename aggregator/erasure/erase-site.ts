// Right to be forgotten: `beaconry site delete` erases a site's events, rollups, keys and salts at
// once, and leaves no byte of them in any file under the data dir — day partitions and meta are
// rewritten by the store, rollups.duckdb by the rollups, salts.json is replaced whole, and the log
// segments that still hold the site's acknowledged events are rotated out and released.
// Works inside a running server (through the admin socket) and without one (the CLI opens the log).
import fs from 'node:fs';
import path from 'node:path';
import { Applier } from '../applier.js';
import type { Store } from '../store/store.js';
import { Rollups } from '../rollups/rollups.js';
import { WriteAheadLog } from '../../ingest/log/write-ahead-log.js';
import { SaltKeeper } from '../../ingest/registry/salt-keeper.js';

/** What erasure needs; the admin socket's context (cli/commands.ts) provides it. */
export interface EraseContext {
  store: Store;
  /** Tells the running edge and pool that sites changed (reloads keys and salts); no-op without a server. */
  changed: () => Promise<void>;
  /** The server's rollups; without a server they are attached here. */
  rollups?: Rollups;
  /** The server's applier and log. Without them, no server runs and the log directory is opened here. */
  applier?: { flush(): Promise<void>; checkpoint(): Promise<void>; readonly isPaused: boolean };
  log?: { rotate(): Promise<void>; stats(): { segments: number } };
}

export interface EraseReport {
  deleted: string;
  /** Log segments left after the release (the current one, and any holding records not yet applied). */
  logSegments: number;
  /** False when the applier is paused (`beaconry store pause`): records may stay in the log until it resumes. */
  logReleased: boolean;
}

const LOG_SEGMENT_BYTES = 64 * 1024 * 1024;

export async function eraseSite(ctx: EraseContext, siteId: string): Promise<EraseReport> {
  const { store } = ctx;
  // 1. Events (partitions rewritten), keys, the site row (meta rewritten). From here on the store
  //    drops the site's records at apply, so nothing still in flight brings them back.
  await store.sites.delete(siteId);
  // 2. Rollups: the file is rewritten without the site.
  const rollups = ctx.rollups ?? (await Rollups.open(store));
  await rollups.eraseSites([siteId]);
  // 3. Keys and salts in memory (server) and salts.json (replaced whole, without the site's salts).
  if (ctx.log) await ctx.changed();
  else {
    new SaltKeeper(store.dataDir).rotate(await store.sites.list());
    await ctx.changed();
  }
  // 4. The log: apply what is waiting (the site's records are dropped), close the current segment,
  //    checkpoint, and release every segment the store has fully applied.
  if (ctx.applier && ctx.log) {
    await ctx.applier.flush();
    await ctx.log.rotate();
    await ctx.applier.checkpoint();
    return { deleted: siteId, logSegments: ctx.log.stats().segments, logReleased: !ctx.applier.isPaused };
  }
  const dir = path.join(store.dataDir, 'log');
  let segments = 0;
  if (fs.existsSync(dir)) {
    const wal = await WriteAheadLog.open(dir, { segmentBytes: LOG_SEGMENT_BYTES });
    try {
      const applier = new Applier(store, wal, { flushMs: 1 });
      await applier.replay();
      await wal.rotate();
      await applier.checkpoint();
      segments = wal.stats().segments;
    } finally {
      await wal.close();
    }
  } else await store.checkpoint();
  return { deleted: siteId, logSegments: segments, logReleased: true };
}
