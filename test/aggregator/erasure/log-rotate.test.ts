// WriteAheadLog.rotate, which erasure uses to get a deleted site's records into a closed segment that
// releaseUpTo can delete: appends racing a rotation all stay durable and in order, an empty segment
// is not rotated again, and after rotate + release no earlier segment (and no earlier byte) is left.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WriteAheadLog } from '../../../ingest/log/write-ahead-log.js';
import { filesContaining, tempDir } from '../store/helpers.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const payload = (s: string): Uint8Array => Buffer.from(s);

describe('WriteAheadLog.rotate', () => {
  it('closes the current segment; appends made meanwhile land, in order, in the next one', async () => {
    const dir = path.join(tempDir(), 'log');
    dirs.push(path.dirname(dir));
    const wal = await WriteAheadLog.open(dir, { segmentBytes: 1 << 20 });
    for (let i = 1; i <= 5; i++) await wal.append(payload(`before-${i}`));
    // Appends in flight while rotating: they must neither be lost nor reordered.
    const racing = Array.from({ length: 20 }, (_, i) => wal.append(payload(`racing-${i}`)));
    const rotated = wal.rotate();
    const more = Array.from({ length: 20 }, (_, i) => wal.append(payload(`after-${i}`)));
    await Promise.all([rotated, ...racing, ...more]);
    expect(wal.stats().segments).toBeGreaterThanOrEqual(2);
    expect(wal.stats().lastLsn).toBe(45);
    const seen: string[] = [];
    for await (const r of wal.replay(0)) seen.push(`${r.lsn}:${Buffer.from(r.payload).toString()}`);
    expect(seen.map((s) => Number(s.split(':')[0]))).toEqual(Array.from({ length: 45 }, (_, i) => i + 1));

    // Nothing new since the last rotation: no new (empty) segment.
    await wal.rotate();
    const segments = wal.stats().segments;
    await wal.rotate();
    expect(wal.stats().segments).toBe(segments);

    // Release everything applied: only the empty current segment remains, and no old byte.
    expect(filesContaining(dir, 'before-1').length).toBe(1);
    await wal.releaseUpTo(45);
    expect(wal.stats().segments).toBe(1);
    expect(filesContaining(dir, 'before-')).toEqual([]);
    expect(filesContaining(dir, 'after-')).toEqual([]);
    await wal.close();

    // Reopened, the log continues after LSN 45.
    const again = await WriteAheadLog.open(dir, { segmentBytes: 1 << 20 });
    expect(again.stats().lastLsn).toBe(45);
    expect(await again.append(payload('next'))).toBe(46);
    await again.close();
  });
});
