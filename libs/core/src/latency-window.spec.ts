import { LatencyWindow, quantileSorted } from './latency-window';

describe('latency-window', () => {
  it('snapshot - percentiles of 1..100', () => {
    const w = new LatencyWindow(128);
    for (let i = 100; i >= 1; i--) w.record(i);
    expect(w.snapshot()).toEqual({ p50: 50, p95: 95, p99: 99, max: 100, count: 100 });
  });

  it('record - keeps only the most recent values but counts all', () => {
    const w = new LatencyWindow(4);
    for (const v of [1000, 1, 2, 3, 4]) w.record(v);
    const s = w.snapshot();
    expect(s.max).toBe(4);
    expect(s.count).toBe(5);
  });

  it('record - ignores non-finite values', () => {
    const w = new LatencyWindow(4);
    w.record(Number.NaN);
    w.record(Infinity);
    expect(w.snapshot().count).toBe(0);
  });

  it('quantileSorted - empty input is NaN', () => {
    expect(quantileSorted([], 0.5)).toBeNaN();
  });
});
