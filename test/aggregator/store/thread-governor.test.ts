// ThreadGovernor's decisions over a made-up clock and counters, then the real thing: a Store's
// DuckDB threads set between writes.
import { describe, expect, it } from 'vitest';
import { ThreadGovernor } from '../../../aggregator/store/thread-governor.js';
import { metrics } from '../../../core/metrics.js';
import { storeOpener } from './helpers.js';

const open = storeOpener();

/** A governor over counters the test moves; `sets` records every change asked of DuckDB. */
function rig(opts: { fail?: boolean } = {}) {
  const state = { pending: 0, arrived: 0 };
  const sets: number[] = [];
  const warnings: string[] = [];
  const gov = new ThreadGovernor(
    {
      pendingRows: () => state.pending,
      arrivedRows: () => state.arrived,
      setThreads: async (n) => {
        if (opts.fail) throw new Error('no');
        sets.push(n);
      },
    },
    { maxThreads: 4, behindRows: 1000, busyRowsPerSec: 100, windowMs: 5000, dwellMs: 5000, log: { warn: (msg) => warnings.push(msg) } },
  );
  /** One tick a second for `secs` seconds from `t`, `perSec` rows arriving each second. */
  const run = async (t: number, secs: number, perSec: number): Promise<number> => {
    for (let i = 0; i < secs; i++, t += 1000) {
      state.arrived += perSec;
      await gov.tick(t);
    }
    return t;
  };
  return { gov, state, sets, warnings, run };
}

describe('ThreadGovernor', () => {
  it('gives DuckDB one thread while ingest is busy and the store keeps up, every core when it falls behind or ingest is quiet', async () => {
    const { gov, state, sets, run } = rig();
    let t = 1_000_000;
    // Quiet: 10 rows a second is under the busy rate.
    t = await run(t, 6, 10);
    expect(gov.threads).toBe(4);
    expect(sets).toEqual([]);
    // Busy, nothing waiting: one thread, as soon as the window shows the rate.
    t = await run(t, 2, 500);
    expect(gov.threads).toBe(1);
    expect(sets).toEqual([1]);
    // The store falls behind: back to every core, but not before the setting has stood 5 s.
    state.pending = 5000;
    t = await run(t, 3, 500);
    expect(gov.threads).toBe(1);
    t = await run(t, 3, 500);
    expect(gov.threads).toBe(4);
    expect(sets).toEqual([1, 4]);
    // Caught up and still busy: one thread again after the dwell.
    state.pending = 0;
    t = await run(t, 6, 500);
    expect(gov.threads).toBe(1);
    // Ingest stops: once the window has no busy rate left, every core.
    t = await run(t, 8, 0);
    expect(gov.threads).toBe(4);
    expect(sets).toEqual([1, 4, 1, 4]);
  });

  it('stays at every core while the queue was long within the window, though it is short between applies', async () => {
    const { gov, state, run } = rig();
    let t = await run(1_000_000, 3, 500);
    expect(gov.threads).toBe(1);
    // Overload: each long apply leaves the queue short for a moment, then it is long again.
    for (let i = 0; i < 6; i++) {
      state.pending = 5000;
      t = await run(t, 2, 500);
      state.pending = 10;
      t = await run(t, 1, 500);
      if (i >= 2) expect(gov.threads).toBe(4);
    }
    // Really caught up: after a window without a long queue (and the dwell), one thread again.
    t = await run(t, 6, 500);
    expect(gov.threads).toBe(1);
  });

  it('keeps the setting, and says so, when DuckDB refuses the change', async () => {
    const { gov, warnings, run } = rig({ fail: true });
    await run(1_000_000, 4, 500);
    expect(gov.threads).toBe(4);
    expect(warnings[0]).toMatch(/could not change DuckDB threads/);
  });

  it('reports the setting as beaconry_duckdb_threads', async () => {
    const { run } = rig();
    await run(1_000_000, 3, 500);
    expect((await metrics.duckdbThreads.get()).values[0]!.value).toBe(1);
  });
});

describe('Store.setThreads', () => {
  it("sets DuckDB's threads for every connection, and refuses nonsense", async () => {
    const { store } = await open();
    const before = await store.threads();
    await store.setThreads(1);
    expect(await store.threads()).toBe(1);
    await store.setThreads(before);
    expect(await store.threads()).toBe(before);
    await expect(store.setThreads(0)).rejects.toThrow(RangeError);
  });
});
