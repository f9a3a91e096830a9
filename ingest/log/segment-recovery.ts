// Write-ahead log, startup: checks every segment in the log directory, cuts a torn tail off the
// last one, and refuses to start on damage that could hide acknowledged records.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { LogCorruptionError } from './log-corruption-error.js';
import { writeZerosDurably, type LogIo } from './log-io.js';
import { parseSegmentFileName } from './segment-format.js';
import { SegmentReader, findIntactRecordAfter, firstNonZeroAfter, type RecordDamage } from './segment-reader.js';

export interface SegmentInfo {
  firstLsn: number;
  path: string;
  /** Bytes of intact, durable records. */
  bytes: number;
}

export interface RecoveredLog {
  segments: SegmentInfo[];
  /** The last intact LSN (0 when the log holds no record). */
  lastLsn: number;
  /** What was cut off the last segment, if anything: an append that was never acknowledged. */
  truncated: { segment: string; bytes: number; damage: RecordDamage } | null;
}

const DAMAGE_TEXT: Record<RecordDamage['reason'], string> = {
  'partial-header': 'the file ends inside a record header',
  'partial-payload': 'the file ends inside a record payload',
  'bad-magic': 'no record header where one should start',
  'bad-length': 'a record header claims an impossible length',
  'bad-checksum': 'a record fails its checksum',
  'unexpected-lsn': 'an intact record carries the wrong LSN',
};

/** Scans all segments (reading the unreleased log once, at checksum speed) and repairs the tail.
 * Older segments were fsynced before the next one was created, so any damage there is real damage. */
export async function recoverSegments(dir: string, io: LogIo): Promise<RecoveredLog> {
  const names = (await readdir(dir))
    .map((name) => ({ name, firstLsn: parseSegmentFileName(name) }))
    .filter((s): s is { name: string; firstLsn: number } => s.firstLsn !== null)
    .sort((a, b) => a.firstLsn - b.firstLsn);
  const segments: SegmentInfo[] = [];
  let lastLsn = 0;
  let truncated: RecoveredLog['truncated'] = null;
  for (const [i, { name, firstLsn }] of names.entries()) {
    const path = join(dir, name);
    if (i > 0 && firstLsn !== lastLsn + 1) {
      throw new LogCorruptionError(path, 0, `the segment starts at LSN ${firstLsn} but the previous one ends at LSN ${lastLsn}`);
    }
    const isLast = i === names.length - 1;
    const reader = await SegmentReader.open(path, firstLsn);
    try {
      while ((await reader.next()) !== null) {
        // Only the framing matters here; payloads are dropped as soon as they are checked.
      }
    } finally {
      await reader.close();
    }
    const damage = reader.damage;
    if (damage !== null) {
      const detail = `${DAMAGE_TEXT[damage.reason]} (expected LSN ${damage.expectedLsn})`;
      if (!isLast) throw new LogCorruptionError(path, damage.offset, `${detail}, in a segment that is not the last`);
      // An intact record with the wrong LSN is a renamed or foreign file, not a torn write.
      if (damage.reason === 'unexpected-lsn') throw new LogCorruptionError(path, damage.offset, detail);
      const intact = await findIntactRecordAfter(path, damage.offset, damage.expectedLsn);
      if (intact !== null) {
        throw new LogCorruptionError(path, damage.offset, `${detail}, yet an intact record (LSN ${intact.lsn}) follows at byte ${intact.offset}, so this is not a torn tail`);
      }
      const bytes = reader.end - damage.offset;
      await truncateDurably(io, path, damage.offset);
      truncated = { segment: path, bytes, damage };
    }
    if (reader.zeroTail) {
      // A preallocated segment: its records end at the first all-zero header, and only zeros may follow.
      const dirty = await firstNonZeroAfter(path, reader.offset);
      if (dirty !== -1) {
        if (!isLast) throw new LogCorruptionError(path, dirty, `data after the zero-filled end of records (expected LSN ${reader.nextLsn}), in a segment that is not the last`);
        // A torn group commit: a later page of it reached the disk, its first header did not. It was
        // never acknowledged; zero it, or a shorter record written here later would leave it behind.
        const size = (await stat(path)).size;
        await zeroDurably(io, path, reader.offset, size);
        truncated = { segment: path, bytes: size - reader.offset, damage: { offset: reader.offset, reason: 'bad-magic', expectedLsn: reader.nextLsn } };
      }
    }
    segments.push({ firstLsn, path, bytes: reader.offset });
    lastLsn = reader.nextLsn - 1;
  }
  return { segments, lastLsn, truncated };
}

/** Overwrites [from, to) of `path` with zeros and fsyncs it (the file keeps its size and blocks). */
async function zeroDurably(io: LogIo, path: string, from: number, to: number): Promise<void> {
  const handle = await io.open(path, 'r+');
  try {
    await writeZerosDurably(handle, from, to);
  } finally {
    await handle.close();
  }
}

async function truncateDurably(io: LogIo, path: string, length: number): Promise<void> {
  const handle = await io.open(path, 'r+');
  try {
    await handle.truncate(length);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
