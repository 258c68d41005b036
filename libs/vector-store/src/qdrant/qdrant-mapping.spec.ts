import { InvalidArgumentError, NotFoundError, UnavailableError } from '@x0/core';
import { fromQdrantConfig, mapQdrantError, pointUuid, toQdrantFilter } from './qdrant-mapping';

describe('qdrant mapping', () => {
  it('pointUuid - is a stable, well-formed UUID per id', () => {
    const a = pointUuid('inc_1');
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(pointUuid('inc_1')).toBe(a);
    expect(pointUuid('inc_2')).not.toBe(a);
  });

  it('toQdrantFilter - renames mustNot and keeps conditions', () => {
    expect(
      toQdrantFilter({
        must: [{ key: 'kind', match: { value: 'cpu' } }],
        should: [{ key: 'c', match: { any: ['a', 'b'] } }],
        mustNot: [{ key: 'sev', range: { gte: 3 } }],
      }),
    ).toEqual({
      must: [{ key: 'kind', match: { value: 'cpu' } }],
      should: [{ key: 'c', match: { any: ['a', 'b'] } }],
      must_not: [{ key: 'sev', range: { gte: 3 } }],
    });
    expect(toQdrantFilter({ must: [] })).toEqual({});
  });

  it('fromQdrantConfig - reads named vectors, sparse modifiers and payload schema', () => {
    const cfg = fromQdrantConfig(
      'c',
      { vectors: { dense: { size: 64, distance: 'Cosine' } }, sparse_vectors: { text: { modifier: 'idf' } } },
      { kind: { data_type: 'keyword' }, n: { data_type: 'integer' }, geo: { data_type: 'geo' } },
    );
    expect(cfg).toEqual({ vectors: { dense: { size: 64, distance: 'cosine' } }, sparseVectors: { text: { modifier: 'idf' } }, payloadIndexes: { kind: 'keyword', n: 'integer' } });
    expect(() => fromQdrantConfig('c', { vectors: { size: 4, distance: 'Cosine' } }, {})).toThrow('uses an unnamed vector');
  });

  it('mapQdrantError - maps HTTP statuses to x0 errors', () => {
    const err = (status: number) => new Error(`Unexpected Response: ${status} (X)\nRaw response content:\n{}`);
    expect(mapQdrantError(err(404), 'c', 'search')).toBeInstanceOf(NotFoundError);
    expect(mapQdrantError(err(400), 'c', 'search')).toBeInstanceOf(InvalidArgumentError);
    expect(mapQdrantError(err(503), 'c', 'search')).toBeInstanceOf(UnavailableError);
    expect(mapQdrantError(new TypeError('fetch failed'), 'c', 'search').message).toBe('qdrant search failed: fetch failed');
  });
});
