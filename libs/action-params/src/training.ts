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

/** Options of {@link fineTuneAdapter}: LoRA rank, scaling and which layers to adapt. */
export interface AdapterOptions extends FitOptions {
  /** LoRA rank (default 4: the base is small, 536 adapter parameters). */
  rank?: number;
  alpha?: number;
  /** Layer indexes to adapt (default: all three Dense layers). */
  layers?: number[];
  seed?: number;
}

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
 * Adam, binary cross-entropy, batches of 256 rows shuffled with `seed`, 80 epochs by
 * default). Returns the adapter (the caller disposes it), its last epoch's training loss and
 * parameter counts. Throws InvalidArgumentError when there is nothing to train on.
 */
export async function fineTuneAdapter(
  base: tf.LayersModel,
  trajectories: readonly Trajectory[],
  options: AdapterOptions = {},
): Promise<{ adapter: LoRAAdapter; loss: number; trainableParams: number; baseParams: number }> {
  const { xs, ys } = rowTensors(trajectories, options.monotone ?? true);
  const seed = options.seed ?? 7;
  const lora = applyLoRA(base, { rank: options.rank ?? 4, alpha: options.alpha ?? 8, layers: options.layers, seed });
  try {
    const { losses } = await fineTune(lora, xs, ys, {
      epochs: options.epochs ?? 80,
      batchSize: options.batchSize ?? 256,
      learningRate: options.learningRate ?? 0.02,
      loss: 'binaryCrossentropy',
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

/** Training rows of the trajectories as tensors (the caller disposes them). Throws InvalidArgumentError when there are none. */
function rowTensors(trajectories: readonly Trajectory[], monotone: boolean): { xs: tf.Tensor2D; ys: tf.Tensor2D } {
  const { x, y } = trainingRows(trajectories, monotone);
  if (x.length === 0) throw new InvalidArgumentError('trajectories', 'must hold at least one parametrised outcome');
  return { xs: tf.tensor2d(x, [x.length, FEATURE_DIM]), ys: tf.tensor2d(y, [y.length, 1]) };
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
