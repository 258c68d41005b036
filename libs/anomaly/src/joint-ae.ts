import { seededRandom } from '@x0/core';
import { CAL_BINS, calibratorAdvance, calibratorSurprise, calibratorUpdate } from './calibrator';

/**
 * EXPERIMENT (off by default, see docs/anomaly-detection.md): a neural joint model of a
 * multi-metric component that sees the shape of the last `k` samples. A dense autoencoder
 * (k·d → h tanh → k·d linear) over the window of the metrics' scaled deviations (the same
 * deviations and scales as the PCA joint model), trained in plain JavaScript (Adam) at the PCA
 * model's fit points on a reservoir of windows seen since the last fit (no labels), then scored
 * by its reconstruction error, calibrated like every other statistic.
 */
export interface AeState {
  d: number;
  k: number;
  h: number;
  s: Float64Array;
  w1: Float32Array;
  b1: Float32Array;
  w2: Float32Array;
  b2: Float32Array;
  hist: Float32Array;
  /** Not state: the last k deviation vectors (ring) and the reservoir of training windows. */
  ring: Float32Array;
  res: Float32Array;
}

export const AE = { MASS: 0, UNIT: 1, NORM: 2, FITS: 3, RING_POS: 4, RING_FILL: 5, RES_SEEN: 6, SIZE: 7 } as const;
/** Windows kept for training (reservoir sample of those seen since the last fit). */
const RESERVOIR = Number(process.env.AE_RES ?? 1024);
const Z_CLIP = 10;
const BATCH = 32;
/** Gradient steps at the first fit and at a refit (warm start). */
const STEPS_FIRST = Number(process.env.AE_STEPS ?? 1000);
const STEPS_REFIT = Number(process.env.AE_REFIT ?? 600);
const LR = 3e-3;

export function newAeState(d: number, k: number, h: number): AeState {
  const D = d * k;
  const s = new Float64Array(AE.SIZE);
  s[AE.UNIT] = 1;
  const rand = seededRandom(0x5eed + d);
  const w1 = new Float32Array(h * D);
  const w2 = new Float32Array(D * h);
  const a1 = Math.sqrt(6 / (D + h));
  for (let i = 0; i < w1.length; i++) w1[i] = (2 * rand() - 1) * a1;
  for (let i = 0; i < w2.length; i++) w2[i] = (2 * rand() - 1) * a1;
  return { d, k, h, s, w1, b1: new Float32Array(h), w2, b2: new Float32Array(D), hist: new Float32Array(CAL_BINS), ring: new Float32Array(D), res: new Float32Array(0) };
}

let X = new Float64Array(256);
let H = new Float64Array(64);

/** The current window (newest first), scaled and clipped, into X. Needs a full ring. */
function windowInto(ae: AeState, scale: Float32Array, x: Float64Array): void {
  const { d, k, ring } = ae;
  const pos = ae.s[AE.RING_POS];
  for (let l = 0; l < k; l++) {
    const slot = (pos - 1 - l + 2 * k) % k;
    for (let a = 0; a < d; a++) {
      const z = ring[slot * d + a] / scale[a];
      x[l * d + a] = z > Z_CLIP ? Z_CLIP : z < -Z_CLIP ? -Z_CLIP : z;
    }
  }
}

/** Squared reconstruction error of x (length D); fills H with the hidden layer. */
function recError(ae: AeState, x: Float64Array, hid: Float64Array): number {
  const { h, w1, b1, w2, b2 } = ae;
  const D = ae.d * ae.k;
  for (let j = 0; j < h; j++) {
    let acc = b1[j];
    const row = j * D;
    for (let i = 0; i < D; i++) acc += w1[row + i] * x[i];
    hid[j] = Math.tanh(acc);
  }
  let err = 0;
  for (let i = 0; i < D; i++) {
    let y = b2[i];
    const row = i * h;
    for (let j = 0; j < h; j++) y += w2[row + j] * hid[j];
    const e = y - x[i];
    err += e * e;
  }
  return err;
}

/**
 * Adds the newest deviation vector `dx` (length d) and, once trained, returns the surprise of
 * the window's reconstruction error (0 while `learning` or before the first fit). `teach`: the
 * sample may join the training reservoir (the caller's gate).
 */
export function scoreAndUpdateAe(ae: AeState, dx: Float64Array, scale: Float32Array, horizon: number, learning: boolean, gate: (aeSurprise: number) => number): number {
  const { d, k } = ae;
  const D = d * k;
  const s = ae.s;
  const pos = s[AE.RING_POS];
  for (let a = 0; a < d; a++) ae.ring[pos * d + a] = dx[a];
  s[AE.RING_POS] = pos + 1 === k ? 0 : pos + 1;
  if (s[AE.RING_FILL] < k) s[AE.RING_FILL] += 1;
  if (s[AE.RING_FILL] < k) return 0;
  let surprise = 0;
  let w = 1;
  if (s[AE.FITS] > 0) {
    if (X.length < D) X = new Float64Array(2 * D);
    if (H.length < ae.h) H = new Float64Array(2 * ae.h);
    windowInto(ae, scale, X);
    const stat = Math.sqrt(recError(ae, X, H) / s[AE.NORM]);
    const unit = s[AE.UNIT];
    if (!learning) surprise = calibratorSurprise(ae.hist, 0, s[AE.MASS], unit, stat);
    w = gate(surprise);
    const wc = w > 0 ? w : 1 / 32;
    calibratorUpdate(ae.hist, 0, stat, unit * wc);
    s[AE.MASS] += unit * wc;
    s[AE.UNIT] = calibratorAdvance(ae.hist, s, AE.MASS, 1, unit, horizon);
  } else {
    w = gate(0);
  }
  if (w > 0) {
    // reservoir sample of the raw deviation windows (newest first)
    if (ae.res.length === 0) ae.res = new Float32Array(RESERVOIR * D);
    const seen = s[AE.RES_SEEN];
    s[AE.RES_SEEN] = seen + 1;
    let slot = seen;
    if (seen >= RESERVOIR) {
      // deterministic pseudo-random slot from the count (no extra state)
      const r = Math.floor(frac(Math.sin(seen * 12.9898) * 43758.5453) * (seen + 1));
      slot = r < RESERVOIR ? r : -1;
    }
    if (slot >= 0) {
      for (let l = 0; l < k; l++) {
        const src = ((pos - l + 2 * k) % k) * d;
        ae.res.set(ae.ring.subarray(src, src + d), slot * D + l * d);
      }
    }
  }
  return surprise;
}

function frac(x: number): number {
  return x - Math.floor(x);
}

/**
 * Trains the autoencoder on the reservoir, scaled by `scale` (the PCA model's scales, just
 * fitted), fixes the error normaliser, and starts a new reservoir when `reset`.
 */
export function fitAe(ae: AeState, scale: Float32Array, reset: boolean): void {
  const { d, k, h, w1, b1, w2, b2 } = ae;
  const D = d * k;
  const n = Math.min(RESERVOIR, ae.s[AE.RES_SEEN]);
  if (n < 4 * BATCH) return;
  // scaled, clipped training windows
  const data = new Float32Array(n * D);
  for (let t = 0; t < n; t++)
    for (let l = 0; l < k; l++)
      for (let a = 0; a < d; a++) {
        const z = ae.res[t * D + l * d + a] / scale[a];
        data[t * D + l * d + a] = z > Z_CLIP ? Z_CLIP : z < -Z_CLIP ? -Z_CLIP : z;
      }
  const params = [w1, b1, w2, b2];
  const grads = params.map((p) => new Float64Array(p.length));
  const m1 = params.map((p) => new Float64Array(p.length));
  const m2 = params.map((p) => new Float64Array(p.length));
  const [gw1, gb1, gw2, gb2] = grads;
  const x = new Float64Array(D);
  const hid = new Float64Array(h);
  const e = new Float64Array(D);
  const dh = new Float64Array(h);
  const rand = seededRandom(0xae + ae.s[AE.FITS]);
  const steps = ae.s[AE.FITS] > 0 ? STEPS_REFIT : STEPS_FIRST;
  const b1c = 0.9;
  const b2c = 0.999;
  for (let step = 1; step <= steps; step++) {
    for (const g of grads) g.fill(0);
    for (let b = 0; b < BATCH; b++) {
      const t = Math.floor(rand() * n);
      for (let i = 0; i < D; i++) x[i] = data[t * D + i];
      for (let j = 0; j < h; j++) {
        let acc = b1[j];
        const row = j * D;
        for (let i = 0; i < D; i++) acc += w1[row + i] * x[i];
        hid[j] = Math.tanh(acc);
      }
      dh.fill(0);
      for (let i = 0; i < D; i++) {
        let y = b2[i];
        const row = i * h;
        for (let j = 0; j < h; j++) y += w2[row + j] * hid[j];
        const ei = (2 * (y - x[i])) / BATCH;
        e[i] = ei;
        gb2[i] += ei;
        for (let j = 0; j < h; j++) {
          gw2[row + j] += ei * hid[j];
          dh[j] += ei * w2[row + j];
        }
      }
      for (let j = 0; j < h; j++) {
        const g = dh[j] * (1 - hid[j] * hid[j]);
        gb1[j] += g;
        const row = j * D;
        for (let i = 0; i < D; i++) gw1[row + i] += g * x[i];
      }
    }
    const c1 = 1 - Math.pow(b1c, step);
    const c2 = 1 - Math.pow(b2c, step);
    for (let p = 0; p < params.length; p++) {
      const w = params[p];
      const g = grads[p];
      const ma = m1[p];
      const va = m2[p];
      for (let i = 0; i < w.length; i++) {
        ma[i] = b1c * ma[i] + (1 - b1c) * g[i];
        va[i] = b2c * va[i] + (1 - b2c) * g[i] * g[i];
        w[i] -= (LR * (ma[i] / c1)) / (Math.sqrt(va[i] / c2) + 1e-8);
      }
    }
  }
  // normaliser: mean reconstruction error on the training windows
  let total = 0;
  for (let t = 0; t < n; t++) {
    for (let i = 0; i < D; i++) x[i] = data[t * D + i];
    total += recError(ae, x, hid);
  }
  ae.s[AE.NORM] = Math.max(1e-9, total / n);
  ae.s[AE.FITS] += 1;
  if (reset) ae.s[AE.RES_SEEN] = 0;
}
