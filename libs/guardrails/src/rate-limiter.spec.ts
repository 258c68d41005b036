import { SlidingWindowLimiter } from './rate-limiter';

describe('rate-limiter', () => {
  it('count - events leave the window exactly windowMs after they happened', () => {
    const l = new SlidingWindowLimiter(3, 1000);
    l.record('a', 0);
    l.record('a', 400);
    expect(l.count('a', 999)).toBe(2);
    expect(l.count('a', 1000)).toBe(1);
    expect(l.count('a', 1400)).toBe(0);
  });

  it('retryInMs - when full, waits for the oldest counted event to leave', () => {
    const l = new SlidingWindowLimiter(2, 1000);
    l.record('a', 100);
    l.record('a', 300);
    expect(l.retryInMs('a', 500)).toBe(600);
    expect(l.retryInMs('a', 1100)).toBe(0);
    expect(l.retryInMs('b', 500)).toBe(0);
  });

  it('retryInMs - a limit of 0 never allows', () => {
    const l = new SlidingWindowLimiter(0, 1000);
    expect(l.retryInMs('a', 0)).toBe(Infinity);
    l.record('a', 0);
    expect(l.retryInMs('a', 10)).toBe(Infinity);
  });

  it('record - keeps only the newest max events per key', () => {
    const l = new SlidingWindowLimiter(2, 10_000);
    for (let t = 0; t < 10; t++) l.record('a', t);
    expect(l.count('a', 10)).toBe(2);
  });

  it('keys - are independent', () => {
    const l = new SlidingWindowLimiter(1, 1000);
    l.record('a', 0);
    expect(l.count('a', 1)).toBe(1);
    expect(l.count('b', 1)).toBe(0);
  });

  it('prune - forgets keys whose events all left the window', () => {
    const l = new SlidingWindowLimiter(2, 1000);
    l.record('a', 0);
    l.record('b', 900);
    l.prune(1500);
    expect(l.size).toBe(1);
  });
});
