import { CAL_BINS, calibratorAdvance, calibratorSurprise, calibratorUpdate } from './calibrator';

/**
 * Experiments (not in snapshots, off by default): extra cross-metric statistics of a
 * multi-metric component, each calibrated against its own history like the joint SPE
 * (own histogram, gated samples — surprise > GATE — counted 1/32).
 *
 *  - count  (xCount=α):  how many metrics are beyond their own p < α at once; the statistic fed
 *    to the calibrator is the binomial surprise −log10 P(Bin(m, α) ≥ c) (xCountMode=cal), or that
 *    surprise used directly (xCountMode=binom).
 *  - hc     (xHc=1): higher criticism of the per-metric p-values (HC+, i ≤ m/2).
 *  - knn    (xKnn=k): distance of the scaled deviation vector to its k-th nearest neighbour in a
 *    reservoir (xKnnRes, default 2000) of past ungated vectors.
 */
export interface ExpSettings {
  [k: string]: unknown;
}

const GATE = 2;
const CAL_GATED = 1 / 32;

export class Calib {
  hist = new Float32Array(CAL_BINS);
  s = new Float64Array(2); // mass, unit
  constructor() {
    this.s[1] = 1;
  }
  surprise(z: number): number {
    return calibratorSurprise(this.hist, 0, this.s[0], this.s[1], z);
  }
  update(z: number, w: number, horizon: number): void {
    const unit = this.s[1];
    calibratorUpdate(this.hist, 0, z, unit * w);
    this.s[0] += unit * w;
    this.s[1] = calibratorAdvance(this.hist, this.s, 0, 1, unit, horizon);
  }
}

/** Calibrator of a small integer statistic (0..63): exact counts with exponential forgetting, p = (tail + 1)/(mass + 1), no prior. */
export class CountCal {
  hist = new Float64Array(64);
  mass = 0;
  unit = 1;
  surprise(c: number): number {
    if (this.mass < 5 * this.unit) return 0;
    const b = Math.min(63, Math.round(c));
    let tail = 0;
    for (let j = b; j < 64; j++) tail += this.hist[j];
    const p = (tail + this.unit) / (this.mass + this.unit);
    return p >= 1 ? 0 : -Math.log10(p);
  }
  update(c: number, w: number, horizon: number): void {
    this.hist[Math.min(63, Math.round(c))] += this.unit * w;
    this.mass += this.unit * w;
    this.unit /= 1 - 1 / horizon;
    if (this.unit > 1e200) {
      for (let j = 0; j < 64; j++) this.hist[j] /= this.unit;
      this.mass /= this.unit;
      this.unit = 1;
    }
  }
}

/** log10 of the upper tail P(Bin(m, a) ≥ c). */
export function binomSurprise(m: number, a: number, c: number): number {
  if (c <= 0) return 0;
  // sum_{i>=c} C(m,i) a^i (1-a)^(m-i), in logs
  let lp = 0; // log P(X = 0)
  lp = m * Math.log(1 - a);
  let terms: number[] = [lp];
  for (let i = 1; i <= m; i++) {
    lp += Math.log((m - i + 1) / i) + Math.log(a / (1 - a));
    terms.push(lp);
  }
  terms = terms.slice(c);
  const mx = Math.max(...terms);
  let s = 0;
  for (const t of terms) s += Math.exp(t - mx);
  return Math.max(0, -(mx + Math.log(s)) / Math.LN10);
}

let PS = new Float64Array(64);

/** Higher criticism (HC+) of the p-values 10^-surprise[k], k < m. */
export function higherCriticism(surprise: Float64Array, m: number): number {
  if (PS.length < m) PS = new Float64Array(2 * m);
  for (let k = 0; k < m; k++) PS[k] = Math.pow(10, -surprise[k]);
  const p = PS.subarray(0, m).sort();
  let best = 0;
  for (let i = 1; i <= Math.max(1, Math.floor(m / 2)); i++) {
    const pi = Math.min(1 - 1e-12, Math.max(p[i - 1], 1e-12));
    if (pi < 1 / m) continue;
    const hc = (Math.sqrt(m) * (i / m - pi)) / Math.sqrt(pi * (1 - pi));
    if (hc > best) best = hc;
  }
  return best;
}

export class Knn {
  res: Float32Array;
  fill = 0;
  seen = 0;
  seed = 12345;
  norm = 0;
  normAcc = 0;
  normN = 0;
  best: Float64Array;
  constructor(
    readonly d: number,
    readonly size: number,
    readonly k: number,
  ) {
    this.res = new Float32Array(size * d);
    this.best = new Float64Array(k);
  }
  rand(): number {
    this.seed = (Math.imul(this.seed, 1664525) + 1013904223) >>> 0;
    return this.seed / 4294967296;
  }
  /** k-th NN distance of z (scaled deviations), normalised; NaN when the reservoir is too small. */
  distance(z: Float64Array): number {
    const d = this.d;
    const k = this.k;
    if (this.fill < 4 * k) return Number.NaN;
    const best = this.best;
    best.fill(Infinity);
    const res = this.res;
    for (let r = 0; r < this.fill; r++) {
      let s = 0;
      const o = r * d;
      const lim = best[k - 1];
      for (let a = 0; a < d; a++) {
        const t = z[a] - res[o + a];
        s += t * t;
        if (s >= lim) break;
      }
      if (s < lim) {
        let i = k - 1;
        while (i > 0 && best[i - 1] > s) {
          best[i] = best[i - 1];
          i--;
        }
        best[i] = s;
      }
    }
    return Math.sqrt(best[k - 1]);
  }
  add(z: Float64Array, horizon: number): void {
    const d = this.d;
    this.seen++;
    if (this.fill < this.size) {
      this.res.set(z.subarray(0, d), this.fill * d);
      this.fill++;
      return;
    }
    const n = Math.min(this.seen, horizon);
    if (this.rand() < this.size / n) {
      const slot = Math.floor(this.rand() * this.size);
      this.res.set(z.subarray(0, d), slot * d);
    }
  }
}

export { GATE as EXP_GATE, CAL_GATED as EXP_CAL_GATED };
