// The dedup Bloom filter: never a false negative, and false positives rare enough at its capacity.
import { describe, expect, it } from 'vitest';
import { GrowingIdFilter, IdFilter } from '../../../aggregator/store/id-filter.js';
import { rng } from './generate-events.js';

const word = (r: () => number): number => Math.floor(r() * 2 ** 32);

describe('IdFilter', () => {
  it('remembers every id it was given, at and past its capacity', () => {
    const f = new IdFilter(50_000);
    const r = rng(1);
    const ids: [number, number][] = [];
    for (let i = 0; i < f.capacity * 1.5; i++) ids.push([word(r), word(r)]);
    for (const [lo, hi] of ids) f.testAndAdd(lo, hi);
    expect(ids.every(([lo, hi]) => f.has(lo, hi))).toBe(true);
    expect(f.count).toBe(ids.length);
  });

  it('says "maybe" for unseen ids about once per million at capacity, also for sequential ids', () => {
    for (const sequential of [false, true]) {
      const f = new IdFilter(200_000);
      const r = rng(2);
      for (let i = 0; i < f.capacity; i++) {
        if (sequential) f.testAndAdd(i, 7);
        else f.testAndAdd(word(r), word(r));
      }
      let falsePositives = 0;
      const probes = 2_000_000;
      for (let i = 0; i < probes; i++) {
        const hit = sequential ? f.has(f.capacity + i, 7) : f.has(word(r), word(r));
        if (hit) falsePositives++;
      }
      expect(falsePositives / probes).toBeLessThan(1e-5);
    }
  });

  it('flags a repeat on the second testAndAdd', () => {
    const f = new IdFilter(1000);
    expect(f.testAndAdd(123, 456)).toBe(false);
    expect(f.testAndAdd(123, 456)).toBe(true);
    expect(f.has(123, 457)).toBe(false);
  });
});

describe('GrowingIdFilter', () => {
  it('grows by segments as a day grows: remembers every id, flags repeats across segments, stays rare on unseen ids', () => {
    const f = new GrowingIdFilter(10_000);
    const r = rng(3);
    const ids: [number, number][] = [];
    let maybes = 0; // fresh ids flagged "maybe seen": allowed (an exact check clears them), but rare
    // Twenty applies of 5k ids each: 10x the first segment's capacity, as the store reserves them.
    for (let apply = 0; apply < 20; apply++) {
      f.reserve(5000);
      for (let i = 0; i < 5000; i++) {
        const id: [number, number] = [word(r), word(r)];
        ids.push(id);
        if (f.testAndAdd(id[0], id[1])) maybes++;
      }
    }
    expect(maybes).toBeLessThan(5);
    expect(f.segmentCount).toBeGreaterThan(1);
    expect(f.segmentCount).toBeLessThanOrEqual(5);
    expect(ids.every(([lo, hi]) => f.has(lo, hi))).toBe(true);
    // An id from the first segment, sent again after the filter grew.
    expect(f.testAndAdd(ids[0]![0], ids[0]![1])).toBe(true);
    let falsePositives = 0;
    const probes = 500_000;
    for (let i = 0; i < probes; i++) if (f.has(word(r), word(r))) falsePositives++;
    expect(falsePositives / probes).toBeLessThan(1e-4);
  });
});
