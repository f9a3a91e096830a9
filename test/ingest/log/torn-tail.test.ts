import { cp, open, readdir, rename, rm, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LogCorruptionError } from '../../../ingest/log/log-corruption-error.js';
import { HEADER_BYTES } from '../../../ingest/log/segment-format.js';
import { WriteAheadLog } from '../../../ingest/log/write-ahead-log.js';
import { payloadFor, tempLogDir } from './lsn-payload.js';

const SEGMENT_BYTES = 2048;
const MAX_PAYLOAD = 700;

async function replayAll(log: WriteAheadLog): Promise<Array<{ lsn: number; payload: Buffer }>> {
  const out: Array<{ lsn: number; payload: Buffer }> = [];
  for await (const r of log.replay(0)) out.push({ lsn: r.lsn, payload: Buffer.from(r.payload) });
  return out;
}

/** Writes records 1..count (several segments) and returns the last segment's path and where its last record starts. */
async function writeLog(dir: string, count: number): Promise<{ lastSegment: string; lastRecordAt: number; size: number }> {
  const log = await WriteAheadLog.open(dir, { segmentBytes: SEGMENT_BYTES });
  for (let lsn = 1; lsn <= count; lsn++) await log.append(payloadFor(lsn, MAX_PAYLOAD));
  await log.close();
  const files = (await readdir(dir)).sort();
  // A rotation may have left an empty last segment; the last record then sits in the one before,
  // which is the last segment only once the empty one is gone.
  let last = files.at(-1) ?? '';
  if ((await stat(join(dir, last))).size === 0) {
    await rm(join(dir, last));
    last = files.at(-2) ?? '';
  }
  const path = join(dir, last);
  const size = (await stat(path)).size;
  return { lastSegment: path, lastRecordAt: size - HEADER_BYTES - payloadFor(count, MAX_PAYLOAD).length, size };
}

/** After damage to record `count`, the log must hold exactly 1..count-1 and accept `count` again. */
async function expectIntactPrefix(dir: string, count: number, cutAt: number, lastSegment: string): Promise<void> {
  const log = await WriteAheadLog.open(dir, { segmentBytes: SEGMENT_BYTES });
  const records = await replayAll(log);
  expect(records.map((r) => r.lsn)).toEqual(Array.from({ length: count - 1 }, (_, i) => i + 1));
  for (const r of records) expect(r.payload.equals(payloadFor(r.lsn, MAX_PAYLOAD))).toBe(true);
  expect((await stat(lastSegment)).size).toBe(cutAt);
  expect(log.stats().lastLsn).toBe(count - 1);
  const fresh = Buffer.from('appended after recovery');
  expect(await log.append(fresh)).toBe(count);
  await log.close();
  const reopened = await WriteAheadLog.open(dir, { segmentBytes: SEGMENT_BYTES });
  expect(reopened.recovery).toBeNull();
  const after = await replayAll(reopened);
  expect(after.map((r) => r.lsn)).toEqual(Array.from({ length: count }, (_, i) => i + 1));
  expect(after.at(-1)?.payload.equals(fresh)).toBe(true);
  await reopened.close();
}

describe('WriteAheadLog recovery', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempLogDir()));
  afterEach(async () => cleanup());

  it('cuts a torn last record at every possible byte offset and replays exactly the intact prefix', async () => {
    const pristine = join(dir, 'pristine');
    const count = 12;
    const { lastSegment, lastRecordAt, size } = await writeLog(pristine, count);
    const name = lastSegment.slice(pristine.length + 1);
    expect(size - lastRecordAt).toBeGreaterThan(HEADER_BYTES);
    for (let cut = lastRecordAt; cut < size; cut++) {
      const work = join(dir, `cut-${cut}`);
      await cp(pristine, work, { recursive: true });
      await truncate(join(work, name), cut);
      await expectIntactPrefix(work, count, lastRecordAt, join(work, name));
      await rm(work, { recursive: true });
    }
  });

  it('property: any truncation or byte flip inside the last record is cut, never replayed', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 15 }),
        fc.oneof(
          fc.record({ kind: fc.constant('truncate' as const), at: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }) }),
          fc.record({ kind: fc.constant('flip' as const), at: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), xor: fc.integer({ min: 1, max: 255 }) }),
        ),
        async (count, damage) => {
          const work = join(dir, `run-${run++}`);
          const { lastSegment, lastRecordAt, size } = await writeLog(work, count);
          const at = lastRecordAt + Math.floor(damage.at * (size - lastRecordAt));
          if (damage.kind === 'truncate') {
            await truncate(lastSegment, at);
          } else {
            const fh = await open(lastSegment, 'r+');
            const byte = Buffer.alloc(1);
            await fh.read(byte, 0, 1, at);
            byte[0] = (byte[0] ?? 0) ^ damage.xor;
            await fh.write(byte, 0, 1, at);
            await fh.close();
          }
          await expectIntactPrefix(work, count, lastRecordAt, lastSegment);
          await rm(work, { recursive: true });
        },
      ),
      { numRuns: 150 },
    );
  });

  it('refuses to start on damage in a segment that is not the last', async () => {
    await writeLog(dir, 30);
    const first = join(dir, (await readdir(dir)).sort()[0] ?? '');
    const fh = await open(first, 'r+');
    await fh.write(Buffer.from([0xff]), 0, 1, 300);
    await fh.close();
    const opening = WriteAheadLog.open(dir, { segmentBytes: SEGMENT_BYTES });
    await expect(opening).rejects.toBeInstanceOf(LogCorruptionError);
    await expect(opening).rejects.toThrow(/00000000000000000001\.wal at byte \d+: .*not the last/);
  });

  it('refuses to start when damage in the last segment is followed by an intact record', async () => {
    const { lastSegment, lastRecordAt } = await writeLog(dir, 30);
    expect(lastRecordAt).toBeGreaterThan(0); // the last segment holds at least two records
    const fh = await open(lastSegment, 'r+');
    await fh.write(Buffer.from([0x00, 0x00, 0x00, 0x00]), 0, 4, 0); // the magic of its first record
    await fh.close();
    await expect(WriteAheadLog.open(dir, { segmentBytes: SEGMENT_BYTES })).rejects.toThrow(/not a torn tail/);
    expect((await stat(lastSegment)).size).toBeGreaterThan(lastRecordAt); // nothing was cut
  });

  it('refuses to start when a segment is missing from the middle', async () => {
    await writeLog(dir, 30);
    const files = (await readdir(dir)).sort();
    expect(files.length).toBeGreaterThan(2);
    await rm(join(dir, files[1] ?? ''));
    await expect(WriteAheadLog.open(dir, { segmentBytes: SEGMENT_BYTES })).rejects.toThrow(/starts at LSN \d+ but the previous one ends at LSN \d+/);
  });

  it('refuses a segment whose name does not match the LSNs inside it', async () => {
    await writeLog(dir, 5);
    const files = (await readdir(dir)).sort();
    for (const f of files) await rm(join(dir, f));
    await writeLog(join(dir, 'src'), 5);
    const [only] = (await readdir(join(dir, 'src'))).sort();
    await rename(join(dir, 'src', only ?? ''), join(dir, '00000000000000000007.wal'));
    await expect(WriteAheadLog.open(dir, { segmentBytes: SEGMENT_BYTES })).rejects.toBeInstanceOf(LogCorruptionError);
  });

  it('replay reports damage that appears after opening instead of skipping it', async () => {
    await writeLog(dir, 30);
    const log = await WriteAheadLog.open(dir, { segmentBytes: SEGMENT_BYTES });
    const first = join(dir, (await readdir(dir)).sort()[0] ?? '');
    const fh = await open(first, 'r+');
    await fh.write(Buffer.from([0xff]), 0, 1, 100);
    await fh.close();
    await expect(replayAll(log)).rejects.toBeInstanceOf(LogCorruptionError);
    await log.close();
  });
});
