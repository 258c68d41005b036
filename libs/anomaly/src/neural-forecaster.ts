import * as tf from '@tensorflow/tfjs-core';
import * as forecasterModule from './forecaster';
import type { BaseWeights, ForecastBatch, Forecaster } from './forecaster';
import BASE from './base-forecaster.weights.json';

// module-local copies (in CommonJS output every use of an imported binding is a getter call)
const { CLIP, decodeFloat32, normaliseWindows } = forecasterModule;

/** The bundled base model (trained offline on synthetic series; no download at run time). */
export const BASE_WEIGHTS = BASE as BaseWeights;


/**
 * The forecaster of one component whose weights differ from the shared model's (the shared
 * base with the component's LoRA adapter merged in): the same network, L → H relu → F tanh →
 * 1, computed in plain JavaScript for that component's rows only, after the shared model has
 * run on the whole batch. Its rows get its features and forecast in place of the shared
 * model's; the window normalisation (centre, spread) is the shared one. About H·(L+F)+F
 * multiply-adds per row (1,296 for the bundled 24 → 32 → 16 model).
 */
export class DenseForecaster {
  readonly version: string;
  readonly windowLength: number;
  readonly hidden: number;
  readonly featureDim: number;
  private readonly W1: Float32Array;
  private readonly b1: Float32Array;
  /** W2 transposed: [F, H]. */
  private readonly W2t: Float32Array;
  private readonly b2: Float32Array;
  private readonly W3: Float32Array;
  private readonly b3: number;
  private readonly x: Float32Array;
  private readonly h: Float64Array;

  /** Throws Error when a tensor's size does not match the declared shape. */
  constructor(weights: BaseWeights) {
    const { windowLength: L, hidden: H, featureDim: F } = weights;
    this.version = weights.version;
    this.windowLength = L;
    this.hidden = H;
    this.featureDim = F;
    const t = weights.tensors;
    const read = (k: keyof BaseWeights['tensors'], size: number): Float32Array => {
      const a = decodeFloat32(t[k]);
      if (a.length !== size) throw new Error(`tensor ${k} has ${a.length} values, expected ${size}`);
      return a;
    };
    this.W1 = read('W1', L * H);
    this.b1 = read('b1', H);
    const W2 = read('W2', H * F);
    this.W2t = new Float32Array(F * H);
    for (let j = 0; j < H; j++) for (let k = 0; k < F; k++) this.W2t[k * H + j] = W2[j * F + k];
    this.b2 = read('b2', F);
    this.W3 = read('W3', F);
    this.b3 = read('b3', 1)[0];
    this.x = new Float32Array(L);
    this.h = new Float64Array(H);
  }

  /**
   * Recomputes row `row` of `fc` (features and expected) from its raw window in `windows`
   * (row-major, windowLength values per row), with the centre and spread already in `fc`.
   */
  forecastRow(windows: Float32Array, row: number, fc: ForecastBatch): void {
    const L = this.windowLength;
    const H = this.hidden;
    const F = this.featureDim;
    const { x, h, W1, b1, W2t, b2, W3 } = this;
    const c = fc.center[row];
    const s = fc.spread[row];
    const at = row * L;
    for (let i = 0; i < L; i++) {
      const u = (windows[at + i] - c) / s;
      x[i] = u > CLIP ? CLIP : u < -CLIP ? -CLIP : u;
    }
    // hidden = relu(x·W1 + b1): W1 is [L, H], so row i of it is contiguous
    h.set(b1);
    for (let i = 0; i < L; i++) {
      const xi = x[i];
      const w = i * H;
      for (let j = 0; j < H; j++) h[j] += xi * W1[w + j];
    }
    for (let j = 0; j < H; j++) if (h[j] < 0) h[j] = 0;
    // features = tanh(hidden·W2 + b2), with W2 kept transposed ([F, H]) so each dot product is contiguous
    const features = fc.features;
    const fo = row * F;
    let y = this.b3;
    for (let k = 0; k < F; k++) {
      let z = b2[k];
      const w = k * H;
      for (let j = 0; j < H; j++) z += h[j] * W2t[w + j];
      const f = Math.tanh(z);
      features[fo + k] = f;
      y += f * W3[k];
    }
    fc.expected[row] = c + s * y;
  }
}

/**
 * Shared neural forecaster: an MLP over the normalised last L values
 * (L → H relu → F tanh = features → 1), run in TensorFlow.js on all rows of a batch at once.
 * It is frozen at run time; each metric adapts it with its own small linear adapter on the
 * F features (metric-model.ts); a component with a LoRA adapter gets its own weights
 * (`DenseForecaster`, applied by the detector after this pass).
 */
export class NeuralForecaster implements Forecaster {
  readonly name: string;
  readonly windowLength: number;
  readonly featureDim: number;
  private readonly vars: tf.Tensor[];
  /** Output layer W3 (F) then b3, applied in JavaScript. */
  private readonly head: Float32Array;
  private disposed = false;
  private x = new Float32Array(0);
  private center = new Float64Array(0);
  private spread = new Float64Array(0);
  private expected = new Float64Array(0);

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
    this.vars = shapes.slice(0, 4).map(([k, shape]) => tf.tensor(decodeFloat32(t[k]), shape, 'float32'));
    this.head = new Float32Array(F + 1);
    this.head.set(decodeFloat32(t.W3), 0);
    this.head.set(decodeFloat32(t.b3), F);
  }

  forecast(windows: Float32Array, count: number): ForecastBatch {
    const L = this.windowLength;
    const F = this.featureDim;
    if (this.center.length < count) {
      // reused between calls (the caller reads a batch's forecasts before the next call)
      const size = Math.max(count, 2 * this.center.length);
      this.x = new Float32Array(size * L);
      this.center = new Float64Array(size);
      this.spread = new Float64Array(size);
      this.expected = new Float64Array(size);
    }
    const { center, spread, expected } = this;
    const x = count * L === this.x.length ? this.x : this.x.subarray(0, count * L);
    normaliseWindows(windows, count, L, x, center, spread);
    const [W1, b1, W2, b2] = this.vars;
    // Fused matmul+bias(+relu) ops on the backend; the 16→1 head is done in JS below
    // (tidy returns the tensor: returning the typed array would make tidy walk every element).
    const phiT = tf.tidy(() => {
      const input = tf.tensor2d(x, [count, L]);
      const h = tf.fused.matMul({ a: input, b: W1 as tf.Tensor2D, bias: b1, activation: 'relu' });
      // (the wasm backend fuses relu but not tanh)
      return tf.tanh(tf.fused.matMul({ a: h, b: W2 as tf.Tensor2D, bias: b2 }));
    });
    const features = phiT.dataSync() as Float32Array;
    phiT.dispose();
    const head = this.head;
    for (let i = 0; i < count; i++) {
      let y = head[F];
      const o = i * F;
      for (let j = 0; j < F; j++) y += features[o + j] * head[j];
      expected[i] = center[i] + spread[i] * y;
    }
    return { expected, center, spread, features };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const v of this.vars) v.dispose();
  }
}
