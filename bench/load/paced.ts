// An open-loop load generator for "latency at a given rate": requests leave at evenly spaced
// scheduled times over keep-alive connections, and each latency is measured from its scheduled time,
// so a stalled server is charged for the requests it delayed (no coordinated omission).
//
// Why not autocannon's overallRate: it refills each connection's quota once a second (the requests go
// out in a burst at the top of every second), and it corrects for coordinated omission with an
// expected interval of ceil(1 / per-connection rate) = 1 ms, which adds dozens of synthetic samples
// per real one. Measured here, that reported p99 ≈ 320 ms at half load while the server's own
// beaconry_ack_latency_seconds histogram had 99 % of answers under 100 ms.
import http from 'node:http';
import type { GeneratedRequest } from './batches.js';

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
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

export async function paced(
  port: number,
  reqs: readonly GeneratedRequest[],
  opts: { path: string; rate: number; durationSec: number; connections: number },
): Promise<PacedResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.connections });
  const total = Math.max(1, Math.floor(opts.rate * opts.durationSec));
  const intervalMs = 1000 / opts.rate;
  const latencies = new Float64Array(total);
  let ok = 0;
  let non2xx = 0;
  let errors = 0;
  let done = 0;
  let sent = 0;
  const start = performance.now() + 5;

  const fire = (i: number): void => {
    const scheduled = start + i * intervalMs;
    const r = reqs[i % reqs.length]!;
    const req = http.request({
      host: '127.0.0.1', port, path: opts.path, method: 'POST', agent,
      headers: { 'content-type': 'text/plain', 'user-agent': r.userAgent, 'content-length': r.body.byteLength },
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

  const sorted = latencies.slice(0, done).sort();
  const pct = (p: number): number => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! * 10) / 10;
  return { sent: total, ok, non2xx, errors, requestsPerSec: ok / elapsed, p50: pct(0.5), p99: pct(0.99), p999: pct(0.999), max: pct(1) };
}
