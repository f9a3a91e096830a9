// Runs the micro benchmarks: the pipeline suites in process (tinybench), and the standalone suites
// (log append + fsync, DuckDB append, rollup queries) as child processes, their tables quoted as-is.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Bench } from 'tinybench';
import { pipelineBench } from './pipeline.bench.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const STANDALONE = ['log-append.bench.ts', 'wal-fsync.bench.ts', 'duckdb-append.bench.ts', 'rollup-query.bench.ts', 'rollup-refresh.bench.ts'];

function benchMarkdown(b: Bench): string {
  const rows = b.tasks.map((t) => {
    const r = t.result as { latency?: { p50?: number; p99?: number } } | undefined;
    // Median operations per second = 1 / median latency (ms).
    const ops = r?.latency?.p50 ? 1000 / r.latency.p50 : 0;
    return { name: t.name, ops, p50: r?.latency?.p50 ?? 0, p99: r?.latency?.p99 ?? 0 };
  });
  const best = Math.max(...rows.map((r) => r.ops));
  return [
    `**${b.name}**`,
    '',
    '| task | ops/s (median) | p50 µs | p99 µs | vs fastest |',
    '|---|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.name} | ${Math.round(r.ops).toLocaleString('en')} | ${(r.p50 * 1000).toFixed(1)} | ${(r.p99 * 1000).toFixed(1)} | ${(r.ops / best).toFixed(2)} |`),
  ].join('\n');
}

export async function runMicroBenches(opts: { quick: boolean }): Promise<{ markdown: string; results: unknown }> {
  const benches = await pipelineBench(opts.quick ? 200 : 1000);
  const parts = benches.map(benchMarkdown);
  const results: Record<string, unknown> = Object.fromEntries(benches.map((b) => [b.name, b.tasks.map((t) => ({ name: t.name, result: t.result }))]));
  for (const file of STANDALONE) {
    const p = path.join(HERE, file);
    if (!fs.existsSync(p)) continue;
    process.stderr.write(`  ${file}…\n`);
    const out = execFileSync(process.execPath, ['--import', 'tsx', p], { encoding: 'utf8', timeout: 180_000, maxBuffer: 16 << 20 });
    parts.push(`**${file}**\n\n\`\`\`\n${out.trim()}\n\`\`\``);
    results[file] = out;
  }
  return { markdown: parts.join('\n\n'), results };
}
