import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nodeLogIo, type LogFileHandle, type LogIo } from '../../../ingest/log/log-io.js';
import { WriteAheadLog } from '../../../ingest/log/write-ahead-log.js';
import { payloadFor, tempLogDir } from './lsn-payload.js';

/** Real node:fs, except that the chosen operation on segment files fails from the n-th call on. */
function failingIo(op: 'datasync' | 'writev' | 'create', failFromCall: number): LogIo & { calls: () => number } {
  let calls = 0;
  const wrap = (handle: LogFileHandle): LogFileHandle => ({
    writev: async (buffers, position) => {
      if (op === 'writev' && ++calls >= failFromCall) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      return handle.writev(buffers, position);
    },
    datasync: async () => {
      if (op === 'datasync' && ++calls >= failFromCall) throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
      return handle.datasync();
    },
    sync: () => handle.sync(),
    truncate: (len) => handle.truncate(len),
    close: () => handle.close(),
  });
  return {
    open: async (path, flags) => {
      if (op === 'create' && flags === 'wx' && ++calls >= failFromCall) throw Object.assign(new Error('EMFILE: too many open files'), { code: 'EMFILE' });
      return wrap(await nodeLogIo.open(path, flags));
    },
    unlink: (path) => nodeLogIo.unlink(path),
    calls: () => calls,
  };
}

describe('WriteAheadLog after a write or fsync failure', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempLogDir()));
  afterEach(async () => cleanup());

  for (const op of ['datasync', 'writev'] as const) {
    it(`a failed ${op} rejects the pending group and every later append with BEACONRY_ERR_NOT_DURABLE`, async () => {
      const io = failingIo(op, 3);
      let fsyncs = 0;
      const log = await WriteAheadLog.open(dir, { segmentBytes: 1 << 30, io, onFsync: () => (fsyncs += 1) });
      expect(await log.append(payloadFor(1))).toBe(1);
      expect(await log.append(payloadFor(2))).toBe(2);
      expect(log.failed).toBe(false);
      // The third commit fails; appends queued behind it in the next group must fail with it.
      const inFlight = log.append(payloadFor(3));
      await Promise.resolve(); // let the group start
      const queued = Array.from({ length: 5 }, (_, i) => log.append(payloadFor(4 + i)));
      const results = await Promise.allSettled([inFlight, ...queued]);
      for (const r of results) {
        expect(r.status).toBe('rejected');
        if (r.status === 'rejected') {
          expect(r.reason).toMatchObject({ code: 'BEACONRY_ERR_NOT_DURABLE', status: 503 });
          expect((r.reason as Error).cause).toMatchObject({ code: op === 'datasync' ? 'EIO' : 'ENOSPC' });
        }
      }
      expect(log.failed).toBe(true);
      expect(fsyncs).toBe(2);
      expect(log.stats()).toMatchObject({ lastLsn: 2, pendingBytes: 0 });
      // Never retried: later appends fail at once and touch the disk no more.
      const callsBefore = io.calls();
      await expect(log.append(payloadFor(9))).rejects.toMatchObject({ code: 'BEACONRY_ERR_NOT_DURABLE' });
      expect(io.calls()).toBe(callsBefore);
      expect(log.failed).toBe(true);
      expect(fsyncs).toBe(2);
      await log.close();

      // On restart, what was acknowledged is there; whatever reached the file unacknowledged may be
      // too (a failed fsync says nothing either way), but no acknowledged record is missing.
      const reopened = await WriteAheadLog.open(dir, { segmentBytes: 1 << 30 });
      expect(reopened.failed).toBe(false);
      const lsns: number[] = [];
      for await (const r of reopened.replay(0)) {
        lsns.push(r.lsn);
        expect(Buffer.from(r.payload).equals(payloadFor(r.lsn))).toBe(true);
      }
      expect(lsns.slice(0, 2)).toEqual([1, 2]);
      const next = (lsns.at(-1) ?? 0) + 1;
      expect(await reopened.append(payloadFor(next))).toBe(next);
      await reopened.close();
    });
  }

  it('a segment that cannot be created during rotation fails the log too', async () => {
    const io = failingIo('create', 2); // the first 'wx' creates segment 1; the rotation's fails
    const log = await WriteAheadLog.open(dir, { segmentBytes: 100, io });
    expect(await log.append(payloadFor(1, 500))).toBe(1); // passes 100 bytes: rotation follows
    await expect(log.append(payloadFor(2))).rejects.toMatchObject({ code: 'BEACONRY_ERR_NOT_DURABLE' });
    expect(log.failed).toBe(true);
    await log.close();
  });
});
