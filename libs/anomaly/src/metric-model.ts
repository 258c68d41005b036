import { CAL_BINS, calibratorSurprise, calibratorUpdate } from './calibrator';
import { RING_LENGTH, ringPush } from './ring';

/**
 * Per-metric streaming state and scoring: robust location/scale, a value envelope,
 * the forecast-residual scale and one calibrator per statistic. All numbers live in a
 * flat Float64Array (`S.*` offsets) plus a float32 ring of recent raw values, so the
 * state serialises exactly.
 */
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
  MASS_RES: 12,
  MASS_LVL: 13,
  SIZE: 14,
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

/** A fresh metric state. */
/** Histogram offsets of the two calibrated statistics. */
const H_RES = 0;
const H_LVL = CAL_BINS;
export const HIST_SIZE = 2 * CAL_BINS;

/** The whole state of one metric. */
export interface MetricState {
  s: Float64Array;
  ring: Float32Array;
  hist: Float32Array;
}

/** A fresh metric state. */
export function newMetricState(): MetricState {
  const s = new Float64Array(S.SIZE);
  s[S.LAST_T] = Number.NaN;
  return { s, ring: new Float32Array(RING_LENGTH), hist: new Float32Array(HIST_SIZE) };
}

export function metricScale(s: Float64Array): number {
  return Math.sqrt(Math.max(s[S.VAR], TINY * (1 + s[S.MEAN] * s[S.MEAN])));
}

/**
 * Scores `x` at `timeMs` against the state, then learns from it. `forecast` is the value the
 * forecaster expected from the window before `x` (NaN when it has none yet).
 */
export function scoreAndUpdateMetric(
  st: MetricState,
  x: number,
  timeMs: number,
  forecast: number,
  cfg: MetricSettings,
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
  const expected = Number.isFinite(forecast) ? forecast : n > 0 ? s[S.LAST] : x;
  const zRes = n > 1 && s[S.GAP_LEFT] <= 0 ? Math.abs(xr - expected) / resSd : 0;
  const zLvl = n > 1 ? Math.max(0, xr - s[S.HI], s[S.LO] - xr) / scale : 0;
  const z = n > 1 ? (xr - s[S.MEAN]) / scale : 0;

  let surprise = 0;
  if (n >= cfg.warmup) {
    const sr = calibratorSurprise(st.hist, H_RES, s[S.MASS_RES], zRes);
    const sl = calibratorSurprise(st.hist, H_LVL, s[S.MASS_LVL], zLvl);
    surprise = Math.max(sr, sl);
  }

  // --- learn
  const calStart = Math.min(30, Math.floor(cfg.warmup / 2));
  if (n >= calStart) {
    s[S.MASS_RES] = calibratorUpdate(st.hist, H_RES, s[S.MASS_RES], zRes, cfg.horizon);
    s[S.MASS_LVL] = calibratorUpdate(st.hist, H_LVL, s[S.MASS_LVL], zLvl, cfg.horizon);
  }
  const a = Math.max(1 / (n + 1), 1 / cfg.horizon);
  const mean = s[S.MEAN];
  let xu = xr;
  if (n > 30) {
    const lim = 6 * scale;
    xu = Math.min(mean + lim, Math.max(mean - lim, xr));
  }
  const d = xu - mean;
  s[S.MEAN] = mean + a * d;
  s[S.VAR] = n === 0 ? 0 : (1 - a) * (s[S.VAR] + a * d * d);
  if (n === 0) {
    s[S.HI] = xr;
    s[S.LO] = xr;
  } else {
    const decay = 1 / (4 * cfg.horizon);
    s[S.HI] = Math.max(xr, s[S.HI] - (s[S.HI] - s[S.MEAN]) * decay);
    s[S.LO] = Math.min(xr, s[S.LO] + (s[S.MEAN] - s[S.LO]) * decay);
  }
  if (n > 0 && s[S.GAP_LEFT] <= 0) {
    let r = xr - expected;
    const lim = 6 * resSd;
    if (n > 30) r = Math.max(-lim, Math.min(lim, r));
    const ar = Math.max(1 / n, 1 / cfg.horizon);
    s[S.RES_VAR] += ar * (r * r - s[S.RES_VAR]);
  }
  if (s[S.GAP_LEFT] > 0) s[S.GAP_LEFT] -= 1;
  const [pos, fill] = ringPush(st.ring, 0, s[S.RING_POS], s[S.RING_FILL], xr);
  s[S.RING_POS] = pos;
  s[S.RING_FILL] = fill;
  s[S.LAST] = xr;
  s[S.N] = n + 1;
  return { expected, surprise, z };
}
