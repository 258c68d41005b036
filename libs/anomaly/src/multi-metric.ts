import { CAL_BINS, calibratorAdvance, calibratorSurprise, calibratorUpdate } from './calibrator';
import { symmetricEigen } from './stats';

/**
 * Joint model of a multi-metric component: principal subspace of the metrics' standardised
 * deviations (PCA, i.e. a linear autoencoder). The squared prediction error (SPE) — the part
 * of a sample its usual correlations cannot explain — is calibrated like any other statistic.
 * Catches anomalies where each metric alone looks plausible but their combination does not.
 *
 * The covariance is an exponentially weighted estimate; the subspace is fitted when the
 * component finishes its warm-up and refitted every `horizon` samples.
 */
export interface JointState {
  /** Metrics covered (the component's first `dim` metrics). */
  dim: number;
  /** [n, nextFit, k, mass, speMean] */
  s: Float64Array;
  /** dim × dim covariance (float32 to bound the snapshot size). */
  cov: Float32Array;
  /** k × dim principal directions. */
  basis: Float32Array;
  hist: Float32Array;
}

export const J = { N: 0, NEXT_FIT: 1, K: 2, MASS: 3, SPE_MEAN: 4, UNIT: 5, SIZE: 6 } as const;
/** Deviations are clipped so one broken metric cannot dominate the covariance. */
const Z_CLIP = 10;
/** Share of the variance the kept components explain. */
const EXPLAINED = 0.9;
const MAX_K = 10;

export function newJointState(dim: number): JointState {
  const s = new Float64Array(J.SIZE);
  s[J.UNIT] = 1;
  return { dim, s, cov: new Float32Array(dim * dim), basis: new Float32Array(0), hist: new Float32Array(CAL_BINS) };
}

/** Grows the model to cover `dim` metrics (new rows/columns start at zero; the subspace is refitted). */
export function growJoint(j: JointState, dim: number): JointState {
  if (dim <= j.dim) return j;
  const g = newJointState(dim);
  g.s.set(j.s);
  for (let a = 0; a < j.dim; a++) for (let b = 0; b < j.dim; b++) g.cov[a * dim + b] = j.cov[a * j.dim + b];
  g.s[J.K] = 0;
  g.s[J.NEXT_FIT] = j.s[J.N];
  g.hist.set(j.hist);
  return g;
}

/**
 * Scores the standardised deviations `z` (length dim, NaN = metric absent) and learns from them.
 * Returns the surprise (-log10 p) of the SPE, 0 until the subspace is fitted or while `learning`.
 */
export function scoreAndUpdateJoint(j: JointState, z: Float64Array, warmup: number, horizon: number, learning: boolean): number {
  const d = j.dim;
  const v = new Float64Array(d);
  let present = 0;
  for (let a = 0; a < d; a++) {
    const x = z[a];
    if (Number.isFinite(x)) {
      v[a] = x > Z_CLIP ? Z_CLIP : x < -Z_CLIP ? -Z_CLIP : x;
      present++;
    }
  }
  if (present < 2) return 0;
  const k = j.s[J.K];
  let surprise = 0;
  let stat = 0;
  if (k > 0) {
    let spe = 0;
    for (let a = 0; a < d; a++) spe += v[a] * v[a];
    for (let c = 0; c < k; c++) {
      let p = 0;
      for (let a = 0; a < d; a++) p += j.basis[c * d + a] * v[a];
      spe -= p * p;
    }
    spe = Math.max(0, spe);
    stat = Math.sqrt(spe / Math.max(j.s[J.SPE_MEAN], 1e-6));
    const unit = j.s[J.UNIT];
    if (!learning) surprise = calibratorSurprise(j.hist, 0, j.s[J.MASS], unit, stat);
    calibratorUpdate(j.hist, 0, stat, unit);
    j.s[J.MASS] += unit;
    const am = Math.max(unit / Math.max(unit, j.s[J.MASS]), 1 / horizon);
    j.s[J.UNIT] = calibratorAdvance(j.hist, j.s, J.MASS, 1, unit, horizon);
    // winsorised so an incident does not teach the model that large errors are normal
    j.s[J.SPE_MEAN] += am * (Math.min(spe, 16 * Math.max(j.s[J.SPE_MEAN], 1e-6)) - j.s[J.SPE_MEAN]);
  }
  // covariance of the deviations (no mean: they are already centred on each metric's baseline)
  const n = j.s[J.N] + 1;
  j.s[J.N] = n;
  const a0 = Math.max(1 / n, 1 / horizon);
  const damp = k > 0 && stat > 4 ? 0.1 : 1;
  const a1 = a0 * damp;
  for (let a = 0; a < d; a++) {
    const va = v[a];
    const row = a * d;
    for (let b = 0; b <= a; b++) {
      const c = j.cov[row + b] + a1 * (va * v[b] - j.cov[row + b]);
      j.cov[row + b] = c;
      j.cov[b * d + a] = c;
    }
  }
  if (n >= Math.max(Math.floor(warmup / 2), 2 * d, 20) && n >= j.s[J.NEXT_FIT]) fit(j, horizon);
  return surprise;
}

function fit(j: JointState, horizon: number): void {
  const d = j.dim;
  const { values, vectors } = symmetricEigen(Float64Array.from(j.cov), d);
  let total = 0;
  for (let a = 0; a < d; a++) total += Math.max(0, values[a]);
  let k = 0;
  let acc = 0;
  while (k < Math.min(MAX_K, d - 1) && acc < EXPLAINED * total) acc += Math.max(0, values[k++]);
  const basis = new Float32Array(k * d);
  for (let c = 0; c < k; c++) for (let a = 0; a < d; a++) basis[c * d + a] = vectors[c * d + a];
  const wasFitted = j.s[J.K] > 0;
  j.basis = basis;
  j.s[J.K] = k;
  if (!wasFitted) {
    // expected SPE: the variance the kept components leave out
    j.s[J.SPE_MEAN] = Math.max(1e-6, total - acc);
  }
  j.s[J.NEXT_FIT] = j.s[J.N] + horizon;
}
