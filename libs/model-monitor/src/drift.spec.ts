import { classificationMetrics, confusion } from './classification';
import { featureDrift, ksTest, psi } from './drift';
import { normalRows } from './testing';

describe('psi', () => {
  it('psi - matches a hand computation on two bins', () => {
    // reference 1..10 cut at its median 6: [0.5, 0.5]; current [1,1,1,7]: [0.75, 0.25]
    // (0.75-0.5)·ln(1.5) + (0.25-0.5)·ln(0.5) = 0.274653...
    expect(psi([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [1, 1, 1, 7], 2)).toBeCloseTo(0.2746531, 6);
  });

  it('psi - near zero for the same distribution, large for a shifted one', () => {
    const ref = normalRows(2000, 1, 1).map((r) => r[0]);
    const same = normalRows(500, 1, 2).map((r) => r[0]);
    const shifted = normalRows(500, 1, 3, [1]).map((r) => r[0]);
    expect(psi(ref, same)).toBeLessThan(0.05);
    expect(psi(ref, shifted)).toBeGreaterThan(0.5);
  });

  it('psi - a constant reference still detects a move', () => {
    expect(psi([5, 5, 5, 5], [5, 5, 5, 5])).toBe(0);
    expect(psi([5, 5, 5, 5], [9, 9, 9, 9])).toBeGreaterThan(5);
    expect(psi([5, 5, 5, 5], [1, 1, 1, 1])).toBeGreaterThan(5);
  });
});

describe('ksTest', () => {
  it('ks - statistic matches the largest ECDF gap', () => {
    // ECDFs: at 2 the first is 2/3, the second 0.
    expect(ksTest([1, 2, 3], [2.5, 4]).statistic).toBeCloseTo(2 / 3, 12);
  });

  it('ks - p-value matches scipy.special.kolmogorov with the Stephens correction', () => {
    const a = Array.from({ length: 100 }, (_, i) => i);
    const b = Array.from({ length: 100 }, (_, i) => i + 20);
    const { statistic, pValue } = ksTest(a, b);
    expect(statistic).toBeCloseTo(0.2, 12);
    expect(pValue).toBeCloseTo(0.03137665215307253, 6); // kolmogorov((√50 + 0.12 + 0.11/√50)·0.2)
    expect(ksTest(a, a).pValue).toBe(1);
  });
});

describe('featureDrift', () => {
  it('drift - flags only the shifted feature', () => {
    const ref = normalRows(1000, 3, 10);
    const cur = normalRows(300, 3, 11, [0, 0.8, 0]);
    expect(featureDrift(ref, cur).map((f) => f.drifted)).toEqual([false, true, false]);
    expect(featureDrift(ref, normalRows(300, 3, 12)).map((f) => f.drifted)).toEqual([false, false, false]);
  });
});

describe('classification', () => {
  it('metrics - exact values, null where the ratio is undefined', () => {
    const pairs = [
      ...Array(6).fill({ predicted: true, actual: true }),
      ...Array(2).fill({ predicted: true, actual: false }),
      ...Array(10).fill({ predicted: false, actual: false }),
      ...Array(2).fill({ predicted: false, actual: true }),
    ];
    expect(classificationMetrics(confusion(pairs))).toEqual({ tp: 6, fp: 2, tn: 10, fn: 2, samples: 20, accuracy: 0.8, precision: 0.75, recall: 0.75, f1: 0.75 });
    expect(classificationMetrics(confusion([{ predicted: false, actual: false }]))).toMatchObject({ accuracy: 1, precision: null, recall: null, f1: null });
  });
});
