import * as tf from '@tensorflow/tfjs';
import { EventLoopSlice, TRAINING_SLICE_MS } from './event-loop-slice';
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
  /**
   * Whether a component's samples from `fromMs` to `toMs` belong to an incident: an example whose
   * inputs or target do is left out of both sets (see `incidentSpansFromEvents`).
   */
  inIncident?(component: string, fromMs: number, toMs: number): boolean;
}

/**
 * Turns replayed series into next-value examples, split in time by `isHoldout` (see
 * `blockedHoldout`): the challenger is judged on traffic it never trained on. Examples that
 * touch an incident (`inIncident`) are left out and counted (`inIncidents`): a fault is not
 * a normal to learn to forecast, nor one to judge a forecaster on. Yields to the
 * event loop every TRAINING_SLICE_MS (a one-hour window of a few dozen series takes ~0.5 s).
 */
export async function forecastSets(window: MetricWindow, o: ForecastSetOptions): Promise<{ train: ForecastSet; holdout: ForecastSet; inIncidents: number }> {
  const L = o.windowLength;
  const slice = new EventLoopSlice();
  const picks: Array<{ v: number[]; at: number; component: string; holdout: boolean }> = [];
  let inIncidents = 0;
  for (const [component, metrics] of window.series) {
    for (const s of metrics.values()) {
      for (let t = L; t < s.v.length; t++) {
        if (o.inIncident?.(component, s.t[t - L], s.t[t])) {
          inIncidents++;
          continue;
        }
        picks.push({ v: s.v, at: t, component, holdout: o.isHoldout(s.t[t]) });
        if (t % 4096 === 0) await slice.maybeYield();
      }
      await slice.maybeYield();
    }
  }
  const build = async (rows: typeof picks, max: number): Promise<ForecastSet> => {
    const chosen = rows.length <= max ? rows : Array.from({ length: max }, (_, i) => rows[Math.floor((i * rows.length) / max)]);
    const n = chosen.length;
    const windows = new Float32Array(n * L);
    const next = new Float64Array(n);
    const byComponent = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const p = chosen[i];
      for (let j = 0; j < L; j++) windows[i * L + j] = p.v[p.at - L + j];
      next[i] = p.v[p.at];
      byComponent.set(p.component, (byComponent.get(p.component) ?? 0) + 1);
      if (i % 1024 === 0) await slice.maybeYield();
    }
    const x = new Float32Array(n * L);
    const center = new Float64Array(n);
    const spread = new Float64Array(n);
    // Windows are normalised one by one: in chunks, the event loop gets its turns.
    for (let i = 0; i < n; i += 4096) {
      const k = Math.min(4096, n - i);
      o.normalise(windows.subarray(i * L, (i + k) * L), k, L, x.subarray(i * L, (i + k) * L), center.subarray(i, i + k), spread.subarray(i, i + k));
      await slice.maybeYield();
    }
    const y = new Float32Array(n);
    for (let i = 0; i < n; i++) y[i] = Math.max(-o.clip, Math.min(o.clip, (next[i] - center[i]) / spread[i]));
    return { x, y, count: n, byComponent };
  };
  const train = await build(picks.filter((p) => !p.holdout), o.maxTrain ?? 200_000);
  const holdout = await build(picks.filter((p) => p.holdout), o.maxHoldout ?? 50_000);
  return { train, holdout, inIncidents };
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

/**
 * Mean Huber loss (delta 1, the offline training loss) of `model` on a set; NaN when empty.
 * Scores the rows in chunks sized from the pace of the previous chunk (about half of
 * `sliceMs`), yielding to the event loop after each.
 */
export async function huberLoss(model: tf.LayersModel, set: ForecastSet, windowLength: number, o: { sliceMs?: number } = {}): Promise<number> {
  if (set.count === 0) return Number.NaN;
  const L = windowLength;
  const budget = (o.sliceMs ?? TRAINING_SLICE_MS) / 2;
  let rows = 256;
  let sum = 0;
  for (let start = 0; start < set.count; ) {
    const n = Math.min(rows, set.count - start);
    const t0 = performance.now();
    const chunk = tf.tidy(() => {
      const x = tf.tensor2d(set.x.subarray(start * L, (start + n) * L), [n, L]);
      const y = tf.tensor2d(set.y.subarray(start, start + n), [n, 1]);
      return tf.losses.huberLoss(y, model.predict(x) as tf.Tensor, undefined, 1.0, tf.Reduction.SUM);
    });
    sum += (await chunk.data())[0];
    chunk.dispose();
    start += n;
    const took = Math.max(0.05, performance.now() - t0);
    rows = Math.max(32, Math.min(4 * n, Math.round((n * budget) / took)));
    await tf.nextFrame();
  }
  return sum / set.count;
}

/**
 * Fits every weight of `model` on the training set (Adam, Huber loss), yielding to the event
 * loop every TRAINING_SLICE_MS; returns the last epoch's loss.
 */
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
      // Yield to the event loop at least this often (tfjs' default is 125 ms).
      yieldEvery: TRAINING_SLICE_MS,
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
