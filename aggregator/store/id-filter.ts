// A blocked Bloom filter over 64-bit event ids (given as their two 32-bit halves): the store's
// first, in-memory dedup check, so that an apply with no re-sent ids never scans a partition.
// No false negatives; false positives only cost an exact check in DuckDB.

const BLOCK_BITS = 512; // one 64-byte cache line per id: every probe of a lookup hits the same line
const BLOCK_WORDS = BLOCK_BITS / 32;
const PROBES = 12;
/** 32 bits per id with 12 probes in a 512-bit block: about one false positive per million lookups. */
export const BITS_PER_ID = 32;

export class IdFilter {
  /** Ids it was sized for; past this the false-positive rate climbs and the store rebuilds it bigger. */
  readonly capacity: number;
  /** Ids added (with repeats). */
  count = 0;
  private readonly words: Int32Array;
  private readonly blockMask: number;

  constructor(capacity: number) {
    let blocks = 1;
    while (blocks * BLOCK_BITS < capacity * BITS_PER_ID) blocks *= 2;
    this.words = new Int32Array(blocks * BLOCK_WORDS);
    this.blockMask = blocks - 1;
    this.capacity = Math.floor((blocks * BLOCK_BITS) / BITS_PER_ID);
  }

  get bytes(): number {
    return this.words.byteLength;
  }

  has(lo: number, hi: number): boolean {
    return this.probe(lo, hi, false);
  }

  /** Adds the id; returns whether it may have been present before. */
  testAndAdd(lo: number, hi: number): boolean {
    this.count++;
    return this.probe(lo, hi, true);
  }

  private probe(lo: number, hi: number, add: boolean): boolean {
    // Ids are hashes already, but mixing both halves keeps a poor id source from clustering.
    const base = ((Math.imul(lo ^ (hi >>> 7), 0x9e3779b1) ^ hi) & this.blockMask) * BLOCK_WORDS;
    let x = Math.imul(hi ^ (lo >>> 16), 0x85ebca6b) ^ lo;
    let present = true;
    for (let i = 0; i < PROBES; i++) {
      x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) + i;
      const bit = x >>> 23; // 9 bits: 0..511
      const w = base + (bit >>> 5);
      const m = 1 << (bit & 31);
      if ((this.words[w]! & m) === 0) {
        present = false;
        if (!add) return false;
        this.words[w]! |= m;
      }
    }
    return present;
  }
}

/**
 * A filter that grows without rescanning what it already holds: when its newest segment is full it
 * adds one twice as large, and a lookup asks every segment. A day that keeps growing used to be
 * rebuilt from a scan of its whole partition at every 1.5× of growth (seconds of the writer's time
 * on a day of millions of rows); now it is scanned once, when its filter is first built. Each
 * segment adds its own ~1e-6 false-positive rate, and segments double, so a day has few of them.
 */
export class GrowingIdFilter {
  private readonly segments: IdFilter[];

  constructor(capacity: number) {
    this.segments = [new IdFilter(capacity)];
  }

  get bytes(): number {
    let n = 0;
    for (const s of this.segments) n += s.bytes;
    return n;
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  has(lo: number, hi: number): boolean {
    for (const s of this.segments) if (s.has(lo, hi)) return true;
    return false;
  }

  /** Adds the id (to the newest segment); returns whether it may have been present before. */
  testAndAdd(lo: number, hi: number): boolean {
    const last = this.segments.length - 1;
    for (let i = 0; i < last; i++) {
      if (this.segments[i]!.has(lo, hi)) {
        this.segments[last]!.count++;
        return true;
      }
    }
    return this.segments[last]!.testAndAdd(lo, hi);
  }

  /** Makes room for `incoming` more ids at the newest segment's false-positive rate. */
  reserve(incoming: number): void {
    const newest = this.segments.at(-1)!;
    if (newest.count + incoming <= newest.capacity) return;
    this.segments.push(new IdFilter(Math.max(2 * newest.capacity, incoming)));
  }
}
