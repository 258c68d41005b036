import { InvalidArgumentError } from '@x0/core';

/** Default drift thresholds: PSI above 0.2 and a KS p-value below 0.05, both on one feature. */
export const DEFAULT_DRIFT_THRESHOLDS = { maxPsi: 0.2, ksAlpha: 0.05 } as const;

/** Drift of one input feature against the reference window. */
export interface FeatureDrift {
  feature: number;
  psi: number;
  ksStatistic: number;
  ksPValue: number;
  drifted: boolean;
}

/**
 * Population Stability Index of `current` against `reference`, over `bins` bins cut at the
 * reference's quantiles (equal-mass bins; repeated cut points merged) plus one bin on each
 * side of the reference's range. Proportions are
 * floored at 1e-4 so an empty bin counts as rare, not infinite. Rule of thumb: < 0.1
 * stable, 0.1–0.25 moderate shift, > 0.25 major shift. Without any drift its expected value
 * is about (bins − 1)·(1/n + 1/m), which is why the monitor needs a few hundred samples.
 */
export function psi(reference: readonly number[], current: readonly number[], bins = 10): number {
  if (reference.length === 0 || current.length === 0) throw new InvalidArgumentError('', 'psi needs non-empty reference and current samples');
  if (!Number.isInteger(bins) || bins < 2) throw new InvalidArgumentError('bins', `must be an integer >= 2, got ${bins}`);
  const sorted = [...reference].sort((a, b) => a - b);
  const min = sorted[0];
  const max = sorted[sorted.length - 1];
  const edges: number[] = [];
  for (let k = 1; k < bins; k++) {
    const e = sorted[Math.min(sorted.length - 1, Math.floor((k * sorted.length) / bins))];
    if (e > min && (edges.length === 0 || e > edges[edges.length - 1])) edges.push(e);
  }
  // Bins: below the reference's range, [min, e0), [e0, e1), ..., [e_last, max], above its range.
  // The two outer bins catch a move out of the range even when the reference is constant.
  const bin = (x: number) => (x < min ? 0 : x > max ? edges.length + 2 : 1 + upperBound(edges, x));
  const hist = (xs: readonly number[]) => {
    const counts = new Array<number>(edges.length + 3).fill(0);
    for (const x of xs) counts[bin(x)]++;
    return counts.map((c) => Math.max(c / xs.length, 1e-4));
  };
  const p = hist(reference);
  const q = hist(current);
  return p.reduce((sum, pi, i) => sum + (q[i] - pi) * Math.log(q[i] / pi), 0);
}

/**
 * Two-sample Kolmogorov–Smirnov test: the largest gap D between the two empirical CDFs and
 * its asymptotic p-value (Numerical Recipes' Q_KS with the Stephens correction).
 */
export function ksTest(a: readonly number[], b: readonly number[]): { statistic: number; pValue: number } {
  if (a.length === 0 || b.length === 0) throw new InvalidArgumentError('', 'ks test needs two non-empty samples');
  const x = [...a].sort((u, v) => u - v);
  const y = [...b].sort((u, v) => u - v);
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i], y[j]);
    while (i < x.length && x[i] === v) i++;
    while (j < y.length && y[j] === v) j++;
    d = Math.max(d, Math.abs(i / x.length - j / y.length));
  }
  const en = Math.sqrt((x.length * y.length) / (x.length + y.length));
  return { statistic: d, pValue: qKs((en + 0.12 + 0.11 / en) * d) };
}

/** Per-feature drift of `current` rows against `reference` rows (same width). */
export function featureDrift(
  reference: readonly (readonly number[])[],
  current: readonly (readonly number[])[],
  options: { maxPsi?: number; ksAlpha?: number; bins?: number } = {},
): FeatureDrift[] {
  const maxPsi = options.maxPsi ?? DEFAULT_DRIFT_THRESHOLDS.maxPsi;
  const ksAlpha = options.ksAlpha ?? DEFAULT_DRIFT_THRESHOLDS.ksAlpha;
  const width = reference[0]?.length ?? 0;
  const column = (rows: readonly (readonly number[])[], f: number) => rows.map((r) => r[f]);
  const out: FeatureDrift[] = [];
  for (let f = 0; f < width; f++) {
    const ref = column(reference, f);
    const cur = column(current, f);
    const p = psi(ref, cur, options.bins);
    const ks = ksTest(ref, cur);
    out.push({ feature: f, psi: p, ksStatistic: ks.statistic, ksPValue: ks.pValue, drifted: p > maxPsi && ks.pValue < ksAlpha });
  }
  return out;
}

/** Index of the first edge greater than x (edges ascending). */
function upperBound(edges: readonly number[], x: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (edges[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Kolmogorov distribution tail Q(λ) = 2 Σ (−1)^(j−1) e^(−2 j² λ²). */
function qKs(lambda: number): number {
  if (lambda < 1e-3) return 1;
  let sum = 0;
  let sign = 1;
  let prev = 0;
  for (let j = 1; j <= 100; j++) {
    const term = sign * 2 * Math.exp(-2 * j * j * lambda * lambda);
    sum += term;
    if (Math.abs(term) <= 1e-3 * prev || Math.abs(term) <= 1e-8 * sum) return Math.min(1, Math.max(0, sum));
    prev = Math.abs(term);
    sign = -sign;
  }
  return 1; // did not converge: λ is tiny, the samples are indistinguishable
}
