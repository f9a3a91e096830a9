// Write-ahead log, I/O seam: the few node:fs/promises calls that change the log on disk (writes,
// fsyncs, truncation, deletion), so tests can inject a failing fsync or write. Reads use node:fs directly.
import { open, rename, unlink } from 'node:fs/promises';

/** The part of node's FileHandle the log writes through. */
export interface LogFileHandle {
  writev(buffers: readonly NodeJS.ArrayBufferView[], position?: number): Promise<{ bytesWritten: number }>;
  datasync(): Promise<void>;
  sync(): Promise<void>;
  truncate(len?: number): Promise<void>;
  close(): Promise<void>;
}

export interface LogIo {
  /** 'wx' creates a new segment (fails if it exists), 'r+' reopens one, 'r' opens a directory to fsync it. */
  open(path: string, flags: 'wx' | 'r+' | 'r'): Promise<LogFileHandle>;
  unlink(path: string): Promise<void>;
  /** Moves a preallocated spare into place as the next segment; without it the log does not preallocate. */
  rename?(from: string, to: string): Promise<void>;
}

export const nodeLogIo: LogIo = {
  open: (path, flags) => open(path, flags),
  unlink: (path) => unlink(path),
  rename: (from, to) => rename(from, to),
};

/** Makes a file's creation or deletion in `dir` durable; without it a crash can forget a new segment. */
export async function syncDirectory(io: LogIo, dir: string): Promise<void> {
  const handle = await io.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Writes zeros over [from, to) of an open file, 1 MiB at a time, then fdatasyncs it: the log's
 * preallocated spare, and a torn group's leftovers at recovery. `stop()` aborts between writes.
 */
export async function writeZerosDurably(handle: LogFileHandle, from: number, to: number, stop: () => boolean = () => false): Promise<void> {
  const zeros = Buffer.alloc(1024 * 1024);
  for (let at = from; at < to; at += zeros.length) {
    if (stop()) throw new Error('zero-fill stopped');
    await handle.writev([zeros.subarray(0, Math.min(zeros.length, to - at))], at);
  }
  await handle.datasync();
}
