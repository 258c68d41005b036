import { randomBytes } from 'node:crypto';
import { FailedPreconditionError, InvalidArgumentError, NotFoundError } from '@x0/core';
import { fuseRrf } from './fusion';
import type { CollectionConfig, PointInput } from './types';
import type { VectorStore } from './vector-store';

/** A started store for one contract test and how to dispose of it. */
export interface StoreUnderTest {
  store: VectorStore;
  cleanup(): Promise<void>;
}

const CONFIG: CollectionConfig = {
  vectors: { dense: { size: 4, distance: 'cosine' } },
  sparseVectors: { text: { modifier: 'idf' } },
  payloadIndexes: { kind: 'keyword', component: 'keyword', severity: 'integer' },
};

/** Eight points: two clusters of directions, a few sparse terms, keyword/int payloads. */
function fixture(): PointInput[] {
  const rows: Array<[string, number[], number[], string, string, number]> = [
    ['a', [1, 0, 0, 0], [1, 2], 'cpu', 'api', 1],
    ['b', [0.9, 0.1, 0, 0], [1], 'cpu', 'db', 2],
    ['c', [0.8, 0.2, 0.1, 0], [2, 3], 'memory', 'api', 3],
    ['d', [0, 1, 0, 0], [3], 'memory', 'db', 4],
    ['e', [0, 0.9, 0.1, 0], [3, 4], 'disk', 'api', 5],
    ['f', [0, 0, 1, 0], [4], 'disk', 'queue', 1],
    ['g', [0, 0, 0, 1], [5], 'latency', 'queue', 2],
    ['h', [0.5, 0.5, 0.5, 0.5], [1, 5], 'latency', 'api', 3],
  ];
  return rows.map(([id, dense, terms, kind, component, severity]) => ({
    id,
    vectors: { dense, text: { indices: terms, values: terms.map(() => 1) } },
    payload: { kind, component, severity, tags: [kind, component] },
  }));
}

function cosine(a: number[], b: number[]): number {
  const dot = a.reduce((s, x, i) => s + x * b[i], 0);
  return dot / Math.hypot(...a) / Math.hypot(...b);
}

/**
 * The behaviour every `VectorStore` must show, as a jest suite. `open` returns a started store;
 * each test uses fresh collection names, so a shared server (Qdrant) can run it.
 */
export function describeVectorStoreContract(name: string, open: () => Promise<StoreUnderTest>): void {
  describe(`${name} - VectorStore contract`, () => {
    let sut: StoreUnderTest;
    let store: VectorStore;
    const prefix = `t${randomBytes(3).toString('hex')}`;
    let n = 0;
    const fresh = () => `${prefix}_${++n}`;
    async function seeded(): Promise<string> {
      const c = fresh();
      await store.createCollection(c, CONFIG);
      await store.upsert(c, fixture());
      return c;
    }

    beforeAll(async () => {
      sut = await open();
      store = sut.store;
    });
    afterAll(async () => {
      for (const c of await store.listCollections()) if (c.startsWith(prefix)) await store.deleteCollection(c);
      await sut.cleanup();
    });

    it('createCollection - is idempotent and adds missing payload indexes', async () => {
      const c = fresh();
      await store.createCollection(c, { ...CONFIG, payloadIndexes: { kind: 'keyword' } });
      await store.createCollection(c, CONFIG);
      const info = await store.getCollection(c);
      expect(info.pointsCount).toBe(0);
      expect(info.config.vectors).toEqual(CONFIG.vectors);
      expect(info.config.sparseVectors).toEqual(CONFIG.sparseVectors);
      expect(info.config.payloadIndexes).toEqual(CONFIG.payloadIndexes);
      expect(await store.listCollections()).toContain(c);
    });

    it('createCollection - rejects a different vector layout for an existing name', async () => {
      const c = fresh();
      await store.createCollection(c, CONFIG);
      const other = { ...CONFIG, vectors: { dense: { size: 8, distance: 'cosine' as const } } };
      await expect(store.createCollection(c, other)).rejects.toThrow(FailedPreconditionError);
      // Both layouts named: a changed embedder dimension is told from a changed distance at once.
      await expect(store.createCollection(c, other)).rejects.toThrow(
        `collection '${c}' exists with different vectors: it has dense 4 cosine, sparse text (idf), asked for dense 8 cosine, sparse text (idf)`,
      );
    });

    it('upsert - stores payload and vectors, and replaces whole points', async () => {
      const c = await seeded();
      expect(await store.count(c)).toBe(8);
      const [a] = await store.retrieve(c, ['a'], { withVectors: true });
      expect(a.payload).toEqual({ kind: 'cpu', component: 'api', severity: 1, tags: ['cpu', 'api'] });
      expect(Array.from(a.vectors!.dense as Float32Array)).toEqual([1, 0, 0, 0]);
      expect(Array.from((a.vectors!.text as { indices: Uint32Array }).indices)).toEqual([1, 2]);
      await store.upsert(c, [{ id: 'a', vectors: { dense: [0, 0, 0, 1] }, payload: { kind: 'other' } }]);
      const [a2] = await store.retrieve(c, ['a'], { withVectors: true });
      expect(a2.payload).toEqual({ kind: 'other' });
      expect(a2.vectors!.text).toBeUndefined();
      expect(await store.count(c)).toBe(8);
      expect(await store.retrieve(c, ['nope', 'b', 'b'])).toEqual([{ id: 'b', payload: expect.objectContaining({ kind: 'cpu' }) }]);
    });

    it('upsert - stores a copy: changing inputs or results later does not change stored points', async () => {
      const c = fresh();
      await store.createCollection(c, CONFIG);
      const payload = { kind: 'cpu', tags: ['a'] };
      await store.upsert(c, [{ id: 'p', vectors: { dense: [1, 0, 0, 0] }, payload }]);
      payload.kind = 'changed';
      payload.tags.push('b');
      const [hit] = await store.search(c, { using: 'dense', vector: [1, 0, 0, 0], limit: 1 });
      try {
        (hit.payload as { kind: string }).kind = 'mutated'; // embedded payloads are frozen: this throws there
      } catch {
        // read-only result
      }
      expect((await store.retrieve(c, ['p']))[0].payload).toEqual({ kind: 'cpu', tags: ['a'] });
      await expect(store.upsert(c, [{ id: 'q', vectors: { dense: [1, 0, 0, 0] }, payload: { n: BigInt(1) } }])).rejects.toThrow(InvalidArgumentError);
    });

    it('search - dense nearest first with cosine scores', async () => {
      const c = await seeded();
      const q = [1, 0.05, 0, 0];
      const hits = await store.search(c, { using: 'dense', vector: q, limit: 3 });
      expect(hits.map((h) => h.id)).toEqual(['a', 'b', 'c']);
      expect(hits[0].score).toBeCloseTo(cosine(q, [1, 0, 0, 0]), 5);
      expect(hits[2].score).toBeCloseTo(cosine(q, [0.8, 0.2, 0.1, 0]), 5);
      expect(hits[0].payload).toEqual({ kind: 'cpu', component: 'api', severity: 1, tags: ['cpu', 'api'] });
      const bare = await store.search(c, { using: 'dense', vector: q, limit: 1, withPayload: false });
      expect(bare).toEqual([{ id: 'a', score: expect.any(Number) }]);
    });

    it('search - filters by match value, match any, range, mustNot and should', async () => {
      const c = await seeded();
      const q = [1, 0, 0, 0];
      const ids = async (filter: object) => (await store.search(c, { using: 'dense', vector: q, limit: 8, filter })).map((h) => h.id).sort();
      expect(await ids({ must: [{ key: 'kind', match: { value: 'memory' } }] })).toEqual(['c', 'd']);
      expect(await ids({ must: [{ key: 'component', match: { any: ['db', 'queue'] } }] })).toEqual(['b', 'd', 'f', 'g']);
      expect(await ids({ must: [{ key: 'severity', range: { gte: 3 } }] })).toEqual(['c', 'd', 'e', 'h']);
      expect(await ids({ must: [{ key: 'component', match: { value: 'api' } }], mustNot: [{ key: 'kind', match: { value: 'cpu' } }] })).toEqual(['c', 'e', 'h']);
      expect(await ids({ should: [{ key: 'kind', match: { value: 'disk' } }, { key: 'severity', match: { value: 4 } }] })).toEqual(['d', 'e', 'f']);
      expect(await ids({ must: [{ key: 'tags', match: { value: 'queue' } }] })).toEqual(['f', 'g']);
      expect(await ids({ must: [{ key: 'kind', match: { value: 'none' } }] })).toEqual([]);
      // A filtered search still returns `limit` hits when that many match, even far from the query.
      const far = await store.search(c, { using: 'dense', vector: q, limit: 2, filter: { must: [{ key: 'component', match: { value: 'queue' } }] } });
      expect(far.map((h) => h.id)).toEqual(['f', 'g']);
    });

    it('search - sparse dot product with BM25 idf weights', async () => {
      const c = await seeded();
      const hits = await store.search(c, { using: 'text', vector: { indices: [2, 5], values: [1, 1] }, limit: 8 });
      // df(2) = 2 (a, c), df(5) = 2 (g, h), N = 8: every hit has one matching term of equal idf.
      const idf = Math.log(1 + (8 - 2 + 0.5) / (2 + 0.5));
      expect(hits.map((h) => h.id).sort()).toEqual(['a', 'c', 'g', 'h']);
      for (const h of hits) expect(h.score).toBeCloseTo(idf, 4);
      const rare = await store.search(c, { using: 'text', vector: { indices: [1, 3], values: [1, 1] }, limit: 2 });
      // df(1) = 3 (a, b, h) and df(3) = 3 (c, d, e): equal idf, so single-term matches tie.
      expect(rare).toHaveLength(2);
      expect(rare[0].score).toBeCloseTo(Math.log(1 + (8 - 3 + 0.5) / (3 + 0.5)), 4);
    });

    it('hybridSearch - fuses dense and sparse rankings with RRF', async () => {
      const c = await seeded();
      const dense = { using: 'dense', vector: [0.1, 1, 0, 0], limit: 4 };
      const sparse = { using: 'text', vector: { indices: [3, 4], values: [1, 1] }, limit: 4 };
      const d = await store.search(c, dense);
      const s = await store.search(c, sparse);
      const expected = fuseRrf([d, s], 3, 2);
      const fused = await store.hybridSearch(c, { prefetch: [dense, sparse], limit: 3 });
      expect(fused.map((h) => h.id)).toEqual(expected.map((h) => h.id));
      expect(fused.map((h) => h.id)).toEqual(['e', 'd', 'c']); // e: 2nd dense + 1st sparse; d: 1st dense + 3rd/4th sparse
      expect(fused[0].score).toBeCloseTo(expected[0].score, 6);
      const filtered = await store.hybridSearch(c, { prefetch: [dense, sparse], limit: 3, filter: { must: [{ key: 'component', match: { value: 'queue' } }] } });
      expect(filtered.map((h) => h.id).sort()).toEqual(['f', 'g']);
      expect(filtered.every((h) => h.payload?.component === 'queue')).toBe(true);
    });

    it('delete - by ids and by filter, reporting how many existed', async () => {
      const c = await seeded();
      expect(await store.delete(c, { ids: ['a', 'zz'] })).toBe(1);
      expect(await store.delete(c, { filter: { must: [{ key: 'kind', match: { value: 'memory' } }] } })).toBe(2);
      expect(await store.count(c)).toBe(5);
      expect(await store.count(c, { must: [{ key: 'component', match: { value: 'api' } }] })).toBe(2);
      const hits = await store.search(c, { using: 'dense', vector: [1, 0, 0, 0], limit: 8 });
      expect(hits.map((h) => h.id)).not.toContain('a');
      expect(hits).toHaveLength(5);
      const sparse = await store.search(c, { using: 'text', vector: { indices: [2, 3], values: [1, 1] }, limit: 8 });
      expect(sparse.map((h) => h.id)).toEqual(['e']);
    });

    it('errors - bad input is rejected with the field named', async () => {
      const c = await seeded();
      await expect(store.upsert(c, [{ id: 'x', vectors: { dense: [1, 2, 3] } }])).rejects.toThrow(new InvalidArgumentError('points[0].vectors.dense', 'must have 4 elements, got 3'));
      await expect(store.upsert(c, [{ id: 'x', vectors: { dense: [1, NaN, 0, 0] } }])).rejects.toThrow("'points[0].vectors.dense[1]' must be a finite number");
      await expect(store.upsert(c, [{ id: '', vectors: { dense: [1, 0, 0, 0] } }])).rejects.toThrow(InvalidArgumentError);
      await expect(store.upsert(c, [{ id: 'x', vectors: { nope: [1] } }])).rejects.toThrow("'points[0].vectors.nope' is not a vector of this collection");
      await expect(store.upsert(c, [{ id: 'x', vectors: { text: { indices: [1, 1], values: [1, 2] } } }])).rejects.toThrow("'points[0].vectors.text.indices' contains 1 twice");
      await expect(store.search(c, { using: 'dense', vector: [1, 0], limit: 3 })).rejects.toThrow("'request.vector' must have 4 elements, got 2");
      await expect(store.search(c, { using: 'dense', vector: [1, 0, 0, 0], limit: 0 })).rejects.toThrow("'limit' must be an integer in [1, 10000]");
      await expect(store.search(c, { using: 'dense', vector: [1, 0, 0, 0], limit: 1, filter: { must: [{ key: 'kind' } as never] } })).rejects.toThrow(InvalidArgumentError);
      await expect(store.search('missing_collection', { using: 'dense', vector: [1, 0, 0, 0], limit: 1 })).rejects.toThrow(new NotFoundError('collection', 'missing_collection'));
      await expect(store.upsert('missing_collection', fixture())).rejects.toThrow(NotFoundError);
      await expect(store.createCollection('bad name!', CONFIG)).rejects.toThrow(InvalidArgumentError);
      expect(await store.count(c)).toBe(8);
    });

    it('deleteCollection - removes data and reports whether it existed', async () => {
      const c = await seeded();
      expect(await store.deleteCollection(c)).toBe(true);
      expect(await store.deleteCollection(c)).toBe(false);
      await expect(store.count(c)).rejects.toThrow(NotFoundError);
      expect(await store.listCollections()).not.toContain(c);
    });
  });
}
