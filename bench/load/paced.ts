// An open-loop load generator for "latency at a given rate": requests leave at evenly spaced
// scheduled times over keep-alive connections, and each latency is measured from its scheduled time,
// so a stalled server is charged for the requests it delayed (no coordinated omission).
//
// A request whose time has come goes out at once: when every open connection is busy, another is
// opened (up to `connections`), as another visitor's browser would. With a fixed 32 connections the
// client itself became the queue: at ~1,000 requests/s, 32 connections carry at most 32 / latency
// requests/s, so a few server answers of 30 ms backed every later request up in the client for
// hundreds of milliseconds: against the same server, p99 was 226–649 ms over 32 connections and
// 70–95 ms with as many as needed (about 100). `peakInFlight` reports how many were needed.
//
// Why not autocannon's overallRate: it refills each connection's quota once a second (the requests go
// out in a burst at the top of every second), and it corrects for coordinated omission with an
// expected interval of ceil(1 / per-connection rate) = 1 ms, which adds dozens of synthetic samples
// per real one. Measured here, that reported p99 ≈ 320 ms at half load while the server's own
// beaconry_ack_latency_seconds histogram had 99 % of answers under 100 ms.
import http from 'node:http';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { visitorAddress, type GeneratedRequest } from './batches.js';
import { percentile } from '../machine.js';

export interface PacedResult {
  /** Requests scheduled, and answered with a 2xx. */
  sent: number;
  ok: number;
  /** Answered with another status. */
  non2xx: number;
  /** No answer (connection error, or still open at the end). */
  errors: number;
  /** Achieved answered requests per second. */
  requestsPerSec: number;
  /** Most requests in flight at once (each on its own connection). */
  peakInFlight: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
  /**
   * The load generator's own delays over the run, in ms: how late its event loop ran (p99, max) and
   * its longest garbage-collection pause. It shares the cores with the server, and a request it sends
   * late is charged to the server; these say how much of a tail could be the client's.
   */
  client: { loopP99: number; loopMax: number; gcMax: number };
}

export async function paced(
  port: number,
  reqs: readonly GeneratedRequest[],
  /**
   * connections: the most it may open (default 1024). firstVisitor: the visitorAddress index of the
   * first request (default 0); a run after others passes the count they sent, so that its visitors
   * are new ones, as they would be on a site, not the day's first visitors coming back.
   */
  opts: { path: string; rate: number; durationSec: number; connections?: number; firstVisitor?: number },
): Promise<PacedResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.connections ?? 1024 });
  const total = Math.max(1, Math.floor(opts.rate * opts.durationSec));
  const intervalMs = 1000 / opts.rate;
  const latencies = new Float64Array(total);
  let ok = 0;
  let non2xx = 0;
  let errors = 0;
  let done = 0;
  let sent = 0;
  let inFlight = 0;
  let peakInFlight = 0;
  const start = performance.now() + 5;
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  let gcMax = 0;
  const gc = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcMax = Math.max(gcMax, e.duration);
  });
  gc.observe({ entryTypes: ['gc'] });

  const fire = (i: number): void => {
    const scheduled = start + i * intervalMs;
    const r = reqs[i % reqs.length]!;
    peakInFlight = Math.max(peakInFlight, ++inFlight);
    const req = http.request({
      host: '127.0.0.1', port, path: opts.path, method: 'POST', agent,
      headers: { 'content-type': 'text/plain', 'user-agent': r.userAgent, 'x-forwarded-for': visitorAddress((opts.firstVisitor ?? 0) + i), 'content-length': r.body.byteLength },
    }, (res) => {
      res.resume();
      res.once('end', () => finish(i, scheduled, (res.statusCode ?? 0) < 300 ? 'ok' : 'non2xx'));
    });
    req.once('error', () => finish(i, scheduled, 'error'));
    req.end(r.body);
  };

  let resolveAll!: () => void;
  const all = new Promise<void>((resolve) => (resolveAll = resolve));
  const finish = (i: number, scheduled: number, outcome: 'ok' | 'non2xx' | 'error'): void => {
    latencies[i] = performance.now() - scheduled;
    inFlight--;
    if (outcome === 'ok') ok++;
    else if (outcome === 'non2xx') non2xx++;
    else errors++;
    if (++done === total) resolveAll();
  };

  // Send everything whose time has come, then sleep until the next one is due.
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = performance.now();
      while (sent < total && start + sent * intervalMs <= now) fire(sent++);
      if (sent === total) return resolve();
      setTimeout(tick, Math.max(0, start + sent * intervalMs - performance.now()));
    };
    tick();
  });
  // Bounded: a request that never answers fails the run instead of hanging it.
  const timeout = setTimeout(() => agent.destroy(), 30_000);
  await all;
  clearTimeout(timeout);
  const elapsed = (performance.now() - start) / 1000;
  agent.destroy();
  loop.disable();
  gc.disconnect();

  const sorted = latencies.slice(0, done).sort();
  const tenths = (ms: number): number => Math.round(ms * 10) / 10;
  const pct = (p: number): number => tenths(percentile(sorted, p));
  return {
    sent: total, ok, non2xx, errors, requestsPerSec: ok / elapsed, peakInFlight, p50: pct(50), p99: pct(99), p999: pct(99.9), max: pct(100),
    // The loop's histogram is in nanoseconds.
    client: { loopP99: tenths(loop.percentile(99) / 1e6), loopMax: tenths(loop.max / 1e6), gcMax: tenths(gcMax) },
  };
}
