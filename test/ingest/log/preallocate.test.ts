// The log with preallocated segments: it rotates into zero-filled, synced spares, replays and
// recovers across restarts without calling their zeros damage, cleans a torn group that left bytes
// behind a lost header, and still refuses data hidden behind zeros in a segment that is not the last.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WriteAheadLog } from '../../../ingest/log/write-ahead-log.js';
import { LogCorruptionError } from '../../../ingest/log/log-corruption-error.js';
import { firstNonZeroAfter } from '../../../ingest/log/segment-reader.js';

const SEGMENT = 64 * 1024;
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'beaconry-prealloc-'));
  dirs.push(d);
  return d;
}

const payload = (lsnHint: number, size = 9000): Uint8Array => {
  const b = Buffer.alloc(size, lsnHint % 251);
  b.writeUInt32LE(lsnHint, 0);
  return b;
};

async function openLog(dir: string): Promise<WriteAheadLog> {
  const log = await WriteAheadLog.open(dir, { segmentBytes: SEGMENT, preallocate: true });
  await log.spareSettled();
  return log;
}

async function replayAll(log: WriteAheadLog): Promise<number[]> {
  const out: number[] = [];
  for await (const r of log.replay(0)) out.push(Buffer.from(r.payload).readUInt32LE(0));
  return out;
}

/** Appends records `from`..`to`, letting each rotation find its spare ready. */
async function fill(log: WriteAheadLog, from: number, to: number): Promise<void> {
  for (let i = from; i <= to; i++) {
    await log.append(payload(i));
    await log.spareSettled();
  }
}

/** Reopens `dir` and checks that it replays exactly records 1..n. */
async function expectReplays(dir: string, n: number): Promise<void> {
  const log = await openLog(dir);
  expect(await replayAll(log)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
  await log.close();
}

/** Writes `bytes` into `file` at `offset` behind the log's back (damage, or a torn write). */
function scribble(file: string, offset: number, bytes: Buffer): void {
  const fd = fs.openSync(file, 'r+');
  fs.writeSync(fd, bytes, 0, bytes.length, offset);
  fs.closeSync(fd);
}

const segmentFiles = (dir: string): string[] => fs.readdirSync(dir).filter((f) => f.endsWith('.wal')).sort();

describe('WriteAheadLog with preallocated segments', () => {
  it('rotates into zero-filled spares and replays and recovers every record across restarts', async () => {
    const dir = tempDir();
    let log = await openLog(dir);
    await fill(log, 1, 30);
    const files = segmentFiles(dir);
    expect(files.length).toBeGreaterThan(3);
    // Every segment after the first was a spare: its size is the preallocated one, not its records'.
    for (const f of files.slice(1)) expect(fs.statSync(path.join(dir, f)).size).toBeGreaterThanOrEqual(SEGMENT);
    expect(await replayAll(log)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    await log.close();
    expect(fs.existsSync(path.join(dir, 'next-segment.spare'))).toBe(false);

    log = await openLog(dir);
    expect(log.recovery).toBeNull();
    expect(log.stats().lastLsn).toBe(30);
    for (let i = 31; i <= 35; i++) await log.append(payload(i, 100));
    await log.close();
    await expectReplays(dir, 35);
  });

  it('zeroes what a torn group left behind a lost header, so later short records cannot expose it', async () => {
    const dir = tempDir();
    let log = await openLog(dir);
    await fill(log, 1, 10);
    await log.close();
    // The last segment: its header page never reached the disk, a later page of the group did.
    const last = path.join(dir, segmentFiles(dir).at(-1)!);
    const at = fs.statSync(last).size - 8192;
    scribble(last, at, Buffer.alloc(3000, 0x5a));
    // Records end before SEGMENT plus one group; the garbage sits well past that, in the zeros.
    expect(at).toBeGreaterThan(SEGMENT + 64 * 1024);

    log = await openLog(dir);
    expect(log.recovery).not.toBeNull();
    expect(await firstNonZeroAfter(last, at - 1)).toBe(-1);
    expect(log.stats().lastLsn).toBe(10);
    await log.append(payload(11, 10));
    await log.close();
    await expectReplays(dir, 11);
  });

  it('refuses to start when data hides behind the zeros of a segment that is not the last', async () => {
    const dir = tempDir();
    const log = await openLog(dir);
    await fill(log, 1, 20);
    await log.close();
    const files = segmentFiles(dir);
    expect(files.length).toBeGreaterThan(2);
    const middle = path.join(dir, files[1]!);
    scribble(middle, fs.statSync(middle).size - 100, Buffer.from('lost?'));
    await expect(WriteAheadLog.open(dir, { segmentBytes: SEGMENT, preallocate: true })).rejects.toBeInstanceOf(LogCorruptionError);
  });
});
