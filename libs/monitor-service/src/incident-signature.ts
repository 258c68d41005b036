import { SIGNATURE_DIM } from '@x0/anomaly';

/** How far one metric is from its baseline, in baseline standard deviations (signed). */
export interface MetricZ {
  metric: string;
  z: number;
}

/**
 * z-score of each metric against its baseline (mean, spread), with a floor on the spread of
 * 2 % of the mean so near-constant metrics do not explode. Metrics without a baseline are left out.
 */
export function metricZScores(values: ReadonlyMap<string, number>, baseline: (metric: string) => { mean: number; std: number } | undefined): MetricZ[] {
  const out: MetricZ[] = [];
  for (const [metric, value] of values) {
    const b = baseline(metric);
    if (!b || !(b.std > 0) || !Number.isFinite(b.mean)) continue;
    out.push({ metric, z: (value - b.mean) / Math.max(b.std, 0.02 * Math.abs(b.mean)) });
  }
  return out;
}

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function normalise(v: Float32Array, from: number, to: number, scale: number): void {
  let n = 0;
  for (let i = from; i < to; i++) n += v[i] * v[i];
  n = Math.sqrt(n);
  if (n === 0) return;
  for (let i = from; i < to; i++) v[i] = (v[i] / n) * scale;
}

/**
 * The incident signature put on an Anomaly (and searched by the analyze phase): unit length,
 * SIGNATURE_DIM floats, two halves of equal weight —
 * - *what moved*: each metric's deviation, tanh(z/4) (direction and size, saturating), added
 *   into a bucket chosen by hashing the metric name (signed feature hashing), so incidents of
 *   the same kind on different components (both "cpu up, latency up") land close together;
 * - *how it moved*: the detector's window-shape signature folded to half the length.
 * A half with nothing in it stays zero.
 */
export function incidentSignature(shape: ArrayLike<number>, deviations: readonly MetricZ[], dim = SIGNATURE_DIM): Float32Array {
  const half = dim >> 1;
  const out = new Float32Array(dim);
  for (const d of deviations) {
    const h = fnv1a(d.metric);
    out[h % half] += (h & 0x10000 ? 1 : -1) * Math.tanh(d.z / 4);
  }
  for (let i = 0; i < shape.length; i++) out[half + (i % half)] += shape[i];
  const s = Math.SQRT1_2;
  normalise(out, 0, half, s);
  normalise(out, half, dim, s);
  return out;
}
