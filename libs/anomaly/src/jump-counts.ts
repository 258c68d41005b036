import * as metricModel from './metric-model';
import type { MetricState } from './metric-model';
import { RING_LENGTH } from './ring';

// Module-local copies of what the per-sample code uses (see metric-model.ts: in CommonJS output
// every use of an imported binding is a getter call).
const { S } = metricModel;
const RING = RING_LENGTH;

/**
 * Cross-metric jump counts of a multi-metric component: how many of its metrics jumped far from
 * where they just were, counted in each metric's plain (not winsorised) standard deviation, and
 * how rare such a count is for this component.
 *
 * Why: a metric that is almost always exactly 0 (an error counter, a disk queue, a rarely used
 * network interface) has a winsorised scale near 0, so each of its blips is a huge robust z and
 * its per-metric calibration learns that huge z is ordinary: a blip of 0.02 and a spike of 0.7
 * read alike. Its plain standard deviation keeps the size of what it did before (its old spikes
 * included), so a spike far beyond its usual blips is many plain deviations. Counted over the
 * component and calibrated once per component, the evidence pays one correction instead of one
 * per metric and per statistic. On the SMD dev machines it is what detects short incidents of
 * such metrics (docs/anomaly-detection.md, "Cross-metric jump counts").
 *
 * Statistics (per sample): a metric's jump is |x − mean of its last JUMP_WINDOW values| / its
 * plain running standard deviation before x. Count 1: metrics whose jump exceeds JUMP_LOW, kept
 * only when at least two do (one metric's moderate jump is the per-metric statistics' business);
 * count 2: metrics whose jump exceeds JUMP_HIGH. Each count has an exact, exponentially forgetting
 * histogram (`p = (tail + 1) / (mass + 1)`, no prior): its surprise is −log10 p.
 *
 * State (flat, snapshotted exactly): per metric [n, mean, var]; per component `s` (see `JC`).
 */
/** Bins of a count histogram: counts 0 … 62, and 63 or more. */
export const COUNT_BINS = 64;
export const JC = {
  /** Samples the counts have seen (surprise 0 until they have seen a warm-up's worth). */
  SEEN: 0,
  /** The joint model's surprise of the previous sample (the gate of the plain statistics). */
  PREV_JOINT: 1,
  /** Two count histograms of COUNT_BINS masses, each followed by its mass; then the unit. */
  CAL: 2,
  SIZE: 2 + 2 * (COUNT_BINS + 1) + 1,
} as const;
const UNIT = JC.SIZE - 1;
/** Values whose mean is the "where it just was" of a jump (the ring holds RING_LENGTH). */
export const JUMP_WINDOW = 30;
/** A jump beyond this many plain deviations counts when at least two metrics make one. */
export const JUMP_LOW = 15;
/** A jump beyond this many plain deviations counts alone. */
export const JUMP_HIGH = 30;
/** Per-metric plain statistics: n, mean, variance. */
export const PLAIN = 3;
/** Surprise beyond which a sample is an incident: the plain statistics do not learn it, the counts learn it at GATED_WEIGHT. */
const GATE = 2;
const GATED_WEIGHT = 1 / 32;
/** Histogram masses are rescaled before the unit overflows. */
const MAX_UNIT = 1e200;

if (JUMP_WINDOW > RING) throw new Error('JUMP_WINDOW exceeds the ring');

export class JumpCounts {
  readonly s = new Float64Array(JC.SIZE);
  /** PLAIN numbers per metric, in the component's metric order. */
  plain: Float64Array;

  constructor(metrics: number) {
    this.s[UNIT] = 1;
    this.plain = new Float64Array(PLAIN * metrics);
  }

  get metrics(): number {
    return this.plain.length / PLAIN;
  }

  /** Room for `metrics` metrics (new ones start empty). */
  grow(metrics: number): void {
    if (metrics <= this.metrics) return;
    const next = new Float64Array(PLAIN * metrics);
    next.set(this.plain);
    this.plain = next;
  }

  /**
   * The jump of metric `idx` to `x` (0 until its ring holds JUMP_WINDOW values and its plain
   * statistics have learnt as many: counts that start late, after a restore or when a component
   * gains a second metric, would otherwise divide by a deviation of 0), then learns x into its
   * plain statistics unless the component is in an incident (`scoring` and the joint surprise of
   * the previous sample beyond the gate). `st` is the metric's state before x.
   */
  jump(idx: number, x: number, st: MetricState, scoring: boolean, horizon: number): number {
    const p = this.plain;
    const o = PLAIN * idx;
    const sd = Math.sqrt(p[o + 2]);
    let out = 0;
    const s = st.s;
    if (s[S.RING_FILL] >= JUMP_WINDOW && p[o] >= JUMP_WINDOW) {
      let k = s[S.RING_POS];
      let sum = 0;
      for (let i = 0; i < JUMP_WINDOW; i++) {
        k = k === 0 ? RING - 1 : k - 1;
        sum += st.ring[k];
      }
      out = Math.abs(x - sum / JUMP_WINDOW) / Math.max(sd, 1e-9);
    }
    if (scoring && this.s[JC.PREV_JOINT] > GATE) return out;
    const n = (p[o] += 1);
    const a = Math.max(1 / n, 1 / horizon);
    const d = x - p[o + 1];
    p[o + 1] += a * d;
    p[o + 2] = n === 1 ? 0 : (1 - a) * (p[o + 2] + a * d * d);
    return out;
  }

  /**
   * The surprise of this sample's counts (the larger of the two; 0 while learning or until the
   * counts have seen `warmup` samples), then learns them: at full weight while learning or
   * while neither the count nor the joint model (`joint`) is beyond the gate, else at GATED_WEIGHT.
   */
  surprise(jumps: Float64Array, m: number, learning: boolean, joint: number, warmup: number, horizon: number): number {
    let low = 0;
    let high = 0;
    for (let k = 0; k < m; k++) {
      const j = jumps[k];
      if (j > JUMP_LOW) low++;
      if (j > JUMP_HIGH) high++;
    }
    if (low < 2) low = 0;
    const ready = !learning && this.s[JC.SEEN] >= warmup;
    const s1 = this.count(0, low, ready, learning, joint);
    const s2 = this.count(1, high, ready, learning, joint);
    this.s[JC.SEEN] += 1;
    this.s[JC.PREV_JOINT] = joint;
    this.advance(horizon);
    return s1 > s2 ? s1 : s2;
  }

  /** Surprise of `c` under histogram `h`, then its update (the unit advances once per sample, in `advance`). */
  private count(h: number, c: number, ready: boolean, learning: boolean, joint: number): number {
    const s = this.s;
    const at = JC.CAL + h * (COUNT_BINS + 1);
    const mass = s[at + COUNT_BINS];
    const unit = s[UNIT];
    const b = c >= COUNT_BINS ? COUNT_BINS - 1 : c;
    let surprise = 0;
    if (ready && c > 0 && mass >= 5 * unit) {
      let tail = 0;
      for (let j = b; j < COUNT_BINS; j++) tail += s[at + j];
      surprise = -Math.log10((tail + unit) / (mass + unit));
    }
    const w = learning || (surprise <= GATE && joint <= GATE) ? 1 : GATED_WEIGHT;
    s[at + b] += unit * w;
    s[at + COUNT_BINS] = mass + unit * w;
    return surprise;
  }

  /** Exponential forgetting by growing the weight of the next observation (see calibrator.ts). */
  private advance(horizon: number): void {
    const s = this.s;
    s[UNIT] /= 1 - 1 / horizon;
    if (s[UNIT] < MAX_UNIT) return;
    const u = s[UNIT];
    for (let i = JC.CAL; i < UNIT; i++) s[i] /= u;
    s[UNIT] = 1;
  }
}
