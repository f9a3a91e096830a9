// Test helper: a payload derived from its LSN alone, so a test (or a killed child process) can
// check any replayed record byte for byte without keeping what it wrote.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** 1..maxBytes bytes of xorshift noise seeded by the LSN. */
export function payloadFor(lsn: number, maxBytes = 4096): Buffer {
  let x = (lsn * 2654435761) >>> 0 || 1;
  const next = (): number => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
  const size = 1 + (next() % maxBytes);
  const out = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) out[i] = next() & 0xff;
  return out;
}

export async function tempLogDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'beaconry-wal-'));
  return { dir: join(root, 'log'), cleanup: () => rm(root, { recursive: true, force: true }) };
}
