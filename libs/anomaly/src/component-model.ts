import type { ForecastBatch } from './forecaster';
import type { DenseForecaster } from './neural-forecaster';
import { JUMP_LOW, JumpCounts } from './jump-counts';
import * as metricModel from './metric-model';
import type { MetricForecast, MetricSettings, MetricState } from './metric-model';
import { growJoint, newJointState, scoreAndUpdateJoint, type JointBaseline, type JointState } from './multi-metric';
import { buildSignature, ZERO_SIGNATURE } from './signature';
import * as severityModule from './severity';
import type { ComponentSample, ComponentStatusInfo, Detection, MetricContribution, Severity, SeverityThresholds } from './types';

// Module-local copies of what the per-sample code uses (see metric-model.ts: in CommonJS output
// every use of an imported binding is a getter call).
const { metricScale, newMetricState, S, scoreAndUpdateMetric } = metricModel;
const { scoreOfSurprise, severityOf } = severityModule;

/** Component-level scalars (flat Float64Array so the state snapshots exactly). */
export const C = {
  N: 0,
  LAST_T: 1,
  LAST_SCORE: 2,
  REFRACT_LEFT: 3,
  /** Exponential average of a multi-metric component's surprise (evidence of the last few samples). */
  EMA: 4,
  /** Next slot of the evidence window (multi-metric components). */
  WIN_POS: 5,
  /** EVIDENCE_WINDOW slots: the component's surprise of its last samples. */
  WIN: 6,
  SIZE: 6 + 10,
} as const;
/** Samples over which a multi-metric component's evidence is averaged (the slots of C.WIN). */
export const EVIDENCE_WINDOW = C.SIZE - C.WIN;
/** C.SIZE of snapshots written before the evidence window (read with the window empty). */
export const C_SIZE_V1 = 5;

/**
 * The metrics of a batch's samples as rows (one per metric of each sample, in the order of the
 * samples and of their `values`): name, value and the metric's index in its component (-1:
 * over maxMetrics, ignored). Filled once by the detector, so scoring does not walk each
 * sample's Map again.
 */
export interface BatchRows {
  metric: Int32Array;
  name: string[];
  value: Float64Array;
}

/** Settings of every component of a detector. */
export interface ComponentSettings extends MetricSettings {
  maxMetrics: number;
  featureDim: number;
  refractory: number;
  thresholds: SeverityThresholds;
  /** Cross-metric jump counts for components of two or more metrics (jump-counts.ts). */
  jumpCounts: boolean;
}

const SEVERITIES: Severity[] = ['none', 'low', 'medium', 'high'];
/**
 * Trust in the joint model's surprise, as for the per-metric statistics (metric-model.ts): a
 * calibrated p-value of one in N turns up every N samples on clean data, so evidence is tempered.
 */
const W_JOINT = 0.6;
/** Memory of the accumulated surprise of multi-metric components, per sample (about five samples). */
const JOINT_EMA = 0.8;
/** Trust in the jump counts' surprise (an exact count histogram: a rare count is rare). */
const W_JUMPS = 0.8;

/** Scratch of `score` (scoring is synchronous): per contribution its surprise, z and metric index. */
let SURPRISE = new Float64Array(64);
let ZS = new Float64Array(64);
let IDX = new Int32Array(64);
let JUMPS = new Float64Array(64);
function growScratch(n: number): void {
  JUMPS = new Float64Array(2 * n);
  SURPRISE = new Float64Array(2 * n);
  ZS = new Float64Array(2 * n);
  IDX = new Int32Array(2 * n);
}
let POS = new Int32Array(64);
let XS = new Float64Array(64);
const FORECAST: MetricForecast = { expected: 0, spread: 0, features: new Float32Array(0), featureOffset: 0 };

/**
 * State and scoring of one component: one MetricState per metric (created on first sight,
 * up to maxMetrics), combined into one calibrated score per sample.
 */
export class ComponentModel {
  readonly c = new Float64Array(C.SIZE);
  readonly names: string[] = [];
  readonly metrics: MetricState[] = [];
  private readonly index = new Map<string, number>();
  /** Joint (PCA) model once the component has two or more metrics. */
  joint: JointState | undefined;
  /** Cross-metric jump counts once the component has two or more metrics (when enabled). */
  jumps: JumpCounts | undefined;
  lastSeverity: Severity = 'none';
  /** The component's own forecaster (shared base + its LoRA adapter), set by the detector; not state. */
  forecaster: DenseForecaster | undefined;
  /** Metric indices in name order, and each metric's rank in it (rebuilt when metrics are added). */
  private byName: Int32Array | undefined;
  private rank: Int32Array | undefined;
  /** Scratch of the detector's current batch (not state): see `scoreBatch`. */
  readonly batch: { stamp: number; lastT: number; first?: ComponentSample; pending?: Array<number[] | undefined> } = { stamp: 0, lastT: 0 };
  /** The metrics' baselines as the joint model sees them. */
  private readonly baseline: JointBaseline = {
    mean: (a) => this.metrics[a].s[S.MEAN],
    range: (a) => this.metrics[a].s[S.HI] - this.metrics[a].s[S.LO],
  };

  constructor(
    readonly component: string,
    private readonly cfg: ComponentSettings,
  ) {
    this.c[C.LAST_T] = Number.NEGATIVE_INFINITY;
  }

  get featureDim(): number {
    return this.cfg.featureDim;
  }

  get samplesSeen(): number {
    return this.c[C.N];
  }

  get phase(): 'learning' | 'scoring' {
    return this.c[C.N] < this.cfg.warmup ? 'learning' : 'scoring';
  }

  /**
   * Index of a metric, creating its state; -1 when the component is at maxMetrics. `hint`: where
   * it probably is (its position in the sample: a component's samples usually list their metrics
   * in the same order), checked before the name lookup.
   */
  metricIndex(name: string, create: boolean, hint = -1): number {
    if (hint >= 0 && this.names[hint] === name) return hint;
    const i = this.index.get(name);
    if (i !== undefined) return i;
    if (!create || this.names.length >= this.cfg.maxMetrics) return -1;
    this.names.push(name);
    this.metrics.push(newMetricState(this.cfg.featureDim));
    this.index.set(name, this.names.length - 1);
    return this.names.length - 1;
  }

  /** Adds a metric with a given state (restore). */
  addMetric(name: string, st: MetricState): void {
    this.names.push(name);
    this.metrics.push(st);
    this.index.set(name, this.names.length - 1);
  }

  /** Why this sample cannot be applied to this component now (time going back), or undefined. */
  check(sample: ComponentSample): string | undefined {
    if (sample.timeMs < this.c[C.LAST_T]) return `'timeMs' ${sample.timeMs} is before the component's last sample (${this.c[C.LAST_T]})`;
    return undefined;
  }

  /**
   * Scores one sample and learns from it. Its metrics are the batch rows `offset .. offset+count`
   * (`rows`: name, value and index in this component, -1 when over maxMetrics and ignored), and
   * row r of `fc` is the forecast for row r.
   */
  score(sample: ComponentSample, fc: ForecastBatch, offset: number, count: number, rows: BatchRows): Detection {
    const F = this.cfg.featureDim;
    const learning = this.c[C.N] < this.cfg.warmup;
    const phase = learning ? 'learning' : 'scoring';
    let contributions: MetricContribution[] = new Array(count);
    // per contribution: surprise, robust z and metric index (scratch, grown on demand)
    if (SURPRISE.length < count) growScratch(count);
    const mf = FORECAST;
    mf.features = fc.features;
    const rowMetric = rows.metric;
    let jc: JumpCounts | undefined;
    if (this.cfg.jumpCounts && this.names.length >= 2) {
      jc = this.jumps ??= new JumpCounts(this.names.length);
      jc.grow(this.names.length);
    }
    let best = 0;
    let kept = 0;
    for (let r = offset; r < offset + count; r++) {
      const idx = rowMetric[r];
      if (idx < 0) continue;
      const value = rows.value[r];
      mf.expected = fc.expected[r];
      mf.spread = fc.spread[r];
      mf.featureOffset = r * F;
      // (the jump is measured against the values before this one)
      if (jc) JUMPS[kept] = jc.jump(idx, value, this.metrics[idx], !learning, this.cfg.horizon);
      const m = scoreAndUpdateMetric(this.metrics[idx], value, sample.timeMs, mf, this.cfg);
      const k = kept++;
      SURPRISE[k] = m.surprise;
      ZS[k] = m.z;
      IDX[k] = idx;
      if (m.surprise > best) best = m.surprise;
      contributions[k] = { metric: rows.name[r], value, expected: m.expected, score: learning ? 0 : scoreOfSurprise(m.surprise) };
    }
    const m = kept;
    if (m < count) contributions = contributions.slice(0, m); // (metrics over maxMetrics are ignored)
    // Bonferroni: the most surprising of m metrics is m times more likely to look surprising by chance.
    let surprise = softClip(best - Math.log10(Math.max(1, m)));
    if (this.names.length >= 2) {
      if (!this.joint || this.joint.dim < this.names.length) this.joint = this.joint ? growJoint(this.joint, this.names.length) : newJointState(this.names.length);
      if (XS.length < this.joint.dim) XS = new Float64Array(2 * this.joint.dim);
      const xs = XS.subarray(0, this.joint.dim).fill(Number.NaN);
      for (let k = 0; k < m; k++) xs[IDX[k]] = contributions[k].value;
      const js = scoreAndUpdateJoint(this.joint, xs, this.baseline, this.cfg, learning);
      let evidence = Math.max(surprise, W_JOINT * js);
      if (jc) {
        const jumps = W_JUMPS * jc.surprise(JUMPS, m, learning, js, this.cfg.warmup, this.cfg.horizon);
        if (jumps > evidence) {
          evidence = jumps;
          // the metrics that jumped are the ones to report first
          for (let k = 0; k < m; k++) {
            if (!(JUMPS[k] > JUMP_LOW) || SURPRISE[k] >= jumps) continue;
            SURPRISE[k] = jumps;
            contributions[k].score = scoreOfSurprise(jumps);
          }
        }
      }
      // (the correction is over the per-metric and joint evidence; the jump counts are exact counts of this component)
      surprise = softClip(evidence - Math.log10(2));
      // Incidents of a multi-metric component (a server) last minutes: weak evidence that persists
      // over a few samples adds up; one sample's evidence is never discounted.
      const c = this.c;
      c[C.EMA] = JOINT_EMA * c[C.EMA] + (1 - JOINT_EMA) * surprise;
      surprise = Math.max(surprise, c[C.EMA]);
      // A deviation that lasts counts by its average over the last EVIDENCE_WINDOW samples
      // (ten minutes of a server at one sample a minute), so a sustained incident keeps its
      // score while single samples dip; one sample's own evidence still counts at once.
      const pos = c[C.WIN_POS];
      c[C.WIN + pos] = surprise;
      c[C.WIN_POS] = pos + 1 === EVIDENCE_WINDOW ? 0 : pos + 1;
      let sum = 0;
      for (let k = C.WIN; k < C.SIZE; k++) sum += c[k];
      surprise = Math.max(surprise, sum / EVIDENCE_WINDOW);
    } else {
      // Single metric: after an alarm, repeats within `refractorySamples` count half.
      surprise *= this.damping();
    }
    let score = learning ? 0 : scoreOfSurprise(surprise);
    if (!Number.isFinite(score)) score = 0;
    const severity = severityOf(score, this.cfg.thresholds);
    if (severity !== 'none' && this.cfg.refractory > 0 && this.c[C.REFRACT_LEFT] <= 0) this.c[C.REFRACT_LEFT] = this.cfg.refractory;
    this.c[C.N] += 1;
    this.c[C.LAST_T] = sample.timeMs;
    this.c[C.LAST_SCORE] = score;
    this.lastSeverity = severity;

    let metrics = contributions;
    let signature = ZERO_SIGNATURE;
    if (m > 1 || severity !== 'none') {
      // most surprising first (ties by name)
      const order = m > 1 ? this.order(m) : [0];
      // Signatures serve the search for similar past incidents: built for flagged samples only.
      if (severity !== 'none' && m > 0) {
        const st = this.metrics[IDX[order[0]]];
        signature = buildSignature(
          recentWindow(st),
          order.map((k) => ({ metric: contributions[k].metric, z: ZS[k] })),
        );
      }
      if (m > 1) metrics = order.map((k) => contributions[k]);
    }
    return { component: this.component, timeMs: sample.timeMs, score, severity, phase, metrics, signature };
  }

  /**
   * Contribution indices, most surprising first, ties by metric name. Most metrics of a sample
   * carry no evidence (surprise 0): only the others are sorted, the rest follow in name order.
   */
  private order(m: number): number[] {
    if (!this.byName || this.byName.length !== this.names.length) {
      const names = this.names;
      this.byName = Int32Array.from(names.keys()).sort((a, b) => (names[a] < names[b] ? -1 : names[a] > names[b] ? 1 : 0));
      this.rank = new Int32Array(names.length);
      this.byName.forEach((idx, r) => (this.rank![idx] = r));
    }
    const rank = this.rank!;
    const out: number[] = [];
    if (POS.length < this.names.length) POS = new Int32Array(2 * this.names.length);
    POS.fill(-1, 0, this.names.length);
    for (let k = 0; k < m; k++) {
      POS[IDX[k]] = k;
      if (SURPRISE[k] > 0) out.push(k);
    }
    out.sort((a, b) => SURPRISE[b] - SURPRISE[a] || rank[IDX[a]] - rank[IDX[b]]);
    for (const idx of this.byName!) {
      const k = POS[idx];
      if (k >= 0 && !(SURPRISE[k] > 0)) out.push(k);
    }
    return out;
  }

  /** Factor on the instant surprise: 0.5 during the refractory period after an alarm, else 1. */
  private damping(): number {
    if (this.c[C.REFRACT_LEFT] <= 0) return 1;
    this.c[C.REFRACT_LEFT] -= 1;
    return 0.5;
  }

  status(): ComponentStatusInfo {
    return {
      component: this.component,
      phase: this.phase,
      samplesSeen: this.c[C.N],
      lastScore: this.c[C.LAST_SCORE],
      lastSeverity: this.lastSeverity,
      lastTimeMs: this.c[C.LAST_T],
      metrics: this.names.map((metric, i) => {
        const s = this.metrics[i].s;
        return { metric, last: s[S.LAST], mean: s[S.MEAN], std: Math.sqrt(Math.max(0, s[S.VAR])), samples: s[S.N] };
      }),
    };
  }

  /**
   * The signature of the component's latest sample (`Detection.signature`) whatever its
   * severity: the recent window of `metric` (default: the first metric) and each metric's
   * deviation of its latest value from its baseline. The all-zero signature before any sample.
   */
  windowSignature(metric?: string): Float32Array {
    const k = metric !== undefined ? this.metricIndex(metric, false) : 0;
    if (this.names.length === 0 || k < 0) return new Float32Array(ZERO_SIGNATURE);
    const st = this.metrics[k];
    return buildSignature(
      recentWindow(st),
      this.names.map((name, i) => {
        const s = this.metrics[i].s;
        return { metric: name, z: (s[S.LAST] - s[S.MEAN]) / metricScale(s) };
      }),
    );
  }

  severityCode(): number {
    return SEVERITIES.indexOf(this.lastSeverity);
  }

  setSeverityCode(code: number): void {
    this.lastSeverity = SEVERITIES[code] ?? 'none';
  }
}

/** A metric's recent values and baseline, as `buildSignature` reads the window shape from them. */
function recentWindow(st: MetricState): Parameters<typeof buildSignature>[0] {
  return { ring: st.ring, pos: st.s[S.RING_POS], fill: st.s[S.RING_FILL], mean: st.s[S.MEAN], scale: metricScale(st.s) };
}

/**
 * log10(1 + 10^x): 0 for very negative x, x for large x. A Bonferroni correction can push a
 * surprise below zero; a hard clip would tie all those samples at 0 and lose their order.
 */
export function softClip(x: number): number {
  return x > 6 ? x : Math.log10(1 + Math.pow(10, x));
}
