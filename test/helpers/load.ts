// A small, bounded load generator for the real server: concurrent loops that post batches of
// uniquely named custom events and remember which names were acknowledged with a 2xx.
import type { TestServer } from './server.js';

export interface LoadResult {
  acked: string[];
  failed: number;
  statuses: Record<number, number>;
}

export function runLoad(server: Pick<TestServer, 'url'>, key: string, opts: { concurrency: number; eventsPerBatch: number; prefix: string; stop: () => boolean; maxBatches?: number }): Promise<LoadResult> {
  const result: LoadResult = { acked: [], failed: 0, statuses: {} };
  let seq = 0;
  let sent = 0;
  const loop = async (): Promise<void> => {
    while (!opts.stop() && sent < (opts.maxBatches ?? Infinity)) {
      sent++;
      const names = Array.from({ length: opts.eventsPerBatch }, () => `${opts.prefix}-${seq++}`);
      const body = JSON.stringify({ u: 'https://example.com/load', e: names.map((n) => ({ t: 'custom', n, i: n })) });
      try {
        const res = await fetch(`${server.url}/api/v1/batch?k=${key}`, {
          method: 'POST',
          headers: { 'content-type': 'text/plain', 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/124.0 Safari/537.36' },
          body,
          signal: AbortSignal.timeout(10_000),
        });
        result.statuses[res.status] = (result.statuses[res.status] ?? 0) + 1;
        await res.arrayBuffer();
        if (res.status === 202) result.acked.push(...names);
        else if (res.status === 503) await new Promise((r) => setTimeout(r, 20));
      } catch {
        result.failed++;
        await new Promise((r) => setTimeout(r, 10));
      }
    }
  };
  return Promise.all(Array.from({ length: opts.concurrency }, loop)).then(() => result);
}
