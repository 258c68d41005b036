import { J, newJointState, scoreAndUpdateJoint, type JointBaseline } from './multi-metric';
import { gaussian, seededRandom } from './testing';

/** Three metrics driven by one load: cpu ≈ load, latency ≈ 2·load, mem independent. */
function row(g: () => number, t: number, broken = false): Float64Array {
  const load = 50 + 20 * Math.sin((2 * Math.PI * t) / 96) + 2 * g();
  // broken: latency no longer follows the load (within each metric's usual range)
  return Float64Array.from([load, broken ? 100 + 2 * g() : 2 * load + 2 * g(), 10 + g()]);
}

const baseline: JointBaseline = { mean: (a) => [50, 100, 10][a], range: (a) => [60, 120, 8][a] };
const cfg = { warmup: 400, horizon: 2000 };

describe('joint model', () => {
  it('fit - half-way through warm-up, again at its end, then every horizon', () => {
    const g = gaussian(seededRandom(3));
    const j = newJointState(3);
    const fitsAt: number[] = [];
    for (let t = 0; t < 2700; t++) {
      const before = j.s[J.FITS];
      scoreAndUpdateJoint(j, row(g, t), baseline, cfg, t < cfg.warmup);
      if (j.s[J.FITS] > before) fitsAt.push(t + 1);
    }
    expect(fitsAt).toEqual([200, 400, 2400]);
    expect(j.s[J.K]).toBe(2); // the load (cpu and latency together) and mem
    expect(Array.from(j.scale)).toEqual([60, 120, 8].map((r) => Math.fround(r)));
  });

  it('score - a broken correlation is surprising although each value is in its usual range', () => {
    const g = gaussian(seededRandom(4));
    const j = newJointState(3);
    let quiet = 0;
    for (let t = 0; t < 1500; t++) quiet = Math.max(quiet, scoreAndUpdateJoint(j, row(g, t), baseline, cfg, t < cfg.warmup));
    // away from the mean load, a latency of 100 is far off the cpu–latency line
    let broken = 0;
    for (let t = 1500; t < 1520; t++) broken = Math.max(broken, scoreAndUpdateJoint(j, row(g, t + 24, true), baseline, cfg, false));
    expect(quiet).toBeLessThan(3.5);
    expect(broken).toBeGreaterThan(4);
  });

  it('gate - an incident that lasts does not move the covariance and is learned only slowly by the calibration', () => {
    const g = gaussian(seededRandom(5));
    const j = newJointState(3);
    for (let t = 0; t < 1000; t++) scoreAndUpdateJoint(j, row(g, t), baseline, cfg, t < cfg.warmup);
    const covBefore = Float32Array.from(j.cov);
    const during: number[] = [];
    const incident = (t: number) => scoreAndUpdateJoint(j, row(g, 1032 + 96 * t, true), baseline, cfg, false);
    for (let t = 0; t < 150; t++) during.push(incident(t));
    // (at the load's trough, t ≡ 72 mod 96) counted at 1/32 in the calibration, it stays beyond
    // the gate (p < 1 %) for its first 150 samples (at full weight: a dozen), so the covariance
    // did not move
    expect(Math.min(...during)).toBeGreaterThan(2);
    expect(Array.from(j.cov)).toEqual(Array.from(covBefore));
    // then its recurrence is learned and the surprise fades
    for (let t = 150; t < 600; t++) during.push(incident(t));
    expect(Math.max(...during.slice(-50))).toBeLessThan(Math.min(...during.slice(0, 10)));
  });

  it('absent metrics - fewer than two present values are not scored', () => {
    const j = newJointState(3);
    expect(scoreAndUpdateJoint(j, Float64Array.from([1, Number.NaN, Number.NaN]), baseline, cfg, true)).toBe(0);
    expect(j.s[J.N]).toBe(0);
  });
});
