import type * as tf from '@tensorflow/tfjs';

type Activation = 'linear' | 'relu' | 'sigmoid' | 'tanh';

interface DenseWeights {
  inDim: number;
  outDim: number;
  /** Row-major [inDim, outDim], as tfjs stores a Dense kernel. */
  kernel: Float32Array;
  bias: Float32Array;
  activation: Activation;
}

const ACTIVATIONS: ReadonlySet<string> = new Set(['linear', 'relu', 'sigmoid', 'tanh']);

/**
 * The forward pass of a small stack of Dense layers in plain JavaScript, from a snapshot of a
 * tfjs model's weights. For a model as small as the action-parameter network (5 → 32 → 32 → 1,
 * a few hundred rows at most) a tfjs `predict` costs ~0.3 ms of layer, kernel and tensor
 * bookkeeping per call; these loops cost a few microseconds per row.
 *
 * The weights are copied when the snapshot is taken: use it for models that no longer change
 * (a served base, a merged adapter), not for one being trained.
 */
export class DenseForward {
  private readonly scratch: [Float64Array, Float64Array];

  private constructor(
    private readonly layers: readonly DenseWeights[],
    /** Width of the input rows. */
    readonly inputDim: number,
  ) {
    const widest = Math.max(inputDim, ...layers.map((l) => l.outDim));
    this.scratch = [new Float64Array(widest), new Float64Array(widest)];
  }

  /**
   * A snapshot of `model` when it is a plain stack of Dense layers with linear, relu, sigmoid or
   * tanh activations and one output unit; undefined otherwise (callers then use tfjs).
   */
  static fromModel(model: tf.LayersModel): DenseForward | undefined {
    const layers: DenseWeights[] = [];
    for (const layer of model.layers) {
      if (layer.getClassName() === 'InputLayer') continue;
      if (layer.getClassName() !== 'Dense') return undefined;
      const config = layer.getConfig() as { activation?: string; useBias?: boolean };
      const activation = config.activation ?? 'linear';
      if (!ACTIVATIONS.has(activation)) return undefined;
      const weights = layer.getWeights();
      const kernel = weights[0];
      if (!kernel || kernel.shape.length !== 2) return undefined;
      const [inDim, outDim] = kernel.shape as [number, number];
      const bias = config.useBias === false ? new Float32Array(outDim) : (weights[1]?.dataSync() as Float32Array | undefined);
      if (!bias || bias.length !== outDim) return undefined;
      if (layers.length > 0 && layers[layers.length - 1].outDim !== inDim) return undefined;
      layers.push({ inDim, outDim, kernel: Float32Array.from(kernel.dataSync() as Float32Array), bias: Float32Array.from(bias), activation: activation as Activation });
    }
    if (layers.length === 0 || layers[layers.length - 1].outDim !== 1) return undefined;
    return new DenseForward(layers, layers[0].inDim);
  }

  /** The model's output for each row (rows of `inputDim` numbers). */
  predict(rows: readonly (readonly number[])[]): number[] {
    const out = new Array<number>(rows.length);
    for (let r = 0; r < rows.length; r++) out[r] = this.forward(rows[r]);
    return out;
  }

  private forward(row: readonly number[]): number {
    if (row.length !== this.inputDim) throw new RangeError(`row has ${row.length} features, the model takes ${this.inputDim}`);
    let [x, y] = this.scratch;
    for (let i = 0; i < row.length; i++) x[i] = row[i];
    for (const l of this.layers) {
      const { inDim, outDim, kernel, bias } = l;
      for (let j = 0; j < outDim; j++) y[j] = bias[j];
      for (let i = 0; i < inDim; i++) {
        const xi = x[i];
        if (xi === 0) continue;
        const off = i * outDim;
        for (let j = 0; j < outDim; j++) y[j] += xi * kernel[off + j];
      }
      activate(y, outDim, l.activation);
      [x, y] = [y, x];
    }
    // Round to float32 like tfjs, so both paths give the same numbers to ~1e-7.
    return Math.fround(x[0]);
  }
}

function activate(v: Float64Array, n: number, activation: Activation): void {
  switch (activation) {
    case 'relu':
      for (let j = 0; j < n; j++) if (v[j] < 0) v[j] = 0;
      return;
    case 'sigmoid':
      for (let j = 0; j < n; j++) v[j] = 1 / (1 + Math.exp(-v[j]));
      return;
    case 'tanh':
      for (let j = 0; j < n; j++) v[j] = Math.tanh(v[j]);
      return;
    case 'linear':
      return;
  }
}
