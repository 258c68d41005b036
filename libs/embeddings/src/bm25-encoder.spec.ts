import { Bm25SparseEncoder, termId } from './bm25-encoder';

describe('Bm25SparseEncoder', () => {
  const enc = new Bm25SparseEncoder({ k1: 1.2, b: 0.75, avgDocLength: 4 });

  it('encodeDocument - BM25 term-frequency weights with length normalisation', () => {
    const v = enc.encodeDocument('disk full, disk full, disk');
    // terms: disk ×3, full ×2; length 5 vs average 4
    const norm = 1.2 * (1 - 0.75 + (0.75 * 5) / 4);
    const weight = (tf: number) => (tf * 2.2) / (tf + norm);
    const byId = new Map(Array.from(v.indices, (id, i) => [id, v.values[i]]));
    expect(byId.get(termId('disk'))).toBeCloseTo(weight(3), 6);
    expect(byId.get(termId('full'))).toBeCloseTo(weight(2), 6);
    expect(v.indices.length).toBe(2);
    expect(Array.from(v.indices)).toEqual([...v.indices].sort((a, b) => a - b));
  });

  it('encodeQuery - unit weight per distinct stemmed term', () => {
    const q = enc.encodeQuery('Restarting the restarted pods');
    expect(Array.from(q.values)).toEqual([1, 1]);
    expect(new Set(q.indices)).toEqual(new Set([termId('restart'), termId('pod')]));
  });

  it('errors - empty text or only stop-words are rejected', () => {
    expect(() => enc.encodeQuery('')).toThrow("'query' must be a non-empty string");
    expect(() => enc.encodeQuery('the of and')).toThrow("'query' has no searchable words (only stop-words or symbols)");
    expect(() => new Bm25SparseEncoder({ b: 2 })).toThrow("'b' must be in [0, 1]");
  });
});
