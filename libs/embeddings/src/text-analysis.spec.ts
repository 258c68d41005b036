import { fnv1a, stem, terms } from './text-analysis';

describe('text analysis', () => {
  it('terms - lowercase, drop stop-words, stem inflections to one term', () => {
    expect(terms('The CPU is SATURATED; saturation of the cores!')).toEqual(['cpu', 'satur', 'satur', 'core']);
    expect(terms('restarting restarts restart')).toEqual(['restart', 'restart', 'restart']);
    expect(terms('the of and')).toEqual([]);
  });

  it('stem - maps word families together and keeps short words', () => {
    for (const [a, b] of [['throttling', 'throttle'], ['queued', 'queues'], ['exhaustion', 'exhausted'], ['expired', 'expiry'], ['latencies', 'latency'], ['connections', 'connection']]) {
      expect(stem(a)).toBe(stem(b));
    }
    expect(stem('oom')).toBe('oom');
    expect(stem('p99')).toBe('p99');
  });

  it('fnv1a - is deterministic, unsigned and seed dependent', () => {
    expect(fnv1a('disk')).toBe(fnv1a('disk'));
    expect(fnv1a('disk')).toBeGreaterThanOrEqual(0);
    expect(fnv1a('disk')).not.toBe(fnv1a('disk', 1));
    expect(fnv1a('disk')).not.toBe(fnv1a('desk'));
  });
});
