import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WriteAheadLog } from '../../../ingest/log/write-ahead-log.js';
import { payloadFor, tempLogDir } from './lsn-payload.js';

const CHILD = fileURLToPath(new URL('./crash-child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SEGMENT_BYTES = 256 * 1024;
const MAX_PAYLOAD = 48 * 1024;
const KILLS = 12;

/** Runs the child until it has acknowledged `killAfterAcks` records (plus a random few
 * milliseconds more), SIGKILLs it mid-flight and returns every LSN it acknowledged. */
function runAndKill(dir: string, killAfterAcks: number, extraMs: number): Promise<{ first: number; acked: number[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir, String(SEGMENT_BYTES), '6', String(MAX_PAYLOAD)], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const acked: number[] = [];
    let first = 0;
    let partial = '';
    let stderr = '';
    let killing = false;
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (line.startsWith('ready ')) first = Number(line.slice(6));
        else acked.push(Number(line));
      }
      if (!killing && acked.length >= killAfterAcks) {
        killing = true;
        setTimeout(() => child.kill('SIGKILL'), extraMs);
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      // A line cut by the kill was never fully printed, so it does not count as acknowledged.
      if (signal === 'SIGKILL') resolve({ first, acked });
      else reject(new Error(`child exited with ${code}: ${stderr}`));
    });
  });
}

describe('WriteAheadLog under kill -9', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempLogDir()));
  afterEach(async () => cleanup());

  it(`replays every acknowledged record with its exact payload after ${KILLS} SIGKILLs at random moments`, async () => {
    let expectedFirst = 1;
    let totalAcked = 0;
    for (let round = 0; round < KILLS; round++) {
      const { first, acked } = await runAndKill(dir, 1 + Math.floor(Math.random() * 400), Math.floor(Math.random() * 30));
      // Restarts keep LSNs increasing: the child resumes right after the last durable record.
      expect(first).toBeGreaterThanOrEqual(expectedFirst);
      expect(acked.length).toBeGreaterThan(0);
      totalAcked += acked.length;

      const log = await WriteAheadLog.open(dir, { segmentBytes: SEGMENT_BYTES });
      const replayed = new Set<number>();
      let previous = 0;
      for await (const r of log.replay(0)) {
        expect(r.lsn).toBe(previous + 1);
        previous = r.lsn;
        // Acknowledged or not, whatever replays is a whole record, never torn bytes. Records of
        // earlier rounds were checked byte for byte when those rounds ended.
        if (r.lsn >= first) expect(Buffer.from(r.payload).equals(payloadFor(r.lsn, MAX_PAYLOAD))).toBe(true);
        replayed.add(r.lsn);
      }
      const missing = acked.filter((lsn) => !replayed.has(lsn));
      expect(missing).toEqual([]);
      expect(log.stats().lastLsn).toBe(previous);
      expectedFirst = previous + 1;
      await log.close();
    }
    expect(totalAcked).toBeGreaterThanOrEqual(KILLS);
  }, 180_000);
});
