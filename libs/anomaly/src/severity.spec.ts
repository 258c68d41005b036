import { checkThresholds, scoreOfSurprise, severityOf, surpriseOfScore } from './severity';
import { DEFAULT_DETECTOR_OPTIONS } from './types';

describe('severity', () => {
  it('severityOf - maps the default cut-offs 0.2 / 0.5 / 0.8', () => {
    expect(DEFAULT_DETECTOR_OPTIONS.thresholds).toEqual({ low: 0.2, medium: 0.5, high: 0.8 });
    expect(severityOf(0)).toBe('none');
    expect(severityOf(0.1999)).toBe('none');
    expect(severityOf(0.2)).toBe('low');
    expect(severityOf(0.4999)).toBe('low');
    expect(severityOf(0.5)).toBe('medium');
    expect(severityOf(0.7999)).toBe('medium');
    expect(severityOf(0.8)).toBe('high');
    expect(severityOf(1)).toBe('high');
  });

  it('severityOf - NaN is none, custom thresholds apply', () => {
    expect(severityOf(Number.NaN)).toBe('none');
    const t = { low: 0.6, medium: 0.7, high: 0.95 };
    expect(severityOf(0.59, t)).toBe('none');
    expect(severityOf(0.65, t)).toBe('low');
    expect(severityOf(0.9, t)).toBe('medium');
    expect(severityOf(0.96, t)).toBe('high');
  });

  it('checkThresholds - rejects unordered or out-of-range cut-offs', () => {
    expect(checkThresholds({ low: 0.2, medium: 0.5, high: 0.8 })).toBeUndefined();
    expect(checkThresholds({ low: 0.6, medium: 0.5, high: 0.8 })).toBe('thresholds must satisfy 0 < low <= medium <= high <= 1');
    expect(checkThresholds({ low: 0, medium: 0.5, high: 0.8 })).toBeDefined();
    expect(checkThresholds({ low: 0.2, medium: 0.5, high: 1.5 })).toBeDefined();
  });
});

describe('calibration', () => {
  it('scoreOfSurprise - posterior odds: 0.5 at p = 1e-3, monotone, inside (0,1)', () => {
    expect(scoreOfSurprise(3)).toBeCloseTo(0.5, 12);
    expect(scoreOfSurprise(3 + 2 * Math.log10(4))).toBeCloseTo(0.8, 12);
    let prev = -1;
    for (let s = 0; s <= 30; s += 0.25) {
      const v = scoreOfSurprise(s);
      expect(v).toBeGreaterThan(prev);
      expect(v).toBeGreaterThan(0);
      expect(v).toBeLessThan(1);
      prev = v;
    }
    expect(scoreOfSurprise(Number.NaN)).toBe(scoreOfSurprise(0));
  });

  it('surpriseOfScore - inverts scoreOfSurprise', () => {
    for (const s of [0.5, 1, 3, 4.2, 9]) expect(surpriseOfScore(scoreOfSurprise(s))).toBeCloseTo(s, 9);
    expect(surpriseOfScore(1)).toBe(Number.POSITIVE_INFINITY);
  });
});
