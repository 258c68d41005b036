import { backoffMs } from './consumer-loop';
import { partitionOf } from './partition';

describe('partition', () => {
  it('partitionOf - depends only on the last token and spreads components', () => {
    expect(partitionOf('x0.metrics.web-1', 4)).toBe(partitionOf('x0.events.anomaly.web-1', 4));
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) counts[partitionOf(`x0.metrics.c${i}`, 4)]++;
    for (const c of counts) expect(c).toBeGreaterThan(800);
  });

  it('partitionOf - a single partition owns everything', () => {
    expect(partitionOf('x0.metrics.anything', 1)).toBe(0);
  });
});

describe('backoffMs', () => {
  it('doubles from 250 ms and caps at 10 s', () => {
    expect([1, 2, 3, 10].map(backoffMs)).toEqual([250, 500, 1000, 10_000]);
  });
});

import { fromKvKey, toKvKey } from './key-value';

describe('kv keys', () => {
  it('toKvKey - keeps safe names and round trips the rest', () => {
    expect(toKvKey('web-1')).toBe('web-1');
    for (const name of ['db:5432', 'éu-west', 'a/b', 'x=y_z']) {
      const key = toKvKey(name);
      expect(key).toMatch(/^[-/_=.a-zA-Z0-9]+$/);
      expect(fromKvKey(key)).toBe(name);
    }
  });
});
