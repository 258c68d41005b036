import { seededRandom } from '@x0/core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DenseIndex } from './dense-index';
import { EmbeddedVectorStore } from './embedded-vector-store';

const rng = seededRandom;

function clustered(n: number, dim: number, seed: number): Float32Array[] {
  const r = rng(seed);
  const centres = Array.from({ length: 20 }, () => Float32Array.from({ length: dim }, () => r() * 2 - 1));
  return Array.from({ length: n }, (_, i) => Float32Array.from(centres[i % 20], (x) => x + (r() - 0.5) * 0.6));
}

function buildAll(index: DenseIndex): void {
  while (index.indexStep(performance.now() + 1000));
}

describe('DenseIndex', () => {
  it('hnsw - approximate top-10 agrees with exact search (recall >= 0.9)', () => {
    const data = clustered(3000, 16, 1);
    const index = new DenseIndex(16, 'cosine', { m: 16, efConstruction: 100, efSearch: 64, exactThreshold: 500 });
    data.forEach((v, i) => index.set(i, v));
    buildAll(index);
    expect(index.pendingCount).toBe(0);
    const queries = clustered(50, 16, 2);
    let hit = 0;
    for (const q of queries) {
      const exact = new Set(index.search(q, 10, { exact: true }).map((h) => h.slot));
      for (const h of index.search(q, 10)) if (exact.has(h.slot)) hit++;
    }
    expect(hit / 500).toBeGreaterThanOrEqual(0.9);
  });

  it('hnsw - a selective filter still yields k hits, equal to exact filtered search', () => {
    const data = clustered(3000, 16, 3);
    const index = new DenseIndex(16, 'dot', { m: 16, efConstruction: 100, efSearch: 32, exactThreshold: 500 });
    data.forEach((v, i) => index.set(i, v));
    buildAll(index);
    // 1 point in 300 passes, and they are spread over all clusters (far from most queries).
    const predicate = (slot: number) => slot % 300 === 7;
    const q = data[0];
    const got = index.search(q, 5, { predicate });
    const exact = index.search(q, 5, { predicate, exact: true });
    expect(got).toHaveLength(5);
    expect(got.map((h) => h.slot)).toEqual(exact.map((h) => h.slot));
  });

  it('hnsw - a loose filter walks the graph and keeps recall', () => {
    const data = clustered(3000, 16, 6);
    const index = new DenseIndex(16, 'cosine', { m: 16, efConstruction: 100, efSearch: 32, exactThreshold: 500 });
    data.forEach((v, i) => index.set(i, v));
    buildAll(index);
    const predicate = (slot: number) => slot % 3 === 0; // 1,000 pass: above the exact-scan cut-off
    let hit = 0;
    for (const q of clustered(20, 16, 7)) {
      const exact = new Set(index.search(q, 10, { predicate, exact: true }).map((h) => h.slot));
      const got = index.search(q, 10, { predicate });
      expect(got).toHaveLength(10);
      expect(got.every((h) => h.slot % 3 === 0)).toBe(true);
      for (const h of got) if (exact.has(h.slot)) hit++;
    }
    expect(hit / 200).toBeGreaterThanOrEqual(0.9);
  });

  it('hnsw - pending vectors are searchable before the graph has them, updates replace old vectors', () => {
    const data = clustered(1000, 8, 4);
    const index = new DenseIndex(8, 'euclid', { m: 8, efConstruction: 50, efSearch: 32, exactThreshold: 100 });
    data.forEach((v, i) => index.set(i, v));
    buildAll(index);
    // moved into another cluster (next to slot 500): the graph's copy is stale until re-added.
    // (Not to a far outlier: an approximate graph may not reach a lone outlier, which is not what
    // this test is about: with one, this test failed once in a full run.)
    const target = Float32Array.from(data[500], (x) => x + 0.01);
    index.set(5, target);
    expect(index.pendingCount).toBe(1);
    expect(index.search(target, 1)[0]).toEqual({ slot: 5, score: 0 });
    expect(index.search(data[5], 3).map((h) => h.slot)).not.toContain(5);
    buildAll(index);
    expect(index.search(target, 1)[0]).toEqual({ slot: 5, score: 0 });
    index.remove(5);
    expect(index.search(target, 1)[0].slot).not.toBe(5);
    expect(index.count).toBe(999);
  });
});

describe('DenseIndex exact scan', () => {
  it.each(['dot', 'euclid'] as const)('%s - scores equal a plain computation, also for a dimension not divisible by 4', (distance) => {
    const r = rng(12);
    const dim = 7;
    const data = Array.from({ length: 300 }, () => Float32Array.from({ length: dim }, () => r() * 2 - 1));
    const index = new DenseIndex(dim, distance, { m: 8, efConstruction: 32, efSearch: 32, exactThreshold: 1000 });
    data.forEach((v, i) => index.set(i, v));
    const q = Float32Array.from({ length: dim }, () => r() * 2 - 1);
    const plain = data
      .map((v, slot) => {
        let dot = 0;
        let sq = 0;
        for (let i = 0; i < dim; i++) {
          dot += q[i] * v[i];
          sq += (q[i] - v[i]) ** 2;
        }
        return { slot, score: distance === 'dot' ? dot : Math.sqrt(sq) };
      })
      .sort((a, b) => (distance === 'dot' ? b.score - a.score : a.score - b.score))
      .slice(0, 10);
    const got = index.search(q, 10);
    expect(got.map((h) => h.slot)).toEqual(plain.map((h) => h.slot));
    got.forEach((h, i) => expect(h.score).toBeCloseTo(plain[i].score, 10));
  });
});

describe('EmbeddedVectorStore with an HNSW graph', () => {
  it('search - filtered and unfiltered answers match exact search once indexed, and after a restart', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'x0-vs-hnsw-'));
    const hnsw = { exactThreshold: 200, efConstruction: 64 };
    const store = new EmbeddedVectorStore({ dataDir: dir, hnsw, durability: 'none' });
    await store.start();
    await store.createCollection('inc', { vectors: { sig: { size: 16, distance: 'cosine' } }, payloadIndexes: { component: 'keyword' } });
    const data = clustered(2000, 16, 5);
    await store.upsert('inc', data.map((v, i) => ({ id: `i${i}`, vectors: { sig: v }, payload: { component: `c${i % 40}` } })));
    await store.whenIndexed();
    const q = Array.from(data[17]);
    const filter = { must: [{ key: 'component', match: { value: 'c3' } }] };
    const exact = await store.search('inc', { using: 'sig', vector: q, limit: 10, filter, exact: true });
    const approx = await store.search('inc', { using: 'sig', vector: q, limit: 10, filter });
    expect(approx.map((h) => h.id)).toEqual(exact.map((h) => h.id));
    expect(approx.every((h) => h.payload!.component === 'c3')).toBe(true);
    const top = await store.search('inc', { using: 'sig', vector: q, limit: 1 });
    expect(top[0]).toEqual({ id: 'i17', score: expect.closeTo(1, 5), payload: { component: 'c17' } });
    await store.stop();
    const again = new EmbeddedVectorStore({ dataDir: dir, hnsw });
    await again.start();
    expect(await again.search('inc', { using: 'sig', vector: q, limit: 10, filter })).toEqual(approx);
    await again.whenIndexed();
    expect((await again.search('inc', { using: 'sig', vector: q, limit: 1 }))[0].id).toBe('i17');
    await again.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('EmbeddedVectorStore filters answered by payload indexes', () => {
  it.each([
    ['candidates scanned exactly', undefined],
    ['graph walked with the index as predicate', 0],
  ])('search - indexed filters give the same hits as the same filters on an unindexed copy of the fields (%s)', async (_label, filteredScanMacs) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'x0-vs-plan-'));
    // A wide beam (efSearch 256 over 3,000 points) makes graph answers nearly exact, so the hits must
    // agree whichever way the planner answers each filter (indexed: candidate scan; unindexed copy:
    // graph): exactly when both are asked for exact answers, all but one otherwise.
    const hnsw = { exactThreshold: 300, efSearch: 256, ...(filteredScanMacs !== undefined ? { filteredScanMacs } : {}) };
    const store = new EmbeddedVectorStore({ dataDir: dir, hnsw, durability: 'none' });
    await store.start();
    await store.createCollection('inc', { vectors: { sig: { size: 16, distance: 'cosine' } }, payloadIndexes: { kind: 'keyword', component: 'keyword' } });
    const data = clustered(3000, 16, 8);
    // Duplicate vectors (ties) at every 50th point: which of two equal hits is returned must not change either.
    const points = data.map((v, i) => {
      const kind = i % 10 < 7 ? 'web' : i % 10 < 9 ? 'db' : 'queue';
      const component = `c${i % 40}`;
      return { id: `i${i}`, vectors: { sig: i % 50 === 1 ? data[i - 1] : v }, payload: { kind, component, all: 'yes', kindCopy: kind, componentCopy: component, allCopy: 'yes' } };
    });
    await store.upsert('inc', points);
    await store.whenIndexed();
    const pairs: Array<[object, object]> = [
      [{ must: [{ key: 'all', match: { value: 'yes' } }] }, { must: [{ key: 'allCopy', match: { value: 'yes' } }] }], // every point passes
      [{ must: [{ key: 'kind', match: { value: 'web' } }] }, { must: [{ key: 'kindCopy', match: { value: 'web' } }] }], // graph walk
      [{ must: [{ key: 'kind', match: { value: 'queue' } }] }, { must: [{ key: 'kindCopy', match: { value: 'queue' } }] }], // exact scan
      [{ must: [{ key: 'kind', match: { any: ['db', 'queue'] } }] }, { must: [{ key: 'kindCopy', match: { any: ['db', 'queue'] } }] }],
      [
        { must: [{ key: 'kind', match: { value: 'web' } }, { key: 'component', match: { value: 'c3' } }] },
        { must: [{ key: 'kindCopy', match: { value: 'web' } }, { key: 'componentCopy', match: { value: 'c3' } }] },
      ],
      [
        { must: [{ key: 'kind', match: { value: 'web' } }], mustNot: [{ key: 'component', match: { value: 'c0' } }] },
        { must: [{ key: 'kindCopy', match: { value: 'web' } }], mustNot: [{ key: 'componentCopy', match: { value: 'c0' } }] },
      ],
      [{ must: [{ key: 'kind', match: { value: 'none' } }] }, { must: [{ key: 'kindCopy', match: { value: 'none' } }] }],
    ];
    for (const q of [data[0], data[1], data[17], data[1234], data[2999]]) {
      for (const [indexed, plain] of pairs) {
        for (const exact of [false, true]) {
          const a = (await store.search('inc', { using: 'sig', vector: q, limit: 10, filter: indexed, exact })).map((h) => h.id);
          const b = (await store.search('inc', { using: 'sig', vector: q, limit: 10, filter: plain, exact })).map((h) => h.id);
          if (exact) expect(a).toEqual(b);
          else {
            // One side may have walked the graph: approximate even with a wide beam (a full run
            // once found 9 of the 10), so the same number of hits and at most one different.
            expect(b).toHaveLength(a.length);
            expect(a.filter((id) => b.includes(id)).length).toBeGreaterThanOrEqual(a.length - 1);
          }
        }
        expect(await store.count('inc', indexed)).toBe(await store.count('inc', plain));
      }
    }
    expect(await store.count('inc', { must: [{ key: 'kind', match: { value: 'web' } }] })).toBe(2100);
    await store.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
