import { LruMap } from './lru-map';

describe('LruMap', () => {
  it('evicts the least recently used entry', () => {
    const m = new LruMap<string, number>(2);
    m.set('a', 1).set('b', 2);
    expect(m.get('a')).toBe(1);
    m.set('c', 3);
    expect(m.has('b')).toBe(false);
    expect([...m.values()]).toEqual([1, 3]);
    expect(m.size).toBe(2);
  });

  it('rejects a bad capacity', () => {
    expect(() => new LruMap(0)).toThrow('capacity must be a positive integer, got 0');
  });
});
