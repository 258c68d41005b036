import { CAL_BINS, calibratorAdvance, calibratorSurprise as surpriseIn, calibratorUpdate, priorTail } from './calibrator';
import { gaussian, seededRandom } from './testing';

function trained(values: number[], horizon = 5000): { hist: Float32Array; mass: number } {
  const hist = new Float32Array(CAL_BINS);
  const m = Float64Array.of(0, 1); // [mass, unit]
  for (const v of values) {
    calibratorUpdate(hist, 0, v, m[1]);
    m[0] += m[1];
    m[1] = calibratorAdvance(hist, m, 0, 1, m[1], horizon);
  }
  // express in unit 1 so the tests read naturally
  return { hist: hist.map((x) => x / m[1]), mass: m[0] / m[1] };
}
const calibratorSurprise = (hist: Float32Array, offset: number, mass: number, z: number) => surpriseIn(hist, offset, mass, 1, z);

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
    // bins are 0.2 units of log1p(z) wide and the tail inside a bin is interpolated linearly,
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

  it('forgetting - old observations fade over the horizon, and rescaling keeps the numbers', () => {
    const hist = new Float32Array(CAL_BINS);
    const m = Float64Array.of(0, 1);
    const add = (z: number) => {
      calibratorUpdate(hist, 0, z, m[1]);
      m[0] += m[1];
      m[1] = calibratorAdvance(hist, m, 0, 1, m[1], 100);
    };
    for (let i = 0; i < 500; i++) add(50); // an old regime of large values
    for (let i = 0; i < 5000; i++) add(0); // long normal period: more than 10^18 growth, so rescaled
    expect(m[1]).toBeLessThan(1e18);
    expect(m[0] / m[1]).toBeCloseTo(99, 0); // effective count: keep/(1-keep) = horizon - 1
    expect(surpriseIn(hist, 0, m[0], m[1], 50)).toBeGreaterThan(2);
  });

  it('priorTail - is a heavy (1/z²) two-sided tail', () => {
    expect(priorTail(0)).toBe(1);
    expect(priorTail(10)).toBeCloseTo(0.00985, 4);
    expect(priorTail(100) * 100 * 100).toBeCloseTo(1, 1);
  });
});
