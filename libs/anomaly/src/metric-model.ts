import * as calibrator from './calibrator';
import { RING_LENGTH } from './ring';

// Module-local copies of what the per-sample code uses from other modules: in CommonJS output
// (tsx, jest) every use of an imported binding is a getter call on the exporting module's
// object, which costs about a third of the scoring time of single-metric components.
const { CAL_BINS, calibratorSurprises, calibratorUpdates } = calibrator;

/**
 * Per-metric streaming state and scoring: robust location/scale, a value envelope,
 * the forecast-residual scale, one calibrator per statistic and a linear adapter on the
 * shared forecaster's features. All numbers live in a
 * flat Float64Array (`S.*` offsets) plus a float32 ring of recent raw values, so the
 * state serialises exactly.
 */
/** Number of calibrated statistics per metric: forecast residual, level, time-of-day, volatility, mean shift. */
export const DETECTORS = 5;
/** Time-of-day profile bins (hours). */
export const SEASON_BINS = 24;

export const S = {
  N: 0,
  MEAN: 1,
  VAR: 2,
  HI: 3,
  LO: 4,
  RES_VAR: 5,
  LAST_T: 6,
  DT: 7,
  GAP_LEFT: 8,
  RING_POS: 9,
  RING_FILL: 10,
  LAST: 11,
  VOL_REF: 12,
  /** Fast exponential average of the value (mean-shift detector). */
  FAST: 14 + DETECTORS,
  /** Weight of the next observation in the calibrators (lazy forgetting, see calibrator.ts). */
  UNIT: 13,
  /** DETECTORS calibrator masses */
  MASS: 14,
  SIZE: 14 + DETECTORS + 1,
} as const;

/** Settings shared by every metric of a detector. */
export interface MetricSettings {
  warmup: number;
  horizon: number;
  gapFactor: number;
}

/** Result of scoring one value of one metric. */
export interface MetricScore {
  expected: number;
  /** -log10 tail probability of the most surprising statistic (0 while learning). */
  surprise: number;
  /** Robust z of the value against the baseline (signed), for signatures and status. */
  z: number;
}

const TINY = 1e-12;
/** Scratch for the four statistics (scoring is synchronous, so one buffer serves every call). */
const STATS = new Float64Array(DETECTORS);
const RING = RING_LENGTH;

export const HIST_SIZE = DETECTORS * CAL_BINS;

/** The whole state of one metric. */
export interface MetricState {
  s: Float64Array;
  ring: Float32Array;
  hist: Float32Array;
  /** Linear adapter on the shared forecaster's features (featureDim weights + bias). */
  adapter: Float32Array;
  /** Time-of-day profile: SEASON_BINS × (count, mean, var), float32 to bound the state size. */
  season: Float32Array;
}

export const SEASON_SIZE = 3 * SEASON_BINS;

/** The forecaster's view of one value: base forecast, window spread and features (may be empty). */
export interface MetricForecast {
  expected: number;
  spread: number;
  /** Features of this row start at `featureOffset`. */
  features: Float32Array;
  featureOffset: number;
}

/** Adapter weights per metric: features + bias. */
export function adapterSize(featureDim: number): number {
  return featureDim > 0 ? featureDim + 1 : 0;
}
const ADAPTER_RATE = 0.02;

/**
 * A fresh metric state. All of its arrays are views of one buffer, so the state a sample touches
 * is contiguous in memory (scoring many components is bound by memory latency).
 */
export function newMetricState(featureDim: number): MetricState {
  const A = adapterSize(featureDim);
  const buf = new ArrayBuffer(8 * S.SIZE + 4 * (RING_LENGTH + HIST_SIZE + A + SEASON_SIZE));
  let at = 8 * S.SIZE;
  const f32 = (n: number) => {
    const a = new Float32Array(buf, at, n);
    at += 4 * n;
    return a;
  };
  const st: MetricState = { s: new Float64Array(buf, 0, S.SIZE), ring: f32(RING_LENGTH), adapter: f32(A), season: f32(SEASON_SIZE), hist: f32(HIST_SIZE) };
  st.s[S.LAST_T] = Number.NaN;
  st.s[S.UNIT] = 1;
  return st;
}

export function metricScale(s: Float64Array): number {
  return Math.sqrt(Math.max(s[S.VAR], TINY * (1 + s[S.MEAN] * s[S.MEAN])));
}

/**
 * Trust in each detector's surprise (residual, level, time-of-day, volatility, mean shift): a new extreme
 * value is the most reliable evidence on real metrics; the others see more benign novelty.
 */
const W_DET = [0.6, 1, 0.6, 0.3, 0.8];
/**
 * A detector's surprise counts only above log10(DETECTORS) (the Bonferroni correction below), i.e.
 * when p < 10^(-log10(DETECTORS)/W): the calibrator may skip the exact value above that p.
 */
const P_IGNORE = W_DET.map((w) => Math.pow(10, -Math.log10(DETECTORS) / w));
/** Exact tails for every statistic (the per-detector view of `scoreAndUpdateMetric`). */
const NO_IGNORE = W_DET.map(() => 0);
/** Scratch: each statistic's surprise before weighting. */
const SURPRISES = new Float64Array(DETECTORS);
/** Winsorisation of the values that update the baseline and the fast average, in scales. */
const WINSOR = 6;
/** Rate of the fast average whose distance from the baseline mean is the mean-shift statistic. */
const FAST_RATE = 0.1;
/** Floor of the scale of the standardised deviation, relative to |mean| + observed range (see `z`). */
const Z_FLOOR = 0.3;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Samples of the short window whose spread is compared with its usual spread. */
const VOL_WINDOW = 16;

/** The result of `scoreAndUpdateMetric`, reused between calls (scoring is synchronous). */
const RESULT: MetricScore = { expected: 0, surprise: 0, z: 0 };

/**
 * Scores `x` at `timeMs` against the state, then learns from it. The result object is reused by
 * the next call: copy what you keep. `forecast` is the value the
 * forecaster expected from the window before `x` (NaN when it has none yet).
 */
export function scoreAndUpdateMetric(
  st: MetricState,
  x: number,
  timeMs: number,
  fc: MetricForecast | undefined,
  cfg: MetricSettings,
  perDetector?: Float64Array,
): MetricScore {
  const s = st.s;
  const n = s[S.N];
  const xr = Math.fround(x);
  // --- time: typical interval and gaps
  if (n > 0 && Number.isFinite(s[S.LAST_T])) {
    const dt = timeMs - s[S.LAST_T];
    if (dt > 0) {
      if (s[S.DT] > 0 && dt > cfg.gapFactor * s[S.DT]) s[S.GAP_LEFT] = RING_LENGTH;
      s[S.DT] = s[S.DT] > 0 ? s[S.DT] + 0.05 * (Math.min(dt, 4 * s[S.DT]) - s[S.DT]) : dt;
    }
  }
  s[S.LAST_T] = timeMs;

  const scale = metricScale(s);
  const resSd = Math.sqrt(Math.max(s[S.RES_VAR], TINY * (1 + s[S.MEAN] * s[S.MEAN]))) + 1e-3 * scale;
  let expected = n > 0 ? s[S.LAST] : xr;
  const F = st.adapter.length - 1;
  let adapterNorm = 0;
  if (fc && n > 0 && Number.isFinite(fc.expected)) {
    expected = fc.expected;
    if (F > 0) {
      let corr = st.adapter[F];
      for (let j = 0; j < F; j++) {
        const f = fc.features[fc.featureOffset + j];
        corr += st.adapter[j] * f;
        adapterNorm += f * f;
      }
      expected += fc.spread * corr;
    }
  }
  const stats = STATS;
  stats[0] = stats[1] = stats[2] = stats[3] = stats[4] = 0; // (DETECTORS; not fill(): a call per sample)
  const gap = s[S.GAP_LEFT] > 0;
  if (n > 1) {
    stats[0] = gap ? 0 : Math.abs(xr - expected) / resSd;
    stats[1] = Math.max(0, xr - s[S.HI], s[S.LO] - xr) / scale;
  }
  // time-of-day profile: only for sub-hourly data
  const dt = s[S.DT];
  const sea = st.season;
  const bin = 3 * Math.floor((((timeMs % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS);
  const seasonal = dt > 0 && dt <= HOUR_MS;
  if (seasonal && sea[bin] >= 3 && n * dt >= 2 * DAY_MS) {
    const sd = Math.max(Math.sqrt(Math.max(0, sea[bin + 2])), 0.1 * scale);
    stats[2] = Math.abs(xr - sea[bin + 1]) / sd;
  }
  // volatility of the short window (including x) against its usual level
  let vol = 0;
  const fill = s[S.RING_FILL];
  if (fill >= VOL_WINDOW - 1) {
    let sum = xr;
    let sq = xr * xr;
    let k = s[S.RING_POS];
    for (let i = 1; i < VOL_WINDOW; i++) {
      k = k === 0 ? RING - 1 : k - 1;
      const v = st.ring[k];
      sum += v;
      sq += v * v;
    }
    const m = sum / VOL_WINDOW;
    vol = Math.sqrt(Math.max(0, sq / VOL_WINDOW - m * m));
    if (s[S.VOL_REF] > 0 && !gap) {
      const eps = 0.02 * scale + TINY;
      stats[3] = 3 * Math.abs(Math.log((vol + eps) / (s[S.VOL_REF] + eps)));
    }
  }
  // Values are winsorised at WINSOR scales before they update the baseline and the fast average:
  // an incident does not become the new normal at once, and one spike (which the residual and
  // level statistics see) is not a shift of the mean.
  const xu = n > 30 ? Math.min(s[S.MEAN] + WINSOR * scale, Math.max(s[S.MEAN] - WINSOR * scale, xr)) : xr;
  if (n > 1 && !gap) {
    const fast = s[S.FAST] + FAST_RATE * (xu - s[S.FAST]);
    stats[4] = Math.abs(fast - s[S.MEAN]) / (scale * Math.sqrt(FAST_RATE / (2 - FAST_RATE)));
  }
  // Deviation for the joint model and signatures: the scale is floored so that a metric that was
  // nearly constant does not turn every wobble into a huge deviation.
  const z = n > 1 ? (xr - s[S.MEAN]) / Math.max(scale, Z_FLOOR * (Math.abs(s[S.MEAN]) + s[S.HI] - s[S.LO])) : 0;

  let surprise = 0;
  if (n >= cfg.warmup) {
    const tail = SURPRISES;
    calibratorSurprises(st.hist, s, S.MASS, S.UNIT, stats, perDetector ? NO_IGNORE : P_IGNORE, tail, DETECTORS);
    for (let d = 0; d < DETECTORS; d++) {
      if (stats[d] === 0) continue; // a zero statistic is never surprising (p = 1)
      const sd = W_DET[d] * tail[d];
      if (perDetector) perDetector[d] = sd;
      surprise = Math.max(surprise, sd);
    }
    surprise = Math.max(0, surprise - Math.log10(DETECTORS));
  }

  // --- learn
  const calStart = Math.min(30, Math.floor(cfg.warmup / 2));
  if (n >= calStart) {
    calibratorUpdates(st.hist, s, S.MASS, S.UNIT, stats, DETECTORS, cfg.horizon);
  }
  const a = Math.max(1 / (n + 1), 1 / cfg.horizon);
  const mean = s[S.MEAN];
  const d = xu - mean;
  s[S.MEAN] = mean + a * d;
  s[S.VAR] = n === 0 ? 0 : (1 - a) * (s[S.VAR] + a * d * d);
  if (n === 0) {
    s[S.HI] = xr;
    s[S.LO] = xr;
  } else {
    const decay = 1 / (16 * cfg.horizon);
    s[S.HI] = Math.max(xr, s[S.HI] - (s[S.HI] - s[S.MEAN]) * decay);
    s[S.LO] = Math.min(xr, s[S.LO] + (s[S.MEAN] - s[S.LO]) * decay);
  }
  if (n > 0 && !gap) {
    let r = xr - expected;
    const lim = 6 * resSd;
    if (n > 30) r = Math.max(-lim, Math.min(lim, r));
    const ar = Math.max(1 / n, 1 / cfg.horizon);
    s[S.RES_VAR] += ar * (r * r - s[S.RES_VAR]);
  }
  if (seasonal) {
    const c = sea[bin] + 1;
    sea[bin] = c;
    const ab = Math.max(1 / c, dt / (7 * HOUR_MS));
    const db = xu - sea[bin + 1];
    sea[bin + 1] += ab * db;
    sea[bin + 2] = c === 1 ? 0 : (1 - ab) * (sea[bin + 2] + ab * db * db);
  }
  if (fill >= VOL_WINDOW - 1) {
    const av = Math.max(1 / Math.max(1, n - VOL_WINDOW), 1 / cfg.horizon);
    s[S.VOL_REF] = s[S.VOL_REF] > 0 ? s[S.VOL_REF] + av * (vol - s[S.VOL_REF]) : vol;
  }
  if (fc && F > 0 && n > 0 && !gap && Number.isFinite(fc.expected) && fc.spread > 0) {
    // normalised LMS step of the per-metric adapter towards the observed value
    const e = Math.max(-3, Math.min(3, (xr - expected) / fc.spread));
    const k = (ADAPTER_RATE * e) / (1 + adapterNorm);
    for (let j = 0; j < F; j++) st.adapter[j] += k * fc.features[fc.featureOffset + j];
    st.adapter[F] += k;
  }
  s[S.FAST] = n === 0 ? xr : s[S.FAST] + FAST_RATE * (xu - s[S.FAST]);
  if (gap) s[S.GAP_LEFT] -= 1;
  // ring push (inline: a returned [pos, fill] pair is an allocation when the call is not inlined)
  const pos = s[S.RING_POS];
  st.ring[pos] = xr;
  s[S.RING_POS] = pos + 1 === RING ? 0 : pos + 1;
  if (fill < RING) s[S.RING_FILL] = fill + 1;
  s[S.LAST] = xr;
  s[S.N] = n + 1;
  const out = RESULT;
  out.expected = expected;
  out.surprise = surprise;
  out.z = z;
  return out;
}
