import { CAL_BINS, calibratorSurprise, calibratorUpdate, priorTail } from './calibrator';
import { gaussian, seededRandom } from './testing';

function trained(values: number[], horizon = 5000): { hist: Float32Array; mass: number } {
  const hist = new Float32Array(CAL_BINS);
  let mass = 0;
  for (const v of values) mass = calibratorUpdate(hist, 0, mass, v, horizon);
  return { hist, mass };
}

describe('calibrator', () => {
  it('surprise - is 0 without history and grows with the statistic', () => {
    const empty = new Float32Array(CAL_BINS);
    expect(calibratorSurprise(empty, 0, 0, 10)).toBe(0);
    const g = gaussian(seededRandom(1));
    const { hist, mass } = trained(Array.from({ length: 3000 }, () => Math.abs(g())));
    let prev = -1;
    for (const z of [0, 0.5, 1, 2, 3, 5, 10, 100]) {
      const s = calibratorSurprise(hist, 0, mass, z);
      expect(s).toBeGreaterThanOrEqual(prev);
      prev = s;
    }
    expect(calibratorSurprise(hist, 0, mass, 100)).toBeGreaterThan(4);
  });

  it('surprise - is calibrated and conservative: on fresh data from the same distribution, p < 1% at most ~1% of the time', () => {
    const g = gaussian(seededRandom(2));
    const { hist, mass } = trained(Array.from({ length: 5000 }, () => Math.abs(g())));
    const test = Array.from({ length: 20000 }, () => Math.abs(g()));
    const share = test.filter((z) => calibratorSurprise(hist, 0, mass, z) >= 2).length / test.length;
    // bins are half a unit of log1p(z) wide and the tail inside a bin is interpolated linearly,
    // which over-estimates tails of decreasing densities: conservative, never anti-conservative
    expect(share).toBeGreaterThan(0.0005);
    expect(share).toBeLessThan(0.015);
  });

  it('surprise - a statistic that is usually exactly zero still scores its rare non-zero values', () => {
    const values = Array.from({ length: 2000 }, (_, i) => (i % 500 === 0 ? 1 : 0));
    const { hist, mass } = trained(values);
    expect(calibratorSurprise(hist, 0, mass, 0)).toBeCloseTo(0, 5);
    expect(calibratorSurprise(hist, 0, mass, 5)).toBeGreaterThan(2.5);
  });

  it('priorTail - is a heavy (1/z²) two-sided tail', () => {
    expect(priorTail(0)).toBe(1);
    expect(priorTail(10)).toBeCloseTo(0.00985, 4);
    expect(priorTail(100) * 100 * 100).toBeCloseTo(1, 1);
  });
});
