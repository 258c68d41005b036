import { CAL_BINS, calibratorAdvance, calibratorSurprise, calibratorUpdate } from './calibrator';
import { symmetricEigen } from './stats';

/**
 * Joint model of a multi-metric component: the principal subspace (PCA, i.e. a linear
 * autoencoder) of the metrics' values, each scaled by its operational span. The squared
 * prediction error (SPE) — the part of a sample its usual correlations cannot explain — is
 * calibrated like any other statistic. Catches anomalies where each metric alone looks
 * plausible but their combination does not, and many metrics moving a little at once.
 *
 * What it learns is learned robustly: after warm-up a sample whose surprise exceeds GATE does
 * not teach the covariance and counts only CAL_GATED in the calibration of the SPE, so an
 * incident does not become the new normal while it lasts.
 *
 * The subspace is fitted half-way through warm-up (the second half calibrates the SPE out of
 * sample), refitted at the end of warm-up and then every `horizon` samples. The scale of each
 * metric and the SPE normaliser are fixed at a fit, so the calibrated statistic keeps its units
 * between fits.
 */
export interface JointState {
  /** Metrics covered (the component's first `dim` metrics). */
  dim: number;
  /** J.* scalars */
  s: Float64Array;
  /** dim × dim covariance of the raw values (float32 to bound the snapshot size). */
  cov: Float32Array;
  /** Per-metric scale of the fitted model (0 before the first fit). */
  scale: Float32Array;
  /** k × dim principal directions of the scaled values. */
  basis: Float32Array;
  hist: Float32Array;
}

export const J = { N: 0, NEXT_FIT: 1, K: 2, MASS: 3, SPE_NORM: 4, UNIT: 5, FITS: 6, SIZE: 7 } as const;
/** Deviations are clipped (in units of the scale) so one broken metric cannot dominate. */
const Z_CLIP = 10;
/** Share of the variance the kept components explain. */
const EXPLAINED = 0.9;
const MAX_K = 10;
/** Surprise (-log10 p) above which a sample does not teach the joint model. */
const GATE = 2;
/**
 * Weight of a gated sample in the calibration of the SPE (its covariance weight is 0). With 0,
 * the calibration never sees a value beyond the gate, so every SPE beyond the 99th percentile
 * looked unprecedented (p ≈ 1/history): the joint surprise piled up at that level and benign
 * recurring excursions scored like incidents. Counted at 1/32, how often such levels recur is
 * learned, while an incident that lasts hundreds of samples is learned 32 times slower than
 * ordinary data (its later samples stay surprising).
 */
const CAL_GATED = 1 / 32;

export function newJointState(dim: number): JointState {
  const s = new Float64Array(J.SIZE);
  s[J.UNIT] = 1;
  return { dim, s, cov: new Float32Array(dim * dim), scale: new Float32Array(dim), basis: new Float32Array(0), hist: new Float32Array(CAL_BINS) };
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

/** Each metric's baseline, kept by the metric models: its mean and the span of values seen. */
export interface JointBaseline {
  mean(a: number): number;
  range(a: number): number;
}

/** Scratch of `scoreAndUpdateJoint` (synchronous): deviations and scaled deviations. */
let DX = new Float64Array(64);
let Z = new Float64Array(64);

/** Settings of `scoreAndUpdateJoint`. */
export interface JointSettings {
  warmup: number;
  horizon: number;
}

/**
 * Scores the values `x` (length dim, NaN = metric absent) and learns from them. `range(a)` is the
 * observed span of metric a (used when fitting). Returns the surprise (-log10 p) of the SPE, 0
 * until the subspace is fitted or while `learning`.
 */
export function scoreAndUpdateJoint(j: JointState, x: Float64Array, baseline: JointBaseline, cfg: JointSettings, learning: boolean): number {
  const d = j.dim;
  if (DX.length < d) {
    DX = new Float64Array(2 * d);
    Z = new Float64Array(2 * d);
  }
  const dx = DX;
  dx.fill(0, 0, d);
  let present = 0;
  const fitted = j.s[J.FITS] > 0;
  for (let a = 0; a < d; a++) {
    const v = x[a];
    if (!Number.isFinite(v)) continue;
    present++;
    let e = v - baseline.mean(a);
    if (fitted) {
      const lim = Z_CLIP * j.scale[a];
      e = e > lim ? lim : e < -lim ? -lim : e;
    }
    dx[a] = e;
  }
  if (present < 2) return 0;
  const n = j.s[J.N] + 1;
  j.s[J.N] = n;
  const k = j.s[J.K];
  let surprise = 0;
  let w = 1;
  if (fitted) {
    let spe = 0;
    const z = Z;
    for (let a = 0; a < d; a++) {
      z[a] = dx[a] / j.scale[a];
      spe += z[a] * z[a];
    }
    for (let c = 0; c < k; c++) {
      let p = 0;
      for (let a = 0; a < d; a++) p += j.basis[c * d + a] * z[a];
      spe -= p * p;
    }
    const stat = Math.sqrt(Math.max(0, spe) / j.s[J.SPE_NORM]);
    const unit = j.s[J.UNIT];
    if (!learning) {
      surprise = calibratorSurprise(j.hist, 0, j.s[J.MASS], unit, stat);
      w = learningWeight(surprise);
    }
    // The calibration counts a gated sample at CAL_GATED (not 0): see CAL_GATED.
    const wc = w > 0 ? w : CAL_GATED;
    calibratorUpdate(j.hist, 0, stat, unit * wc);
    j.s[J.MASS] += unit * wc;
    j.s[J.UNIT] = calibratorAdvance(j.hist, j.s, J.MASS, 1, unit, cfg.horizon);
  }
  // covariance of the deviations (exponentially weighted; anomalies do not teach it)
  const a0 = Math.max(1 / n, 1 / cfg.horizon) * w;
  if (a0 > 0) {
    const keep = 1 - a0;
    for (let a = 0; a < d; a++) {
      const va = a0 * dx[a];
      const row = a * d;
      for (let b = 0; b <= a; b++) {
        const c = keep * (j.cov[row + b] + va * dx[b]);
        j.cov[row + b] = c;
        j.cov[b * d + a] = c;
      }
    }
  }
  const first = Math.max(Math.floor(cfg.warmup / 2), 2 * d, 20);
  if (n >= first && n >= j.s[J.NEXT_FIT]) fit(j, baseline, n < cfg.warmup ? cfg.warmup : n + cfg.horizon);
  return surprise;
}

/**
 * Weight of a sample in the joint model's covariance: 1 while it looks ordinary (p >= 1 %),
 * else 0. Persistent changes still become normal through the metrics' own baselines, which
 * centre the deviations.
 */
function learningWeight(surprise: number): number {
  return surprise <= GATE ? 1 : 0;
}

function fit(j: JointState, baseline: JointBaseline, nextFit: number): void {
  const d = j.dim;
  for (let a = 0; a < d; a++) {
    const sd = Math.sqrt(Math.max(0, j.cov[a * d + a]));
    j.scale[a] = Math.max(sd, baseline.range(a), 1e-6 * (1 + Math.abs(baseline.mean(a))));
  }
  const cz = new Float64Array(d * d);
  for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) cz[a * d + b] = j.cov[a * d + b] / (j.scale[a] * j.scale[b]);
  const { values, vectors } = symmetricEigen(cz, d);
  let total = 0;
  for (let a = 0; a < d; a++) total += Math.max(0, values[a]);
  let k = 0;
  let acc = 0;
  while (k < Math.min(MAX_K, d - 1) && acc < EXPLAINED * total) acc += Math.max(0, values[k++]);
  const basis = new Float32Array(k * d);
  for (let c = 0; c < k; c++) for (let a = 0; a < d; a++) basis[c * d + a] = vectors[c * d + a];
  j.basis = basis;
  j.s[J.K] = k;
  // expected SPE: the variance the kept components leave out
  j.s[J.SPE_NORM] = Math.max(1e-9, total - acc);
  j.s[J.FITS] += 1;
  j.s[J.NEXT_FIT] = nextFit;
}
