// Where the time goes in every thread, native ones included: Linux `perf` samples the whole server
// process (`npm run bench -- ingest --perf`). The V8 profiles of --profile see only JavaScript, so
// DuckDB's own threads (appends, compression, checkpoints, rollup queries), the garbage collector's
// helpers and the kernel's share (page faults, writes) were missing from "where the time goes".
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';

/** Samples a second per thread: the rate startPerf records at and the summary states. */
const PERF_HZ = 199;

/** Whether `perf` can be run here (the bench skips the profile with a note otherwise). */
export function perfAvailable(): boolean {
  try {
    execFileSync('perf', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Starts sampling `pid`'s threads with call stacks into `file`; stop the returned process with SIGINT. */
export function startPerf(pid: number, file: string): ChildProcess {
  return spawn('perf', ['record', '-F', String(PERF_HZ), '-e', 'cpu-clock', '-g', '-p', String(pid), '-o', file], { stdio: 'ignore' });
}

export async function stopPerf(perf: ChildProcess): Promise<void> {
  if (perf.exitCode !== null || perf.signalCode !== null) return; // it failed to start or sample
  const done = new Promise<void>((resolve) => perf.once('exit', () => resolve()));
  perf.kill('SIGINT');
  await done;
}

type ThreadClass = 'main thread (edge, log, store applier)' | 'pool workers' | 'DuckDB (its threads, and the libuv threads that run its queries)' | 'V8 helpers (GC, compiler)' | 'libuv threads (file writes, fsyncs)' | 'other threads';

interface Sample { tid: number; stack: string[] }

/** perf script's blocks: a line with the thread id, then the call stack, leaf first. */
function parseSamples(text: string): Sample[] {
  const out: Sample[] = [];
  for (const block of text.split('\n\n')) {
    const lines = block.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
    if (lines.length < 2) continue;
    out.push({ tid: Number(lines[0]!.split(/\s+/)[0]), stack: lines.slice(1).map((l) => l.replace(/^[0-9a-f]+\s+/, '')) });
  }
  return out;
}

/**
 * Each thread's class, from all of its stacks: unwinding through libduckdb often stops at its
 * first frame, so one sample of a thread may not show what the thread is, while some of them will.
 */
function classifyThreads(samples: readonly Sample[], mainPid: number): Map<number, ThreadClass> {
  const seen = new Map<number, Set<ThreadClass>>();
  for (const { tid, stack } of samples) {
    const has = (x: string): boolean => stack.some((f) => f.includes(x));
    const marks = seen.get(tid) ?? seen.set(tid, new Set()).get(tid)!;
    if (has('node::worker::Worker::Run')) marks.add('pool workers');
    if (has('duckdb::')) marks.add('DuckDB (its threads, and the libuv threads that run its queries)');
    if (has('v8::platform') || has('WorkerThreadsTaskRunner')) marks.add('V8 helpers (GC, compiler)');
    if (has('uv__fs') || has('uv__work')) marks.add('libuv threads (file writes, fsyncs)');
  }
  const order: ThreadClass[] = ['pool workers', 'DuckDB (its threads, and the libuv threads that run its queries)', 'V8 helpers (GC, compiler)', 'libuv threads (file writes, fsyncs)'];
  const out = new Map<number, ThreadClass>();
  for (const [tid, marks] of seen) out.set(tid, tid === mainPid ? 'main thread (edge, log, store applier)' : order.find((c) => marks.has(c)) ?? 'other threads');
  return out;
}

/**
 * Markdown from `perf script -F tid,ip,sym` output: each thread class's share of the samples, then
 * its top leaf functions (self time). perf samples only running threads, so idle time is not in it.
 */
export function summarizePerfScript(text: string, mainPid: number, top = 10): string {
  const samples = parseSamples(text);
  if (samples.length === 0) return 'perf recorded no samples.';
  const classOf = classifyThreads(samples, mainPid);
  const byClass = new Map<ThreadClass, Map<string, number>>();
  const counts = new Map<ThreadClass, number>();
  for (const { tid, stack } of samples) {
    const cls = classOf.get(tid)!;
    const leaf = stack[0]!.replace(/\s*\(.*$/, '').slice(0, 90);
    counts.set(cls, (counts.get(cls) ?? 0) + 1);
    const m = byClass.get(cls) ?? byClass.set(cls, new Map()).get(cls)!;
    m.set(leaf, (m.get(leaf) ?? 0) + 1);
  }
  const pct = (n: number): string => `${((100 * n) / samples.length).toFixed(1)} %`;
  const classes = [...counts].sort((a, b) => b[1] - a[1]);
  const out = [`${samples.length} samples at ${PERF_HZ} Hz over the server's threads.`, '', '| threads | share of the server\'s CPU |', '|---|---:|', ...classes.map(([c, n]) => `| ${c} | ${pct(n)} |`)];
  for (const [c, n] of classes) {
    const rows = [...byClass.get(c)!].sort((a, b) => b[1] - a[1]).slice(0, top);
    out.push('', `**${c}** (${pct(n)})`, '', '| function (leaf) | share of the server\'s CPU |', '|---|---:|', ...rows.map(([f, k]) => `| ${f.replaceAll('|', '\\|')} | ${pct(k)} |`));
  }
  return out.join('\n');
}

/** Reads a perf.data file and summarizes it (see summarizePerfScript). */
export function summarizePerfFile(file: string, mainPid: number): string {
  let text: string;
  try {
    text = execFileSync('perf', ['script', '-i', file, '-F', 'tid,ip,sym'], { maxBuffer: 1024 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  } catch (err) {
    return `perf recorded nothing readable (${(err as Error).message.split('\n')[0]}); perf_event_paranoid or missing permissions may forbid sampling here.`;
  }
  return summarizePerfScript(text, mainPid);
}
