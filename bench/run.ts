// `npm run bench [-- ingest|micro|stats|all] [--quick] [--full] [--profile] [--perf] [--soak 30m] [--out name]`: every report starts
// with the machine and the method, gives medians and ratios against baselines measured in the same
// run, and is written to bench/results/ as JSON and Markdown.
import os from 'node:os';
import { machineInfo, machineMarkdown, writeResult } from './machine.js';
import { runIngestBench, type IngestReport } from './load/ingest.js';

const args = process.argv.slice(2);
const flag = (name: string): boolean => args.includes(`--${name}`);
const value = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const parts = args.filter((a, i) => !a.startsWith('--') && !(i > 0 && ['--soak', '--out'].includes(args[i - 1]!)));
const want = (p: string): boolean => parts.length === 0 || parts.includes('all') || parts.includes(p);

/** Share of answers that were refusals over a target's runs: the edge's backpressure when the store falls behind. */
function refused(runs: readonly { non2xx: number; acked: number }[], eventsPerBatch: number): string {
  const non2xx = runs.reduce((n, r) => n + r.non2xx, 0);
  const ok = runs.reduce((n, r) => n + r.acked / eventsPerBatch, 0);
  return non2xx === 0 ? '0' : `${((100 * non2xx) / (non2xx + ok)).toFixed(0)} %`;
}

function ingestMarkdown(r: IngestReport): string {
  const rows = Object.entries(r.targets);
  const ceiling = r.targets['bare uWS (read body, 204)']!.median.eventsPerSec;
  const decode = r.targets['uWS + decode only']!.median.eventsPerSec;
  const lines = [
    '| target | events/s acknowledged (median) | rows/s applied to DuckDB meanwhile | server CPU µs per applied row | requests/s answered | refused (503) | p50 ms | p99 ms | vs edge ceiling | vs decode ceiling |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(([name, t]) => {
      const applied = t.median.appliedPerSec === undefined ? '–' : Math.round(t.median.appliedPerSec).toLocaleString('en');
      const cpu = t.median.cpuMicrosPerRow === undefined ? '–' : t.median.cpuMicrosPerRow.toFixed(1);
      return `| ${name} | ${Math.round(t.median.eventsPerSec).toLocaleString('en')} | ${applied} | ${cpu} | ${Math.round(t.median.requestsPerSec).toLocaleString('en')} | ${refused(t.runs, r.eventsPerBatch)} | ${t.median.p50} | ${t.median.p99} | ${(t.median.eventsPerSec / ceiling).toFixed(2)} | ${(t.median.eventsPerSec / decode).toFixed(2)} |`;
    }),
  ];
  const half = r.beaconry.halfLoad;
  return [
    `Method: autocannon (API) on the same machine, ${r.connections} connections, ${r.eventsPerBatch}-event msgpack batches (JSON for the typical-Node baseline), ${r.repeats} runs of ${r.durationSec} s per target after a 2 s warm-up; medians. Beaconry's requests come through a trusted proxy (127.0.0.1) with a new visitor's address in X-Forwarded-For every 4 batches, as a site's visitors come and go; rebuilding each request costs autocannon about 50 µs, so the ceilings, which ignore the address, are measured without it.`,
    '',
    ...lines,
    '',
    half ? `Beaconry at half its measured maximum rate (paced open-loop arrivals, a keep-alive connection per request in flight (peak ${half.peakInFlight}), latency from each request's scheduled send time; bench/load/paced.ts; medians of ${r.beaconry.halfLoadRuns?.length ?? 1} runs of ${r.durationSec} s, each after the store and the rollups caught up): p50 ${half.p50} ms, p99 ${half.p99} ms (runs: ${(r.beaconry.halfLoadRuns ?? [half]).map((x) => x.p99).join(', ')} ms), p99.9 ${half.p999} ms. The server's own acknowledgement histogram (last body byte to answer) put 99 % of these under ${half.serverP99} ms (median of the runs' bucket bounds).${half.client ? ` The load generator's own event loop, on the same cores, ran late by ${half.client.loopP99} ms at its p99 (median of the runs) and ${half.client.loopMax} ms at most, with GC pauses of up to ${half.client.gcMax} ms (the most of any run): a request it sent late counts against the server.` : ''}` : '',
    cost(r),
    'Refused requests are answered `503` with Retry-After (the log queue is full while the store catches up); only acknowledged events count. An acknowledged event is durable in the log; where DuckDB applied fewer rows a second than were acknowledged, the log queue (256 MiB) absorbed the difference, and the applied rate is the one the machine can sustain.',
    durability(r),
    r.profile ? `\n### Where the time goes (V8 CPU profile of the server during the whole run)\n\n${r.profile}` : '',
    r.perfProfile ? `\n### Where the time goes, every thread (Linux perf over the ${r.connections}-connection runs)\n\n${r.perfProfile}` : '',
  ].join('\n');
}

/**
 * What a stored event costs: the server's CPU (from /proc) over the rows it applied, at full load and
 * at half load, and the rate the cores could reach at those costs.
 */
function cost(r: IngestReport): string {
  const full = r.targets['Beaconry (durable, end to end)']?.median;
  const half = r.beaconry.halfLoad;
  if (!full?.cpuMicrosPerRow) return '';
  const cores = os.availableParallelism();
  const costs = [full.cpuMicrosPerRow, ...(half?.cpuMicrosPerRow ? [half.cpuMicrosPerRow] : [])];
  const [lo, hi] = [Math.max(...costs), Math.min(...costs)].map((c) => Math.round((cores * 1e6) / c).toLocaleString('en'));
  const halfText = half?.cpuMicrosPerRow ? `, and ${half.cpuMicrosPerRow.toFixed(1)} µs at half load (${half.mainThreadMicrosPerRow!.toFixed(1)} µs on the main thread), over the paced run and the flush of its rows, so that every row it acknowledged is counted` : '';
  return `Cost of a stored event (the server's CPU from /proc, all threads, over the rows it applied): ${full.cpuMicrosPerRow.toFixed(1)} µs at ${r.connections} connections (median of the runs; ${full.mainThreadMicrosPerRow!.toFixed(1)} µs of it on the main thread: edge, log and store appends; the rest is the pool, DuckDB's threads and the garbage collector)${halfText}. A saturated run's figure is high when the store falls behind, since rows acknowledged but not yet applied have had their pool and log work counted. At these costs ${cores} cores given to the server alone could store at most ${lo === hi ? lo : `${lo}–${hi}`} events/s; here the load generator shares them.`;
}

/**
 * Every acknowledged event must be a row. Rows may exceed acknowledgements by the requests in flight
 * when autocannon stopped a run (it closes connections without reading their answers): at most
 * connections × batch size per run.
 */
function durability(r: IngestReport): string {
  const { acknowledgedEvents: acked, storedRows: stored } = r.beaconry;
  // warm-up, measured runs and the half-load run at `connections`, plus the runs at 256 connections
  const slack = r.eventsPerBatch * (r.connections * (r.repeats + 2) + 256 * r.repeats);
  const ok = stored >= acked && stored - acked <= slack;
  return `Durability check: ${acked.toLocaleString('en')} events acknowledged, ${stored.toLocaleString('en')} rows in DuckDB after shutdown — ${ok ? 'every acknowledged event is stored' : 'FAILED'} (the ${(stored - acked).toLocaleString('en')} extra rows are requests in flight when a run was cut off; bound ${slack.toLocaleString('en')}).`;
}

async function main(): Promise<void> {
  const machine = machineInfo();
  const sections: string[] = [`# Beaconry benchmarks\n\n${machineMarkdown(machine)}\n`];
  const results: Record<string, unknown> = { machine };
  const quick = flag('quick');
  if (want('ingest')) {
    process.stderr.write('ingest load…\n');
    const r = await runIngestBench({ duration: quick ? 4 : 10, repeats: quick ? 1 : 3, profile: flag('profile'), perf: flag('perf') });
    results.ingest = r;
    sections.push(`## Ingest, end to end\n\n${ingestMarkdown(r)}\n`);
  }
  if (want('micro')) {
    const { runMicroBenches } = await import('./micro/index.js');
    process.stderr.write('micro benchmarks…\n');
    const r = await runMicroBenches({ quick });
    results.micro = r.results;
    sections.push(`## Micro benchmarks (tinybench)\n\n${r.markdown}\n`);
  }
  if (want('stats')) {
    const { runStatsBench } = await import('./load/stats-api.js');
    process.stderr.write('stats API…\n');
    // The issue's 10 M-event store takes ~7 minutes to seed and roll up on 2 cores: `--full` runs it;
    // the default keeps the whole `npm run bench` under 10 minutes with 2 M events.
    const r = await runStatsBench({ quick, events: flag('full') ? 10_000_000 : quick ? 1_000_000 : 2_000_000 });
    results.stats = r;
    sections.push(`## Stats API\n\n${r.markdown}\n`);
  }
  const soak = value('soak');
  if (soak) {
    const { runSoak } = await import('./load/soak.js');
    const r = await runSoak(soak);
    results.soak = r.samples;
    sections.push(`## Soak\n\n${r.markdown}\n`);
  }
  const md = sections.join('\n');
  // `--out name` keeps a partial run (say, `ingest --profile`) from replacing the full report.
  const file = writeResult(value('out') ?? 'latest', results, md);
  process.stdout.write(`${md}\nWritten to ${file}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
