import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError } from '@x0/core';
import { applyLoRA, countParams, extractAdapter, fineTune, type LoRAAdapter } from '@x0/lora';
import type { ForecastSet } from './forecast-data';

/**
 * How a component's adapter of the detector's forecaster is trained: what the experiment
 * `tools/eval/lora-detector.ts` measured best (docs/lora.md, "The detector's forecaster"):
 * rank 1 on the hidden 32 → 16 layer (`features`, index 1) only — 48 parameters, 3.6 % of the
 * base; on the 29 NAB dev series it forecast better than the base on every one and on 16 of
 * the 17 demo metrics, where rank 4 on every layer (484 parameters) was worse than the base on
 * 13 and 15 — alpha 2·rank = 2, Adam 0.005, batches of 256, Huber loss (delta 1, the
 * detector's offline loss), A matrices seeded.
 */
export const DETECTOR_ADAPTER = { rank: 1, alpha: 2, layers: [1], learningRate: 0.005, batchSize: 256, seed: 1 } as const;

/** What {@link fitDetectorAdapter} trained. */
export interface DetectorAdapterFit {
  /** The adapter (the caller disposes it); its `baseSignature` is `baseModelSignature(base)`. */
  adapter: LoRAAdapter;
  /** Mean Huber loss of the last epoch. */
  loss: number;
  trainableParams: number;
  baseParams: number;
  /** Wall time of the fine-tune divided by the epochs, ms. */
  epochMs: number;
}

/**
 * Fine-tunes a LoRA adapter of the forecaster `base` (not modified) on a component's
 * forecasting examples with {@link DETECTOR_ADAPTER}: only the adapter's A and B train
 * (@x0/lora `fineTune`, which yields to the event loop between steps). Throws
 * InvalidArgumentError when the set is empty.
 */
export async function fitDetectorAdapter(
  base: tf.LayersModel,
  set: ForecastSet,
  o: { windowLength: number; epochs: number; onEpoch?: (epoch: number, loss: number) => void },
): Promise<DetectorAdapterFit> {
  if (set.count === 0) throw new InvalidArgumentError('set', 'must hold at least one forecasting example');
  const { rank, alpha, layers, learningRate, batchSize, seed } = DETECTOR_ADAPTER;
  const lora = applyLoRA(base, { rank, alpha, seed, layers: [...layers] });
  const xs = tf.tensor2d(set.x, [set.count, o.windowLength]);
  const ys = tf.tensor2d(set.y, [set.count, 1]);
  try {
    const t0 = performance.now();
    const { losses } = await fineTune(lora, xs, ys, {
      epochs: o.epochs,
      batchSize,
      learningRate,
      seed,
      loss: (yTrue, yPred) => tf.losses.huberLoss(yTrue, yPred, undefined, 1.0) as tf.Scalar,
      onEpochEnd: o.onEpoch,
    });
    const epochMs = (performance.now() - t0) / Math.max(1, losses.length);
    const counts = countParams(lora);
    return { adapter: extractAdapter(lora), loss: losses[losses.length - 1], trainableParams: counts.trainable, baseParams: counts.frozen, epochMs };
  } finally {
    lora.dispose();
    tf.dispose([xs, ys]);
  }
}
