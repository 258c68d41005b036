import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError, seededRandom } from '@x0/core';
import { positiveInt } from './lora-dense';

/** A loss over a batch: targets and predictions of the same shape in, a scalar out. */
export type LossFn = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Scalar;

/** Options of {@link fineTune}. */
export interface FineTuneOptions {
  /** Passes over the data (default 1). */
  epochs?: number;
  /**
   * Rows per optimiser step (default 256, as x0's adapters train). Larger batches make an
   * epoch cheaper (a step on a small model costs little more for 512 rows than for 256) but
   * move the adapter less per epoch: on the reference benchmark batch 512 halves the epoch
   * time and doubles the epochs needed, for about the same time to a trained adapter (docs/lora.md).
   */
  batchSize?: number;
  /** Adam learning rate when no `optimizer` is given (default 0.005). */
  learningRate?: number;
  /** Optimiser to use instead of a fresh Adam (not disposed here). */
  optimizer?: tf.Optimizer;
  /** 'meanSquaredError' (default), 'binaryCrossentropy' (tfjs-layers' definition) or a function. */
  loss?: 'meanSquaredError' | 'binaryCrossentropy' | LossFn;
  /** Seed of the per-epoch shuffle of rows (only used when there is more than one batch; default 1). */
  seed?: number;
  /** Called after each epoch with its mean training loss. */
  onEpochEnd?: (epoch: number, loss: number) => void | Promise<void>;
  /** Stops training at the end of the current epoch once aborted (e.g. from onEpochEnd when the loss is good enough). */
  signal?: AbortSignal;
  /**
   * After a step, yield to the event loop (`tf.nextFrame`: setImmediate on Node) once this
   * many ms have passed since the last yield (default 20; 0: never). tfjs ops on the cpu and
   * wasm backends are synchronous, so without it a service that trains answers no gRPC call,
   * timer or NATS message until training ends.
   */
  yieldEveryMs?: number;
}

/** What {@link fineTune} did: the mean training loss of each epoch run (fewer than asked when stopped by `signal`). */
export interface FineTuneResult {
  losses: number[];
}

/**
 * Trains the trainable weights of `model` — for a model made by `applyLoRA`, only the
 * adapter's A and B — on rows `x` with targets `y`, with a plain training loop: per step one
 * batch, one forward pass in training mode, gradients of the loss with respect to the
 * trainable variables only, one optimiser update, all inside `tf.tidy`. Nothing is compiled,
 * no callbacks or metrics run per batch, and the loss is read once per epoch.
 *
 * Unlike `model.fit`, the model needs no `compile()`, and frozen weights never receive
 * gradients (LoRADense's base path computes none; see lora-dense.ts). Returns the per-epoch
 * mean loss. Yields to the event loop between steps (see `yieldEveryMs`). Throws
 * InvalidArgumentError for empty or mismatched data, bad options or a model with nothing to train.
 */
export async function fineTune(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, options: FineTuneOptions = {}): Promise<FineTuneResult> {
  const n = x.shape[0] ?? 0;
  if (n === 0) throw new InvalidArgumentError('x', 'must hold at least one row');
  if (y.shape[0] !== n) throw new InvalidArgumentError('y', `has ${y.shape[0]} rows, x has ${n}`);
  const epochs = options.epochs ?? 1;
  const batchSize = Math.min(options.batchSize ?? 256, n);
  positiveInt('epochs', epochs);
  positiveInt('batchSize', batchSize);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  if (vars.length === 0) throw new InvalidArgumentError('model', 'has no trainable weights');
  const lossFn = resolveLoss(options.loss ?? 'meanSquaredError');
  const optimizer = options.optimizer ?? tf.train.adam(options.learningRate ?? 0.005);
  const random = seededRandom(options.seed ?? 1);
  const steps = Math.ceil(n / batchSize);
  const losses: number[] = [];
  const yieldEveryMs = options.yieldEveryMs ?? 20;
  let lastYield = performance.now();
  try {
    for (let epoch = 0; epoch < epochs && !options.signal?.aborted; epoch++) {
      // Row order only matters when an epoch has several steps; one full batch is order-free.
      const order = steps > 1 ? tf.tensor1d(shuffled(n, random), 'int32') : undefined;
      let total = tf.scalar(0);
      for (let step = 0; step < steps; step++) {
        const start = step * batchSize;
        const size = Math.min(batchSize, n - start);
        const stepLoss = tf.tidy(() => {
          const rows = order?.slice(start, size);
          const xb = rows ? tf.gather(x, rows) : size === n ? x : x.slice(start, size);
          const yb = rows ? tf.gather(y, rows) : size === n ? y : y.slice(start, size);
          const loss = optimizer.minimize(() => lossFn(yb, model.apply(xb, { training: true }) as tf.Tensor), true, vars);
          return loss!.mul(size);
        });
        const next = total.add(stepLoss) as tf.Scalar;
        tf.dispose([total, stepLoss]);
        total = next;
        if (yieldEveryMs > 0 && performance.now() - lastYield >= yieldEveryMs) {
          await tf.nextFrame();
          lastYield = performance.now();
        }
      }
      order?.dispose();
      const sum = (await total.data())[0];
      total.dispose();
      losses.push(sum / n);
      await options.onEpochEnd?.(epoch, sum / n);
    }
  } finally {
    if (!options.optimizer) optimizer.dispose();
  }
  return { losses };
}

function resolveLoss(loss: NonNullable<FineTuneOptions['loss']>): LossFn {
  if (typeof loss === 'function') return loss;
  if (loss === 'meanSquaredError') return (yTrue, yPred) => tf.mean(tf.squaredDifference(yTrue, yPred)) as tf.Scalar;
  if (loss === 'binaryCrossentropy') return (yTrue, yPred) => tf.mean(tf.metrics.binaryCrossentropy(yTrue, yPred)) as tf.Scalar;
  throw new InvalidArgumentError('loss', `unknown loss '${String(loss)}'`);
}

/** 0..n-1 in a random order (Fisher-Yates). */
function shuffled(n: number, random: () => number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
