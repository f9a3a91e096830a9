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
