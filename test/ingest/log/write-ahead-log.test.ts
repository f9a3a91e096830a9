import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WriteAheadLog, type LogRecord } from '../../../ingest/log/write-ahead-log.js';
import { HEADER_BYTES } from '../../../ingest/log/segment-format.js';
import { payloadFor, tempLogDir } from './lsn-payload.js';

async function collect(records: AsyncIterable<LogRecord>): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  for await (const r of records) out.push({ lsn: r.lsn, payload: Buffer.from(r.payload) });
  return out;
}

function expectPayloads(records: LogRecord[], fromLsn: number, toLsn: number, maxBytes?: number): void {
  expect(records.map((r) => r.lsn)).toEqual(Array.from({ length: toLsn - fromLsn + 1 }, (_, i) => fromLsn + i));
  for (const r of records) expect(Buffer.compare(Buffer.from(r.payload), payloadFor(r.lsn, maxBytes))).toBe(0);
}

describe('WriteAheadLog', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempLogDir()));
  afterEach(async () => cleanup());

  it('round-trips many records across several segments, in LSN order starting at 1', async () => {
    const log = await WriteAheadLog.open(dir, { segmentBytes: 64 * 1024 });
    const lsns: number[] = [];
    for (let batch = 0; batch < 20; batch++) {
      const next = log.stats().lastLsn + 1;
      lsns.push(...(await Promise.all(Array.from({ length: 25 }, (_, i) => log.append(payloadFor(next + i))))));
    }
    expect(lsns).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    // Rotation runs just after a group is acknowledged; close() waits for it, so the files are settled.
    await log.close();
    const stats = log.stats();
    expect(stats.lastLsn).toBe(500);
    expect(stats.pendingBytes).toBe(0);
    expect(stats.segments).toBeGreaterThan(3);
    const files = (await readdir(dir)).sort();
    expect(files).toHaveLength(stats.segments);
    expect(files[0]).toBe('00000000000000000001.wal');
    const sizes = await Promise.all(files.map(async (f) => (await stat(join(dir, f))).size));
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(stats.bytesOnDisk);
    expectPayloads(await collect(log.replay(0)), 1, 500);
    expectPayloads(await collect(log.replay(321)), 322, 500);
    expect(await collect(log.replay(500))).toEqual([]);
  });

  it('shares one writev + fdatasync among concurrent appends (group commit)', async () => {
    const groups: number[] = [];
    const log = await WriteAheadLog.open(dir, { segmentBytes: 1 << 30, onFsync: (_s, bytes) => groups.push(bytes) });
    // Eight clients that each append again as soon as their previous append is acknowledged.
    let next = 1;
    const client = async (): Promise<void> => {
      for (let i = 0; i < 50; i++) {
        const lsn = next++;
        expect(await log.append(payloadFor(lsn))).toBe(lsn);
      }
    };
    await Promise.all(Array.from({ length: 8 }, client));
    const written = Array.from({ length: 400 }, (_, i) => HEADER_BYTES + payloadFor(i + 1).length).reduce((a, b) => a + b, 0);
    expect(groups.reduce((a, b) => a + b, 0)).toBe(written);
    expect(groups.length).toBeLessThan(400);
    expect(groups.length).toBeLessThanOrEqual(400 / 8);
    expectPayloads(await collect(log.replay(0)), 1, 400);
    await log.close();
  });

  it('puts appends made in one tick into a single group', async () => {
    let fsyncs = 0;
    const log = await WriteAheadLog.open(dir, { segmentBytes: 1 << 30, onFsync: () => (fsyncs += 1) });
    const lsns = await Promise.all(Array.from({ length: 300 }, (_, i) => log.append(payloadFor(i + 1))));
    expect(lsns).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    expect(fsyncs).toBe(1);
    await log.close();
  });

  it('keeps LSNs increasing across restarts, including from an empty freshly rotated segment', async () => {
    let log = await WriteAheadLog.open(dir, { segmentBytes: 10_000 });
    for (let lsn = 1; lsn <= 30; lsn++) expect(await log.append(payloadFor(lsn))).toBe(lsn);
    await log.close();
    log = await WriteAheadLog.open(dir, { segmentBytes: 10_000 });
    expect(log.recovery).toBeNull();
    expect(log.stats().lastLsn).toBe(30);
    for (let lsn = 31; lsn <= 60; lsn++) expect(await log.append(payloadFor(lsn))).toBe(lsn);
    await log.close();
    // Release everything closed: only the active segment stays, and its name alone keeps the LSN.
    log = await WriteAheadLog.open(dir, { segmentBytes: 1 });
    expect(await log.append(payloadFor(61))).toBe(61); // passes 1 byte: rotates to an empty segment
    // The append resolves at its fsync, and the rotation follows it: rotate() waits that out (and,
    // the new segment being empty, does nothing more). Releasing before it finished kept 58 (a flake).
    await log.rotate();
    await log.releaseUpTo(61);
    expect(await readdir(dir)).toEqual(['00000000000000000062.wal']);
    await log.close();
    log = await WriteAheadLog.open(dir, { segmentBytes: 10_000 });
    expect(log.stats()).toMatchObject({ lastLsn: 61, segments: 1, bytesOnDisk: 0 });
    expect(await log.append(payloadFor(62))).toBe(62);
    expectPayloads(await collect(log.replay(61)), 62, 62);
    await log.close();
  });

  it('releaseUpTo deletes only closed segments whose records are all released', async () => {
    const writer = await WriteAheadLog.open(dir, { segmentBytes: 8 * 1024 });
    for (let lsn = 1; lsn <= 200; lsn++) await writer.append(payloadFor(lsn));
    await writer.close(); // settles a rotation that may follow the last acknowledgement
    const log = await WriteAheadLog.open(dir, { segmentBytes: 8 * 1024 });
    const firstLsns = (await readdir(dir)).sort().map((f) => Number(f.slice(0, 20)));
    expect(firstLsns.length).toBeGreaterThan(4);
    const [, second, third] = firstLsns as [number, number, number];
    // One short of the end of the second segment: only the first may go.
    expect(await log.releaseUpTo(third - 2)).toBe(1);
    expect((await readdir(dir)).sort()[0]).toBe(`${String(second).padStart(20, '0')}.wal`);
    expect(await log.releaseUpTo(third - 1)).toBe(1);
    expect(await log.releaseUpTo(third - 1)).toBe(0);
    expectPayloads(await collect(log.replay(third - 1)), third, 200);
    await expect(collect(log.replay(third - 2))).rejects.toThrow(/released/);
    // The active segment is never deleted, even when everything in it is released.
    const active = firstLsns.at(-1) ?? 0;
    expect(await log.releaseUpTo(200)).toBe(firstLsns.length - 3);
    expect((await readdir(dir)).map((f) => Number(f.slice(0, 20)))).toEqual([active]);
    expect(log.stats().segments).toBe(1);
    expect(log.stats().bytesOnDisk).toBe((await stat(join(dir, `${String(active).padStart(20, '0')}.wal`))).size);
    expectPayloads(await collect(log.replay(active - 1)), active, 200);
    expect(await log.append(payloadFor(201))).toBe(201);
    await log.close();
  });

  it('does not keep payloads after they are durable, and reports pending bytes meanwhile', async () => {
    const log = await WriteAheadLog.open(dir, { segmentBytes: 1 << 30 });
    const pending = [log.append(payloadFor(1)), log.append(payloadFor(2))];
    expect(log.stats().pendingBytes).toBe(2 * HEADER_BYTES + payloadFor(1).length + payloadFor(2).length);
    await Promise.all(pending);
    expect(log.stats().pendingBytes).toBe(0);
    await log.close();
  });

  it('close() makes pending appends durable and refuses new ones', async () => {
    const log = await WriteAheadLog.open(dir, { segmentBytes: 1 << 30 });
    const pending = Array.from({ length: 10 }, (_, i) => log.append(payloadFor(i + 1)));
    await log.close();
    expect(await Promise.all(pending)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    await expect(log.append(payloadFor(11))).rejects.toMatchObject({ code: 'BEACONRY_ERR_NOT_DURABLE' });
    const reopened = await WriteAheadLog.open(dir, { segmentBytes: 1 << 30 });
    expectPayloads(await collect(reopened.replay(0)), 1, 10);
    await reopened.close();
  });

  it('replays a snapshot up to the last durable LSN while appends go on', async () => {
    const log = await WriteAheadLog.open(dir, { segmentBytes: 16 * 1024 });
    await Promise.all(Array.from({ length: 100 }, (_, i) => log.append(payloadFor(i + 1))));
    const replayed: number[] = [];
    const more: Array<Promise<number>> = [];
    for await (const r of log.replay(40)) {
      replayed.push(r.lsn);
      expect(Buffer.from(r.payload).equals(payloadFor(r.lsn))).toBe(true);
      if (r.lsn % 10 === 0) more.push(log.append(payloadFor(100 + more.length + 1)));
    }
    expect(replayed).toEqual(Array.from({ length: 60 }, (_, i) => 41 + i));
    expect(await Promise.all(more)).toEqual([101, 102, 103, 104, 105, 106]);
    await log.close();
  });

  it('stores empty and large payloads', async () => {
    const log = await WriteAheadLog.open(dir, { segmentBytes: 1024 });
    const tiny = Buffer.from([0xab]);
    const large = Buffer.alloc(3 * 1024 * 1024 + 5, 0x5a);
    await log.append(new Uint8Array(0));
    await log.append(large);
    await log.append(tiny);
    const records = await collect(log.replay(0));
    expect(records.map((r) => r.payload.length)).toEqual([0, large.length, 1]);
    expect(Buffer.compare(Buffer.from(records[1]?.payload ?? []), large)).toBe(0);
    await log.close();
  });
});
