import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError } from '@x0/core';
import { applyLoRA, countParams, extractAdapter, fineTune, type LoRAAdapter } from '@x0/lora';
import { FEATURE_DIM } from './action-space';
import { predictRecovery } from './action-params-model';
import { trainingRows, type Trajectory } from './trajectories';

/** Options of {@link fitModel} and {@link fineTuneAdapter}. */
export interface FitOptions {
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  /** Add the rows implied by monotonicity (see trainingRows; default true). */
  monotone?: boolean;
  /** Called after each epoch with the training loss (binary cross-entropy). */
  onEpoch?: (epoch: number, loss: number) => void | Promise<void>;
}

/** Options of {@link fineTuneAdapter}: LoRA rank, scaling and which layers to adapt, and how implied rows count. */
export interface AdapterOptions extends FitOptions {
  /** LoRA rank (default {@link ACTION_PARAMS_ADAPTER}'s 1). */
  rank?: number;
  /** LoRA alpha (default 8). */
  alpha?: number;
  /** Layer indexes to adapt (default {@link ACTION_PARAMS_ADAPTER}'s: the second hidden layer and the output). */
  layers?: number[];
  seed?: number;
  /**
   * Loss weight of each row implied by monotonicity (see trainingRows) against an observed
   * outcome's 1: a number, or 'grid' (the default): 1 / (the action's grid values − 1), so all the
   * rows one outcome implies weigh at most one observation. With 1, a single failure at a strong
   * step (the noise every component has) implies a failure at every milder step as firmly as if
   * each had been seen, and the adapter over-scales.
   */
  impliedWeight?: number | 'grid';
}

/**
 * The adapter execute's action-parameter models get per component: rank 1 on the second hidden
 * layer (64 → 64) and the output (64 → 1), alpha 8 — 193 trainable parameters, 4.2 % of the
 * 4,609 of the shipped base (docs/lora.md has the comparison that chose it).
 */
export const ACTION_PARAMS_ADAPTER = { rank: 1, alpha: 8, layers: [1, 2] } as const;

/** Quality of a model on trajectories: mean log-loss and accuracy of P(recover) >= 0.5. */
export interface Evaluation {
  logLoss: number;
  accuracy: number;
  samples: number;
}

/**
 * Trains every trainable weight of `model` (compiled here with Adam and binary
 * cross-entropy) on the trajectories; returns the last epoch's loss. Yields to the event
 * loop every 20 ms. Throws InvalidArgumentError when there is nothing to train on.
 */
export async function fitModel(model: tf.LayersModel, trajectories: readonly Trajectory[], options: FitOptions = {}): Promise<number> {
  const { xs, ys } = rowTensors(trajectories, options.monotone ?? true);
  model.compile({ optimizer: tf.train.adam(options.learningRate ?? 0.01), loss: 'binaryCrossentropy' });
  let last = Number.NaN;
  try {
    await model.fit(xs, ys, {
      epochs: options.epochs ?? 60,
      batchSize: options.batchSize ?? 256,
      shuffle: true,
      verbose: 0,
      // Yield to the event loop every 20 ms (tfjs' default is 125 ms): ops are synchronous on cpu/wasm.
      yieldEvery: 20,
      callbacks: {
        onEpochEnd: async (epoch, logs) => {
          last = Number(logs?.['loss']);
          await options.onEpoch?.(epoch, last);
        },
      },
    });
  } finally {
    tf.dispose([xs, ys]);
  }
  return last;
}

/**
 * Fine-tunes a LoRA adapter of `base` (not modified) on one component's trajectories:
 * the base stays frozen, only the adapter's A and B matrices train (@x0/lora `fineTune`:
 * Adam 0.02, binary cross-entropy with implied rows weighted (`impliedWeight`), batches of
 * 256 rows shuffled with `seed`, 80 epochs by default; {@link ACTION_PARAMS_ADAPTER} unless
 * `rank`, `alpha` or `layers` say otherwise). Returns the adapter (the caller disposes it), its last epoch's training loss and
 * parameter counts. Throws InvalidArgumentError when there is nothing to train on.
 */
export async function fineTuneAdapter(
  base: tf.LayersModel,
  trajectories: readonly Trajectory[],
  options: AdapterOptions = {},
): Promise<{ adapter: LoRAAdapter; loss: number; trainableParams: number; baseParams: number }> {
  const impliedWeight = options.impliedWeight ?? 'grid';
  const { xs, ys } = rowTensors(trajectories, options.monotone ?? true, impliedWeight);
  const seed = options.seed ?? 7;
  const lora = applyLoRA(base, {
    rank: options.rank ?? ACTION_PARAMS_ADAPTER.rank,
    alpha: options.alpha ?? ACTION_PARAMS_ADAPTER.alpha,
    layers: options.layers ?? ACTION_PARAMS_ADAPTER.layers,
    seed,
  });
  try {
    const { losses } = await fineTune(lora, xs, ys, {
      epochs: options.epochs ?? 80,
      batchSize: options.batchSize ?? 256,
      learningRate: options.learningRate ?? 0.02,
      loss: impliedWeight === 1 ? 'binaryCrossentropy' : weightedBinaryCrossentropy,
      seed,
      onEpochEnd: options.onEpoch,
    });
    const counts = countParams(lora);
    return { adapter: extractAdapter(lora), loss: losses[losses.length - 1], trainableParams: counts.trainable, baseParams: counts.frozen };
  } finally {
    lora.dispose();
    tf.dispose([xs, ys]);
  }
}

/**
 * Training rows of the trajectories as tensors (the caller disposes them): targets [n, 1], or
 * with an `impliedWeight` other than 1, [n, 2] = (label, weight) for
 * {@link weightedBinaryCrossentropy}. Throws InvalidArgumentError when there are none.
 */
function rowTensors(trajectories: readonly Trajectory[], monotone: boolean, impliedWeight: number | 'grid' = 1): { xs: tf.Tensor2D; ys: tf.Tensor2D } {
  const { x, y, impliedSteps } = trainingRows(trajectories, monotone);
  if (x.length === 0) throw new InvalidArgumentError('trajectories', 'must hold at least one parametrised outcome');
  const xs = tf.tensor2d(x, [x.length, FEATURE_DIM]);
  if (impliedWeight === 1) return { xs, ys: tf.tensor2d(y, [y.length, 1]) };
  const weight = (i: number) => (impliedSteps[i] === 0 ? 1 : impliedWeight === 'grid' ? 1 / impliedSteps[i] : impliedWeight);
  return { xs, ys: tf.tensor2d(y.flatMap((label, i) => [label, weight(i)]), [y.length, 2]) };
}

/** Binary cross-entropy weighted per row: targets are (label, weight); Σ w·bce / Σ w over the batch. */
function weightedBinaryCrossentropy(targets: tf.Tensor, predictions: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const label = targets.slice([0, 0], [-1, 1]);
    const weight = targets.slice([0, 1], [-1, 1]);
    const p = predictions.clipByValue(1e-7, 1 - 1e-7);
    const bce = label.mul(p.log()).add(tf.scalar(1).sub(label).mul(tf.scalar(1).sub(p).log())).neg();
    return bce.mul(weight).sum().div(weight.sum().maximum(1e-6)) as tf.Scalar;
  });
}

/** Log-loss and accuracy of `model` on the trajectories as observed (no implied rows). */
export function evaluate(model: tf.LayersModel, trajectories: readonly Trajectory[]): Evaluation {
  const { x, y } = trainingRows(trajectories, false);
  if (x.length === 0) return { logLoss: Number.NaN, accuracy: Number.NaN, samples: 0 };
  const p = predictRecovery(model, x);
  let loss = 0;
  let correct = 0;
  p.forEach((pi, i) => {
    const q = Math.min(1 - 1e-6, Math.max(1e-6, pi));
    loss -= y[i] === 1 ? Math.log(q) : Math.log(1 - q);
    if ((pi >= 0.5 ? 1 : 0) === y[i]) correct++;
  });
  return { logLoss: loss / x.length, accuracy: correct / x.length, samples: x.length };
}
