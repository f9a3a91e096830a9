// Micro-benchmark for ingest/log: durable appends of 64 KiB records (about one Arrow batch of a
// 50-event beacon times a few) through the write-ahead log's group commit, against its naive twin
// that writes and fdatasyncs each record on its own. Run: npx tsx bench/micro/log-append.bench.ts
import { mkdtemp, open, rm, unlink, type FileHandle } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Bench } from 'tinybench';
import { encodeRecordHeader } from '../../ingest/log/segment-format.js';
import { WriteAheadLog } from '../../ingest/log/write-ahead-log.js';

const RECORD_BYTES = 64 * 1024;
const RECORDS_PER_ITERATION = 64;
const SEGMENT_BYTES = 64 * 1024 * 1024;
const payload = randomBytes(RECORD_BYTES);
const root = await mkdtemp(join(tmpdir(), 'beaconry-bench-log-'));

console.log(`machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, Node ${process.version}, log in ${root}`);
console.log(`method: each iteration makes ${RECORDS_PER_ITERATION} records of ${RECORD_BYTES / 1024} KiB durable; ` +
  'N appenders each append their share one after another (a closed loop, like N in-flight requests).\n');

/** The naive twin: one write + one fdatasync per record, the same framing, the same segment size. */
class NaiveLog {
  #handle: FileHandle | null = null;
  #path = '';
  #position = 0;
  #lsn = 0;
  constructor(private readonly dir: string) {}
  async append(record: Uint8Array): Promise<number> {
    if (this.#handle === null || this.#position >= SEGMENT_BYTES) await this.#rotate();
    const lsn = ++this.#lsn;
    const handle = this.#handle as FileHandle;
    const { bytesWritten } = await handle.writev([encodeRecordHeader(lsn, record), record], this.#position);
    this.#position += bytesWritten;
    await handle.datasync();
    return lsn;
  }
  async #rotate(): Promise<void> {
    if (this.#handle !== null) {
      await this.#handle.close();
      await unlink(this.#path); // keep the disk footprint bounded, as releaseUpTo does for the log
    }
    this.#path = join(this.dir, `naive-${this.#lsn + 1}.wal`);
    this.#handle = await open(this.#path, 'wx');
    this.#position = 0;
  }
  async close(): Promise<void> {
    await this.#handle?.close();
  }
}

async function appendConcurrently(appenders: number, append: (p: Uint8Array) => Promise<number>): Promise<void> {
  const each = RECORDS_PER_ITERATION / appenders;
  await Promise.all(Array.from({ length: appenders }, async () => {
    for (let i = 0; i < each; i++) await append(payload);
  }));
}

const commits = new Map<string, { groups: number; seconds: number; bytes: number }>();
const bench = new Bench({ name: 'log append', time: 4000, iterations: 8, warmupTime: 300, warmupIterations: 2 });
const naive = new NaiveLog(await mkdtemp(join(root, 'naive-')));
bench.add('naive: write + fdatasync per record', () => appendConcurrently(1, (p) => naive.append(p)));

const logs: WriteAheadLog[] = [];
for (const appenders of [1, 8, 64]) {
  const name = `WriteAheadLog, ${appenders} appender${appenders === 1 ? '' : 's'}`;
  const stats = { groups: 0, seconds: 0, bytes: 0 };
  commits.set(name, stats);
  const log = await WriteAheadLog.open(await mkdtemp(join(root, 'wal-')), {
    segmentBytes: SEGMENT_BYTES,
    onFsync: (seconds, bytes) => {
      stats.groups += 1;
      stats.seconds += seconds;
      stats.bytes += bytes;
    },
  });
  logs.push(log);
  bench.add(name, () => appendConcurrently(appenders, (p) => log.append(p)), {
    // Closed segments go as soon as they fill, so the run's disk use stays near one segment.
    afterEach: async () => void (await log.releaseUpTo(log.stats().lastLsn)),
  });
}

try {
  await bench.run();
  console.table(bench.table());
  const rows: Array<Record<string, string | number>> = [];
  const recordsPerSecond = new Map<string, number>();
  for (const task of bench.tasks) {
    const r = task.result;
    if (r.state !== 'completed') {
      rows.push({ task: task.name, state: r.state });
      continue;
    }
    const perSecond = (RECORDS_PER_ITERATION * 1000) / r.latency.mean;
    recordsPerSecond.set(task.name, perSecond);
    const c = commits.get(task.name);
    rows.push({
      task: task.name,
      'records/s': Math.round(perSecond),
      'MiB/s': Number(((perSecond * RECORD_BYTES) / 2 ** 20).toFixed(1)),
      'records per fsync': c === undefined ? 1 : Number((c.bytes / (RECORD_BYTES + 20) / c.groups).toFixed(1)),
      'ms per commit (writev+fdatasync)': Number((c === undefined ? r.latency.mean / RECORDS_PER_ITERATION : (c.seconds / c.groups) * 1000).toFixed(3)),
    });
  }
  console.table(rows);
  const baseline = recordsPerSecond.get(bench.tasks[0]?.name ?? '');
  for (const [name, perSecond] of [...recordsPerSecond].slice(1)) {
    if (baseline !== undefined) console.log(`${name}: ${(perSecond / baseline).toFixed(2)}x the naive twin`);
  }
} finally {
  await naive.close();
  for (const log of logs) await log.close();
  await rm(root, { recursive: true, force: true });
}
