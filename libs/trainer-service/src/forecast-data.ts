import * as tf from '@tensorflow/tfjs';
import type { MetricWindow } from './replay';

/**
 * The detector's input normalisation (@x0/anomaly `normaliseWindows`): each window scaled
 * by its last value and spread; the forecaster predicts the next value in those units.
 */
export type NormaliseWindows = (windows: Float32Array, count: number, L: number, out: Float32Array, center: Float64Array, spread: Float64Array) => void;

/** Forecasting examples: normalised windows and next values. */
export interface ForecastSet {
  x: Float32Array;
  y: Float32Array;
  count: number;
  /** Windows per component, for reporting. */
  byComponent: Map<string, number>;
}

/** Options of {@link forecastSets}. */
export interface ForecastSetOptions {
  windowLength: number;
  normalise: NormaliseWindows;
  /** Targets are clipped to ±clip (the detector's CLIP). */
  clip: number;
  /** Whether the example whose target is at this time belongs to the holdout set. */
  isHoldout(targetMs: number): boolean;
  /** At most this many training / holdout examples (evenly strided). */
  maxTrain?: number;
  maxHoldout?: number;
}

/**
 * Turns replayed series into next-value examples, split in time by `isHoldout` (see
 * `blockedHoldout`): the challenger is judged on traffic it never trained on.
 */
export function forecastSets(window: MetricWindow, o: ForecastSetOptions): { train: ForecastSet; holdout: ForecastSet } {
  const L = o.windowLength;
  const picks: Array<{ v: number[]; at: number; component: string; holdout: boolean }> = [];
  for (const [component, metrics] of window.series) {
    for (const s of metrics.values()) {
      for (let t = L; t < s.v.length; t++) picks.push({ v: s.v, at: t, component, holdout: o.isHoldout(s.t[t]) });
    }
  }
  const build = (rows: typeof picks, max: number): ForecastSet => {
    const chosen = rows.length <= max ? rows : Array.from({ length: max }, (_, i) => rows[Math.floor((i * rows.length) / max)]);
    const n = chosen.length;
    const windows = new Float32Array(n * L);
    const next = new Float64Array(n);
    const byComponent = new Map<string, number>();
    chosen.forEach((p, i) => {
      for (let j = 0; j < L; j++) windows[i * L + j] = p.v[p.at - L + j];
      next[i] = p.v[p.at];
      byComponent.set(p.component, (byComponent.get(p.component) ?? 0) + 1);
    });
    const x = new Float32Array(n * L);
    const center = new Float64Array(n);
    const spread = new Float64Array(n);
    if (n > 0) o.normalise(windows, n, L, x, center, spread);
    const y = new Float32Array(n);
    for (let i = 0; i < n; i++) y[i] = Math.max(-o.clip, Math.min(o.clip, (next[i] - center[i]) / spread[i]));
    return { x, y, count: n, byComponent };
  };
  return {
    train: build(picks.filter((p) => !p.holdout), o.maxTrain ?? 200_000),
    holdout: build(picks.filter((p) => p.holdout), o.maxHoldout ?? 50_000),
  };
}

/**
 * A blocked time split of [startMs, endMs]: the window is cut into `blocks` equal spans and
 * every k-th span (k = round(1 / fraction)), the newest included, is held out. Both sets then
 * cover the whole window — after a drift, the challenger trains on post-drift traffic and is
 * judged on other post-drift traffic — while examples of one span never straddle the split
 * (apart from the window of inputs at a span's edge).
 */
export function blockedHoldout(startMs: number, endMs: number, fraction: number, blocks = 16): (tMs: number) => boolean {
  const k = Math.max(2, Math.round(1 / fraction));
  const span = Math.max(1, endMs - startMs) / blocks;
  return (t) => {
    const b = Math.min(blocks - 1, Math.max(0, Math.floor((t - startMs) / span)));
    return (blocks - 1 - b) % k === 0;
  };
}

/** Mean Huber loss (delta 1, the offline training loss) of `model` on a set; NaN when empty. */
export function huberLoss(model: tf.LayersModel, set: ForecastSet, windowLength: number): number {
  if (set.count === 0) return Number.NaN;
  const loss = tf.tidy(() => {
    const pred = model.predict(tf.tensor2d(set.x, [set.count, windowLength])) as tf.Tensor;
    return tf.losses.huberLoss(tf.tensor2d(set.y, [set.count, 1]), pred, undefined, 1.0);
  });
  const v = loss.dataSync()[0];
  loss.dispose();
  return v;
}

/** Fits every weight of `model` on the training set (Adam, Huber loss); returns the last epoch's loss. */
export async function fitForecaster(
  model: tf.LayersModel,
  set: ForecastSet,
  o: { windowLength: number; epochs: number; learningRate?: number; batchSize?: number; onEpoch?: (epoch: number, loss: number) => void },
): Promise<number> {
  const xs = tf.tensor2d(set.x, [set.count, o.windowLength]);
  const ys = tf.tensor2d(set.y, [set.count, 1]);
  model.compile({ optimizer: tf.train.adam(o.learningRate ?? 0.001), loss: (yt: tf.Tensor, yp: tf.Tensor) => tf.losses.huberLoss(yt, yp, undefined, 1.0) });
  let last = Number.NaN;
  try {
    await model.fit(xs, ys, {
      epochs: o.epochs,
      batchSize: o.batchSize ?? 512,
      shuffle: true,
      verbose: 0,
      callbacks: {
        onEpochEnd: (epoch, logs) => {
          last = Number(logs?.['loss']);
          o.onEpoch?.(epoch, last);
        },
      },
    });
  } finally {
    tf.dispose([xs, ys]);
  }
  return last;
}
