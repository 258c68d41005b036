import { seededRandom } from '@x0/core';
import { SparseIndex } from './sparse-index';

const rng = seededRandom;

/** Documents over a Zipf-like vocabulary: a few terms are in almost every document. */
function corpus(n: number, r: () => number): Array<{ indices: Uint32Array; values: Float32Array }> {
  return Array.from({ length: n }, () => {
    const terms = new Set<number>();
    const len = 3 + Math.floor(r() * 12);
    while (terms.size < len) terms.add(Math.floor(Math.pow(r(), 3) * 500));
    const indices = Uint32Array.from([...terms].sort((a, b) => a - b));
    return { indices, values: Float32Array.from(indices, () => 0.2 + r() * 2) };
  });
}

describe('SparseIndex', () => {
  it('search - pruned term-at-a-time scoring equals brute-force scoring (idf and plain)', () => {
    const r = rng(5);
    const docs = corpus(3000, r);
    for (const idf of [true, false]) {
      const index = new SparseIndex(idf);
      docs.forEach((d, slot) => index.set(slot, d));
      // Remove and replace some documents so postings are edited, not just appended.
      for (let slot = 0; slot < 3000; slot += 7) index.remove(slot);
      for (let slot = 0; slot < 3000; slot += 14) index.set(slot, docs[(slot * 31) % 3000]);
      const live = new Map<number, { indices: Uint32Array; values: Float32Array }>();
      docs.forEach((d, slot) => slot % 7 !== 0 && live.set(slot, d));
      for (let slot = 0; slot < 3000; slot += 14) live.set(slot, docs[(slot * 31) % 3000]);
      const df = new Map<number, number>();
      for (const d of live.values()) for (const t of d.indices) df.set(t, (df.get(t) ?? 0) + 1);
      for (let q = 0; q < 30; q++) {
        const qTerms = [...new Set(Array.from({ length: 1 + (q % 5) }, () => Math.floor(Math.pow(r(), 2) * 500)))].sort((a, b) => a - b);
        const query = { indices: Uint32Array.from(qTerms), values: Float32Array.from(qTerms, () => 1) };
        const predicate = q % 3 === 0 ? (slot: number) => slot % 2 === 0 : undefined;
        const brute: Array<{ slot: number; score: number }> = [];
        for (const [slot, d] of live) {
          if (predicate && !predicate(slot)) continue;
          let score = 0;
          let hit = false;
          d.indices.forEach((t, i) => {
            if (!qTerms.includes(t)) return;
            hit = true;
            const w = idf ? Math.log(1 + (live.size - df.get(t)! + 0.5) / (df.get(t)! + 0.5)) : 1;
            score += w * d.values[i];
          });
          if (hit) brute.push({ slot, score });
        }
        brute.sort((a, b) => b.score - a.score);
        const got = index.search(query, 10, predicate);
        expect(got.map((h) => h.score)).toEqual(brute.slice(0, 10).map((h) => expect.closeTo(h.score, 4)));
        expect(index.count).toBe(live.size);
      }
    }
  });
});
