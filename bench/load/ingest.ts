// Ingest throughput, end to end: autocannon drives realistic 50-event msgpack batches into the real
// server on 127.0.0.1; afterwards the rows in DuckDB are counted and must equal what was
// acknowledged. In the same run: a bare uWS server that reads the body and answers 204 (the edge
// ceiling), the same plus our bounded decoder (the decode ceiling), and a typical Node backend
// (node:http, JSON, one INSERT per request into DuckDB). Medians of repeated runs, and ratios.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { generateBatches, visitorAddress, type GeneratedRequest } from './batches.js';
import { spawnServer, type Spawned } from './spawn.js';
import { paced } from './paced.js';
import { metricValue } from './scrape.js';
import { median } from '../machine.js';
import { summarizeProfiles } from './profile-summary.js';
import { perfAvailable, startPerf, stopPerf, summarizePerfFile } from './perf-summary.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(ROOT, 'dist/cli/beaconry.js');
const TSX = ['--import', 'tsx'];

export interface RunStats {
  requestsPerSec: number;
  eventsPerSec: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  /** Events in 2xx answers. */
  acked: number;
  /** The paced half-load run only. */
  p999?: number;
  /** Paced run: most requests in flight at once (one connection each). */
  peakInFlight?: number;
  /** Paced run: the bucket bound (ms) under which 99 % of the server's beaconry_ack_latency_seconds fell. */
  serverP99?: number;
  /** Paced run: the load generator's own event-loop delay (p99, max) and longest GC pause, ms (PacedResult.client). */
  client?: { loopP99: number; loopMax: number; gcMax: number };
  /** Beaconry: the server's CPU (all threads; its main thread) per row it stored, in µs, from /proc. */
  cpuMicrosPerRow?: number;
  mainThreadMicrosPerRow?: number;
  /**
   * Beaconry: rows appended to DuckDB per second during the run. Below the acknowledged rate, the
   * log's queue (256 MiB by default) absorbed the difference and the run did not show a sustainable rate.
   */
  appliedPerSec?: number;
}

export interface IngestReport {
  durationSec: number;
  repeats: number;
  connections: number;
  eventsPerBatch: number;
  targets: Record<string, { runs: RunStats[]; median: RunStats }>;
  /** halfLoad: the median of halfLoadRuns (p99.9 and the server's p99 too; peak in flight: the most). */
  beaconry: { acknowledgedEvents: number; storedRows: number; halfLoad?: RunStats; halfLoadRuns?: RunStats[] };
  /** Markdown: top functions per thread of the server under load (with --profile). */
  profile?: string;
  /** Markdown: every thread's share, native ones included, from Linux perf (with --perf). */
  perfProfile?: string;
}

/** Requests sent by autocannon so far, across runs: the next one comes from visitorAddress(sentRequests). */
let sentRequests = 0;

/**
 * One autocannon run. `visitors`: each request carries the next visitorAddress in X-Forwarded-For.
 * That makes autocannon rebuild every request (about 50 µs each here, a tenth of a core at 2,000
 * requests/s), so the ceilings, whose servers ignore the address, are measured without it: with it
 * they would measure autocannon.
 */
function fire(port: number, reqs: GeneratedRequest[], opts: { duration: number; connections: number; json?: boolean; path: string; rate?: number; visitors?: boolean }): Promise<RunStats> {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: `http://127.0.0.1:${port}`,
        connections: opts.connections,
        duration: opts.duration,
        ...(opts.rate ? { overallRate: opts.rate } : {}),
        // The API, not the CLI: the CLI reads body files as UTF-8 and corrupts binary msgpack.
        requests: reqs.map((r) => ({
          method: 'POST' as const,
          path: opts.path,
          headers: { 'content-type': 'text/plain', 'user-agent': r.userAgent },
          body: opts.json ? r.json : r.body,
          ...(opts.visitors ? { setupRequest: (req: autocannon.Request) => ({ ...req, headers: { ...req.headers, 'x-forwarded-for': visitorAddress(sentRequests++) } }) } : {}),
        })),
      },
      (err, result) => {
        if (err) return reject(err);
        const events = reqs[0]!.events;
        resolve({
          requestsPerSec: result.requests.average,
          eventsPerSec: (result['2xx'] * events) / opts.duration,
          p50: result.latency.p50,
          p99: result.latency.p99,
          non2xx: result.non2xx,
          errors: result.errors + result.timeouts,
          acked: result['2xx'] * events,
        });
      },
    );
  });
}

function med(runs: RunStats[]): RunStats {
  const pick = (k: Exclude<keyof RunStats, 'p999' | 'peakInFlight' | 'serverP99' | 'client' | 'appliedPerSec' | 'cpuMicrosPerRow' | 'mainThreadMicrosPerRow'>) => median(runs.map((r) => r[k]));
  const applied = runs.flatMap((r) => (r.appliedPerSec === undefined ? [] : [r.appliedPerSec]));
  const cpu = runs.flatMap((r) => (r.cpuMicrosPerRow === undefined ? [] : [r]));
  return {
    requestsPerSec: pick('requestsPerSec'), eventsPerSec: pick('eventsPerSec'), p50: pick('p50'), p99: pick('p99'), non2xx: pick('non2xx'), errors: pick('errors'), acked: pick('acked'),
    ...(applied.length > 0 ? { appliedPerSec: median(applied) } : {}),
    ...(cpu.length > 0 ? { cpuMicrosPerRow: median(cpu.map((r) => r.cpuMicrosPerRow!)), mainThreadMicrosPerRow: median(cpu.map((r) => r.mainThreadMicrosPerRow!)) } : {}),
  };
}

const rowsAppended = (port: number): Promise<number> => metricValue(port, 'beaconry_store_rows_appended_total');

/** Waits (at most `timeoutMs`) until the rollups show every applied row: beaconry_rollup_lag_seconds is 0. */
async function rollupsCurrent(port: number, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  await new Promise((r) => setTimeout(r, 1500)); // the gauge is refreshed every second
  while (Date.now() < until) {
    if ((await metricValue(port, 'beaconry_rollup_lag_seconds')) === 0) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  process.stderr.write('  (the rollups were still behind when the half-load run started)\n');
}

/** `fire` against Beaconry, with the rows its store appended meanwhile and the server's CPU per row. */
async function fireBeaconry(server: Spawned, reqs: GeneratedRequest[], opts: Parameters<typeof fire>[2]): Promise<RunStats> {
  const before = await rowsAppended(server.port);
  const cpuBefore = cpuSeconds(server.child.pid!);
  const run = await fire(server.port, reqs, { ...opts, visitors: true });
  const cpuAfter = cpuSeconds(server.child.pid!);
  const rows = (await rowsAppended(server.port)) - before;
  return { ...run, appliedPerSec: rows / opts.duration, ...cpuPerRow(cpuBefore, cpuAfter, rows) };
}

function cpuPerRow(before: { all: number; main: number }, after: { all: number; main: number }, rows: number): Pick<RunStats, 'cpuMicrosPerRow' | 'mainThreadMicrosPerRow'> {
  return rows > 0 ? { cpuMicrosPerRow: ((after.all - before.all) * 1e6) / rows, mainThreadMicrosPerRow: ((after.main - before.main) * 1e6) / rows } : {};
}

/** CPU seconds (user + system) used so far by a process's threads, from /proc: all of them, and its main thread. */
function cpuSeconds(pid: number): { all: number; main: number } {
  const read = (file: string): number => {
    const stat = fs.readFileSync(file, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / CLOCK_TICKS;
  };
  return { all: read(`/proc/${pid}/stat`), main: read(`/proc/${pid}/task/${pid}/stat`) };
}
/** USER_HZ: 100 on every Linux this runs on (sysconf(_SC_CLK_TCK) is not reachable from Node). */
const CLOCK_TICKS = 100;

/** Cumulative counts of beaconry_ack_latency_seconds by bucket bound (seconds), from /metrics. */
async function ackHistogram(port: number): Promise<Map<number, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const out = new Map<number, number>();
  for (const m of text.matchAll(/^beaconry_ack_latency_seconds_bucket\{le="([^"]+)"\} (\d+)$/gm)) out.set(m[1] === '+Inf' ? Infinity : Number(m[1]), Number(m[2]));
  return out;
}

/** The smallest bucket bound holding fraction `q` of the observations made between two scrapes. */
function histogramQuantileBound(before: Map<number, number>, after: Map<number, number>, q: number): number {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const total = (after.get(Infinity) ?? 0) - (before.get(Infinity) ?? 0);
  for (const b of bounds) if ((after.get(b) ?? 0) - (before.get(b) ?? 0) >= q * total) return b;
  return Infinity;
}

export async function runIngestBench(opts: { duration?: number; repeats?: number; connections?: number; profile?: boolean; perf?: boolean } = {}): Promise<IngestReport> {
  const duration = opts.duration ?? 10;
  const repeats = opts.repeats ?? 3;
  const connections = opts.connections ?? 32;
  const reqs = generateBatches(512, 50);
  const report: IngestReport = { durationSec: duration, repeats, connections, eventsPerBatch: 50, targets: {}, beaconry: { acknowledgedEvents: 0, storedRows: 0 } };

  let ackedTotal = 0;
  const measure = async (name: string, start: () => Promise<Spawned>, path: (s: Spawned) => string, json = false, isBeaconry = false, afterWarmUp?: (s: Spawned) => void): Promise<Spawned> => {
    const server = await start();
    const runs: RunStats[] = [];
    const run = (o: Parameters<typeof fire>[2]): Promise<RunStats> => (isBeaconry ? fireBeaconry(server, reqs, o) : fire(server.port, reqs, o));
    ackedTotal += (await fire(server.port, reqs, { duration: 2, connections, json, path: path(server), visitors: isBeaconry })).acked; // warm-up, not in the medians
    afterWarmUp?.(server);
    for (let i = 0; i < repeats; i++) runs.push(await run({ duration, connections, json, path: path(server) }));
    report.targets[name] = { runs, median: med(runs) };
    process.stderr.write(`  ${name}: ${Math.round(med(runs).eventsPerSec)} events/s, p50 ${med(runs).p50} ms, p99 ${med(runs).p99} ms\n`);
    return server;
  };

  // Only Beaconry's acknowledgements are checked against its store; the baselines' are not counted.
  (await measure('bare uWS (read body, 204)', () => spawnServer([...TSX, path.join(ROOT, 'bench/load/servers/bare-uws.ts')]), () => '/')).stop();
  (await measure('uWS + decode only', () => spawnServer([...TSX, path.join(ROOT, 'bench/load/servers/bare-uws.ts'), 'decode']), () => '/')).stop();
  (await measure('typical Node (node:http, JSON, INSERT per request)', () => spawnServer([...TSX, path.join(ROOT, 'bench/load/servers/typical-node.ts')]), () => '/', true)).stop();

  // The real thing, with a fresh data dir and a site.
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'beaconry-bench-'));
  // One site takes all the load here: lift its public-key rate limit (default 600k events/min), or
  // the benchmark measures the limiter's 429s instead of the pipeline.
  const env = { BEACONRY_DATA_DIR: dataDir, BEACONRY_HOST: '127.0.0.1', BEACONRY_PORT: '0', BEACONRY_LOG_LEVEL: 'info', BEACONRY_DISK_FREE_MIN: '0', BEACONRY_PUBLIC_KEY_RATE: '1000000000', BEACONRY_TRUSTED_PROXIES: '127.0.0.1' };
  const site = JSON.parse(execFileSync(process.execPath, [CLI, 'site', 'add', 'bench.example', '--json'], { env: { ...process.env, ...env } }).toString()) as { publicKey: string };
  const profDir = path.join(ROOT, 'bench/results/profile');
  if (opts.profile) fs.rmSync(profDir, { recursive: true, force: true });
  // --perf: JIT frames get names from the map file V8 writes (/tmp/perf-<pid>.map, removed after).
  const usePerf = opts.perf === true && perfAvailable();
  if (opts.perf && !usePerf) report.perfProfile = '`perf` is not installed here (Debian: `apt-get install linux-perf`); no native profile was taken.';
  const nodeArgs = [...(opts.profile ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []), ...(usePerf ? ['--perf-basic-prof'] : [])];
  const perfFile = path.join(os.tmpdir(), `beaconry-bench-${process.pid}.perf.data`);
  let perf: ReturnType<typeof startPerf> | undefined;
  ackedTotal = 0;
  const beaconry = await measure('Beaconry (durable, end to end)', () => spawnServer([...nodeArgs, CLI, 'start'], env), () => `/api/v1/batch?k=${site.publicKey}`, false, true, (s) => {
    // Sampled over the 32-connection runs only: after the warm-up, so every thread exists.
    if (usePerf) perf = startPerf(s.child.pid!, perfFile);
  });
  if (perf) {
    await stopPerf(perf);
    report.perfProfile = summarizePerfFile(perfFile, beaconry.child.pid!);
    fs.rmSync(perfFile, { force: true });
  }
  // Many browsers mean many connections: with more requests in flight, each group commit carries more.
  const many = 256;
  const manyRuns: RunStats[] = [];
  for (let i = 0; i < repeats; i++) manyRuns.push(await fireBeaconry(beaconry, reqs, { duration, connections: many, path: `/api/v1/batch?k=${site.publicKey}` }));
  report.targets[`Beaconry, ${many} connections`] = { runs: manyRuns, median: med(manyRuns) };
  process.stderr.write(`  Beaconry, ${many} connections: ${Math.round(med(manyRuns).eventsPerSec)} events/s, p50 ${med(manyRuns).p50} ms, p99 ${med(manyRuns).p99} ms\n`);
  const max = report.targets['Beaconry (durable, end to end)']!.median.requestsPerSec;
  const halfRuns: RunStats[] = [];
  let firstVisitor = sentRequests;
  for (let i = 0; i < repeats; i++) {
    // p99 at half the measured maximum rate, in steady state: first let the store apply the backlog
    // the runs before left in the log (otherwise this run measures that catch-up, not half load).
    execFileSync(process.execPath, [CLI, 'store', 'flush'], { env: { ...process.env, ...env } });
    // Likewise the rollups, which the overload runs left behind: their catch-up is not half load's work.
    await rollupsCurrent(beaconry.port, 180_000);
    // Paced open-loop arrivals, latency from each request's scheduled time (see paced.ts for why not
    // autocannon's overallRate).
    const ackBefore = await ackHistogram(beaconry.port);
    const rowsBefore = await rowsAppended(beaconry.port);
    const cpuBefore = cpuSeconds(beaconry.child.pid!);
    // Its visitors follow the runs' before (new visitors arriving), not the day's first ones again.
    const half = await paced(beaconry.port, reqs, { path: `/api/v1/batch?k=${site.publicKey}`, rate: Math.max(1, max / 2), durationSec: duration, firstVisitor });
    firstVisitor += half.sent;
    const ackAfter = await ackHistogram(beaconry.port);
    // The cost of a stored event: the server's CPU from the start of the paced run until its rows are
    // applied (rollup refreshes they set off included), over those rows.
    execFileSync(process.execPath, [CLI, 'store', 'flush'], { env: { ...process.env, ...env } });
    const cpuAfter = cpuSeconds(beaconry.child.pid!);
    const rowsHalf = (await rowsAppended(beaconry.port)) - rowsBefore;
    const run: RunStats = {
      requestsPerSec: half.requestsPerSec, eventsPerSec: half.requestsPerSec * 50, p50: half.p50, p99: half.p99, p999: half.p999,
      non2xx: half.non2xx, errors: half.errors, acked: half.ok * 50, peakInFlight: half.peakInFlight,
      serverP99: histogramQuantileBound(ackBefore, ackAfter, 0.99) * 1000,
      client: half.client,
      ...cpuPerRow(cpuBefore, cpuAfter, rowsHalf),
    };
    halfRuns.push(run);
    process.stderr.write(`  Beaconry at half load: p50 ${run.p50} ms, p99 ${run.p99} ms (server ack p99 ≤ ${run.serverP99} ms; client loop delay p99 ${run.client!.loopP99} / max ${run.client!.loopMax} ms), ${run.cpuMicrosPerRow!.toFixed(1)} µs CPU per stored row\n`);
  }
  // Like every other target, the median of the runs: one 10 s run's p99 is its worst 1 % of requests,
  // which one stall of the 2 shared cores decides.
  report.beaconry.halfLoadRuns = halfRuns;
  report.beaconry.halfLoad = {
    ...med(halfRuns),
    p999: median(halfRuns.map((r) => r.p999!)),
    peakInFlight: Math.max(...halfRuns.map((r) => r.peakInFlight!)),
    serverP99: median(halfRuns.map((r) => r.serverP99!)),
    client: {
      loopP99: median(halfRuns.map((r) => r.client!.loopP99)),
      loopMax: Math.max(...halfRuns.map((r) => r.client!.loopMax)),
      gcMax: Math.max(...halfRuns.map((r) => r.client!.gcMax)),
    },
  };
  const acked = ackedTotal + report.targets['Beaconry (durable, end to end)']!.runs.reduce((n, r) => n + r.acked, 0)
    + manyRuns.reduce((n, r) => n + r.acked, 0) + halfRuns.reduce((n, r) => n + r.acked, 0);
  await beaconry.stop(); // SIGTERM: apply everything, checkpoint
  if (usePerf) fs.rmSync(path.join(os.tmpdir(), `perf-${beaconry.child.pid}.map`), { force: true });
  // Every acknowledged event (warm-up included) must be a row, and nothing else may be.
  const stored = JSON.parse(execFileSync(process.execPath, [CLI, 'query', 'SELECT count(*)::BIGINT AS n FROM events', '--json'], { env: { ...process.env, ...env } }).toString()) as { n: number }[];
  report.beaconry.storedRows = Number(stored[0]!.n);
  report.beaconry.acknowledgedEvents = acked;
  if (opts.profile) report.profile = summarizeProfiles(profDir);
  fs.rmSync(dataDir, { recursive: true, force: true });
  return report;
}
