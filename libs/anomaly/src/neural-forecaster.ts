import * as tf from '@tensorflow/tfjs-core';
import { decodeFloat32, normaliseWindows, type BaseWeights, type ForecastBatch, type Forecaster } from './forecaster';
import BASE from './base-forecaster.weights.json';

/** The bundled base model (trained offline on synthetic series; no download at run time). */
export const BASE_WEIGHTS = BASE as BaseWeights;


/**
 * Shared neural forecaster: an MLP over the normalised last L values
 * (L → H relu → F tanh = features → 1), run in TensorFlow.js on all rows of a batch at once.
 * It is frozen at run time; each metric adapts it with its own small linear adapter on the
 * F features (metric-model.ts), the natural place for a per-component LoRA adapter later.
 */
export class NeuralForecaster implements Forecaster {
  readonly name: string;
  readonly windowLength: number;
  readonly featureDim: number;
  private readonly vars: tf.Tensor[];
  private disposed = false;

  constructor(
    readonly backend: string,
    weights: BaseWeights = BASE_WEIGHTS,
  ) {
    const { windowLength: L, hidden: H, featureDim: F } = weights;
    this.name = `mlp-forecaster-${weights.version}`;
    this.windowLength = L;
    this.featureDim = F;
    const t = weights.tensors;
    const shapes: Array<[keyof BaseWeights['tensors'], number[]]> = [
      ['W1', [L, H]],
      ['b1', [H]],
      ['W2', [H, F]],
      ['b2', [F]],
      ['W3', [F, 1]],
      ['b3', [1]],
    ];
    this.vars = shapes.map(([k, shape]) => tf.tensor(decodeFloat32(t[k]), shape, 'float32'));
  }

  forecast(windows: Float32Array, count: number): ForecastBatch {
    const L = this.windowLength;
    const F = this.featureDim;
    const x = new Float32Array(count * L);
    const center = new Float64Array(count);
    const spread = new Float64Array(count);
    normaliseWindows(windows, count, L, x, center, spread);
    const [W1, b1, W2, b2, W3, b3] = this.vars;
    // tidy returns the tensor (returning the typed array would make tidy walk every element)
    const result = tf.tidy(() => {
      const input = tf.tensor2d(x, [count, L]);
      const h = tf.relu(tf.add(tf.matMul(input, W1), b1));
      const phi = tf.tanh(tf.add(tf.matMul(h, W2), b2));
      const y = tf.add(tf.matMul(phi, W3), b3);
      return tf.concat([phi, y], 1);
    });
    const out = result.dataSync() as Float32Array;
    result.dispose();
    const features = new Float32Array(count * F);
    const expected = new Float64Array(count);
    for (let i = 0; i < count; i++) {
      features.set(out.subarray(i * (F + 1), i * (F + 1) + F), i * F);
      expected[i] = center[i] + spread[i] * out[i * (F + 1) + F];
    }
    return { expected, center, spread, features };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const v of this.vars) v.dispose();
  }
}
