import { normalTail, normalTailLog10, symmetricEigen } from './stats';

describe('stats', () => {
  it('normalTail - matches known values', () => {
    expect(normalTail(0)).toBeCloseTo(0.5, 6);
    expect(normalTail(1.959964)).toBeCloseTo(0.025, 5);
    expect(normalTailLog10(10)).toBeCloseTo(23.1, 1);
  });

  it('symmetricEigen - recovers A = V·diag(λ)·Vᵀ with orthonormal V, eigenvalues descending', () => {
    const n = 4;
    const a = Float64Array.from([4, 1, 0.5, 0, 1, 3, 0.2, 0.1, 0.5, 0.2, 2, 0.3, 0, 0.1, 0.3, 1]);
    const { values, vectors } = symmetricEigen(a, n);
    for (let i = 1; i < n; i++) expect(values[i]).toBeLessThanOrEqual(values[i - 1]);
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < n; c++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += vectors[k * n + r] * values[k] * vectors[k * n + c];
        expect(s).toBeCloseTo(a[r * n + c], 8);
        let dot = 0;
        for (let k = 0; k < n; k++) dot += vectors[r * n + k] * vectors[c * n + k];
        expect(dot).toBeCloseTo(r === c ? 1 : 0, 8);
      }
    }
  });
});
