import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError } from '@x0/core';

/** Default adapter rank `r`. */
export const DEFAULT_RANK = 8;
/** Default scaling numerator: the adapter's output is multiplied by `alpha / r`. */
export const DEFAULT_ALPHA = 16;

/** Shape as tfjs-layers passes it to `build()`: `null` for the batch dimension. */
type LayerShape = (number | null)[];
/** Constructor options every tfjs layer accepts (name, inputShape, batchInputShape, trainable...). */
type BaseLayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;
/** Activation names tfjs-layers knows ('linear', 'relu', 'sigmoid', 'tanh', 'softmax', ...). */
export type ActivationName = NonNullable<Parameters<typeof tf.layers.activation>[0]>['activation'];

/** Options of {@link LoRADense}. */
export interface LoRADenseArgs extends BaseLayerArgs {
  /** Output width (columns of the base kernel). */
  units: number;
  /** Adapter rank `r` (default 8). */
  rank?: number;
  /** Scaling numerator; the update is scaled by `alpha / rank` (default 16). */
  alpha?: number;
  /** Activation applied after the sum (default 'linear'). */
  activation?: ActivationName;
  /** Whether the frozen base has a bias (default true). */
  useBias?: boolean;
  /** Seed of A's random initialisation, for reproducible adapters. */
  seed?: number;
}

/** Merged weights of a {@link LoRADense}: a plain Dense layer's kernel `[in, units]` and bias `[units]`. */
export interface MergedDenseWeights {
  kernel: tf.Tensor2D;
  bias?: tf.Tensor1D;
}

/**
 * A Dense layer with a frozen base and a trainable low-rank update (LoRA, Hu et al. 2021).
 *
 * Orientation (the paper's, and PyTorch peft's): the base kernel `W` is tfjs's `[in, units]`,
 * `A` is `[rank, in]` and `B` is `[units, rank]`, and for a row-vector input `x`
 *
 *     y = activation(x·W + b + (alpha / rank) · x·Aᵀ·Bᵀ)
 *
 * so the merged kernel is `W + (alpha / rank)·Aᵀ·Bᵀ = W + (alpha / rank)·(B·A)ᵀ`.
 * `W` and `b` are non-trainable; `A` starts uniform in ±1/√in and `B` at zero, so a new
 * adapter leaves the base output unchanged until it is trained. `getWeights`/`setWeights`
 * follow tfjs's order, trainable first: lora_a, lora_b, kernel, bias (when `useBias`);
 * `setBaseWeights`/`setAdapterWeights` address the two halves by name.
 * Registered with `tf.serialization`, so models containing it save and load.
 */
export class LoRADense extends tf.layers.Layer {
  /** @nocollapse */
  static className = 'LoRADense';

  readonly units: number;
  readonly rank: number;
  readonly alpha: number;
  readonly useBias: boolean;
  readonly activationName: ActivationName;
  private readonly seed: number | undefined;
  private readonly activationLayer: tf.layers.Layer;
  private kernel?: tf.LayerVariable;
  private bias?: tf.LayerVariable;
  private loraA?: tf.LayerVariable;
  private loraB?: tf.LayerVariable;

  /** Throws InvalidArgumentError on a non-positive units/rank, a non-finite alpha or an unknown activation. */
  constructor(args: LoRADenseArgs) {
    super(args);
    positiveInt('units', args.units);
    this.units = args.units;
    this.rank = args.rank ?? DEFAULT_RANK;
    positiveInt('rank', this.rank);
    this.alpha = args.alpha ?? DEFAULT_ALPHA;
    if (!Number.isFinite(this.alpha)) throw new InvalidArgumentError('alpha', `must be finite, got ${this.alpha}`);
    this.useBias = args.useBias ?? true;
    this.activationName = args.activation ?? 'linear';
    this.seed = args.seed;
    try {
      // The Activation layer resolves names exactly as Dense does, and rejects unknown ones.
      this.activationLayer = tf.layers.activation({ activation: this.activationName });
    } catch (err) {
      throw new InvalidArgumentError('activation', `unknown activation '${String(this.activationName)}'`, { cause: err });
    }
    this.inputSpec = [{ minNDim: 2 }];
    this.supportsMasking = true;
  }

  /** The `alpha / rank` factor applied to the low-rank update. */
  get scale(): number {
    return this.alpha / this.rank;
  }

  override build(inputShape: LayerShape | LayerShape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as LayerShape;
    const inputDim = shape[shape.length - 1];
    if (inputDim === null || inputDim === undefined) throw new InvalidArgumentError('inputShape', 'last dimension must be known');
    this.kernel = this.addWeight('kernel', [inputDim, this.units], 'float32', tf.initializers.glorotUniform({}), undefined, false);
    if (this.useBias) this.bias = this.addWeight('bias', [this.units], 'float32', tf.initializers.zeros(), undefined, false);
    const bound = 1 / Math.sqrt(inputDim);
    const aInit = tf.initializers.randomUniform({ minval: -bound, maxval: bound, seed: this.seed });
    this.loraA = this.addWeight('lora_a', [this.rank, inputDim], 'float32', aInit, undefined, true);
    this.loraB = this.addWeight('lora_b', [this.units, this.rank], 'float32', tf.initializers.zeros(), undefined, true);
    this.inputSpec = [{ minNDim: 2, axes: { [-1]: inputDim } }];
    this.built = true;
  }

  override computeOutputShape(inputShape: LayerShape | LayerShape[]): LayerShape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as LayerShape;
    return [...shape.slice(0, -1), this.units];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const { kernel, bias, loraA, loraB } = this.variables();
      const inputDim = kernel.shape[0] as number;
      // Dense semantics for N-D inputs: contract the last axis only.
      const x2 = (x.rank === 2 ? x : x.reshape([-1, inputDim])) as tf.Tensor2D;
      const base = frozenDense(x2, kernel.read() as tf.Tensor2D, bias?.read() as tf.Tensor1D | undefined);
      const y = base.add(lowRankUpdate(x2, loraA.read() as tf.Tensor2D, loraB.read() as tf.Tensor2D, this.scale));
      const out = x.rank === 2 ? y : y.reshape([...x.shape.slice(0, -1), this.units]);
      return this.activationLayer.call(out, {}) as tf.Tensor;
    });
  }

  /** Folds the adapter into the base: `{ kernel: W + (alpha/rank)·Aᵀ·Bᵀ, bias: b }` (new tensors; the caller disposes them). */
  merge(): MergedDenseWeights {
    const { kernel, bias, loraA, loraB } = this.variables();
    const merged = tf.tidy(() => {
      const delta = tf.matMul(loraA.read() as tf.Tensor2D, loraB.read() as tf.Tensor2D, true, true).mul(this.scale);
      return kernel.read().add(delta) as tf.Tensor2D;
    });
    return { kernel: merged, bias: bias ? (tf.clone(bias.read()) as tf.Tensor1D) : undefined };
  }

  /** Copies of the frozen base weights: `[kernel]` or `[kernel, bias]`. */
  getBaseWeights(): tf.Tensor[] {
    const { kernel, bias } = this.variables();
    return bias ? [tf.clone(kernel.read()), tf.clone(bias.read())] : [tf.clone(kernel.read())];
  }

  /** Replaces the frozen base weights (`[kernel]` or `[kernel, bias]`, Dense order). Throws InvalidArgumentError on a shape mismatch. */
  setBaseWeights(weights: readonly tf.Tensor[]): void {
    const { kernel, bias } = this.variables();
    const targets = bias ? [kernel, bias] : [kernel];
    assignAll('base weights', targets, weights);
  }

  /** Copies of the adapter matrices: `A [rank, in]` and `B [units, rank]`. */
  getAdapterWeights(): { a: tf.Tensor2D; b: tf.Tensor2D } {
    const { loraA, loraB } = this.variables();
    return { a: tf.clone(loraA.read()) as tf.Tensor2D, b: tf.clone(loraB.read()) as tf.Tensor2D };
  }

  /** Replaces `A` and `B`. Throws InvalidArgumentError on a shape mismatch. */
  setAdapterWeights(a: tf.Tensor, b: tf.Tensor): void {
    const { loraA, loraB } = this.variables();
    assignAll('adapter weights', [loraA, loraB], [a, b]);
  }

  override getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = {
      units: this.units,
      rank: this.rank,
      alpha: this.alpha,
      activation: this.activationName,
      useBias: this.useBias,
    };
    if (this.seed !== undefined) config['seed'] = this.seed;
    return { ...config, ...super.getConfig() };
  }

  private variables() {
    if (!this.kernel || !this.loraA || !this.loraB) {
      throw new InvalidArgumentError('', `LoRADense '${this.name}' is not built yet: call it on an input or add it to a model first`);
    }
    return { kernel: this.kernel, bias: this.bias, loraA: this.loraA, loraB: this.loraB };
  }
}
tf.serialization.registerClass(LoRADense);

/** Creates a {@link LoRADense} layer (factory in the style of `tf.layers.dense`). */
export function loraDense(args: LoRADenseArgs): LoRADense {
  return new LoRADense(args);
}

/** True for a LoRADense layer, also across duplicate module instances (compares class names). */
export function isLoRADense(layer: tf.layers.Layer): layer is LoRADense {
  return layer.getClassName() === LoRADense.className;
}

/** True while a gradient tape records (inside tf.grad, variableGrads, optimizer.minimize, fit). */
function recordingGradients(): boolean {
  return tf.engine().state.gradientDepth > 0;
}

/**
 * `x·W + b` for the frozen base path. Outside gradient recording (predict, serving) it is
 * Dense's own fused op, so a zero B reproduces the base output bit for bit. While a tape
 * records, it is an op whose only differentiable input is `x`: tfjs's fused matMul would
 * compute dx, dW and db every step (its custom gradient is eager), although W and b are frozen
 * and dx is useless for the first layer. Here dW and db are never computed, and dx only when
 * the tape needs it (not for the model input); it is `dy·(Wᵀ)` with Wᵀ materialised, because
 * the wasm backend's matMul with a transpose flag takes a slow path (≈ 5× on [512,128]·[128,64]).
 */
function frozenDense(x: tf.Tensor2D, kernel: tf.Tensor2D, bias: tf.Tensor1D | undefined): tf.Tensor2D {
  const forward = (input: tf.Tensor2D) => tf.fused.matMul({ a: input, b: kernel, bias }) as tf.Tensor2D;
  if (!recordingGradients()) return forward(x);
  // W and b are read from the closure, not passed as inputs: the tape never sees them. They
  // are variables, alive (and unchanged) until the backward pass of this step has run.
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: forward(args[0] as tf.Tensor2D),
    gradFunc: (dy: tf.Tensor) => tf.matMul(dy as tf.Tensor2D, tf.transpose(kernel)),
  }));
  return op(x) as tf.Tensor2D;
}

/**
 * `scale·x·Aᵀ·Bᵀ` (`[batch, units]`) as one op with a hand-written gradient. Every product
 * avoids the wasm backend's slow path for wide outputs with a transposed operand: Bᵀ
 * (`[rank, units]`, small) is materialised rather than passed as a transpose flag, and so are
 * the small transposes the gradients need. One op instead of the ~15 tfjs would record
 * for the same maths: on a small model a training step costs mostly per-op overhead.
 */
function lowRankUpdate(x: tf.Tensor2D, a: tf.Tensor2D, b: tf.Tensor2D, scale: number): tf.Tensor2D {
  const forward = (xi: tf.Tensor2D, ai: tf.Tensor2D, bi: tf.Tensor2D) => {
    const low = tf.matMul(xi, ai, false, true).mul(scale) as tf.Tensor2D; // scale·x·Aᵀ: [batch, rank]
    return { low, value: tf.matMul(low, tf.transpose(bi)) as tf.Tensor2D };
  };
  if (!recordingGradients()) return forward(x, a, b).value;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xi, ai, bi, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
    const { low, value } = forward(xi, ai, bi);
    save([xi, ai, bi, low]); // the forward scope disposes its own tensors: keep what the backward pass needs
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sa, sb, sLow] = saved as tf.Tensor2D[];
        const dLow = tf.matMul(dy as tf.Tensor2D, sb).mul(scale) as tf.Tensor2D; // [batch, rank]
        const dx = tf.matMul(dLow, sa); // [batch, in]
        const dA = tf.matMul(tf.transpose(dLow), sx); // [rank, in]
        const dB = tf.transpose(tf.matMul(tf.transpose(sLow), dy as tf.Tensor2D)); // (lowᵀ·dy)ᵀ: [units, rank]
        return [dx, dA, dB];
      },
    };
  });
  return op(x, a, b) as tf.Tensor2D;
}

/** Throws InvalidArgumentError unless `v` is a positive integer (also used by fine-tune.ts). */
export function positiveInt(field: string, v: number): void {
  if (!Number.isInteger(v) || v <= 0) throw new InvalidArgumentError(field, `must be a positive integer, got ${v}`);
}

function assignAll(what: string, targets: tf.LayerVariable[], values: readonly tf.Tensor[]): void {
  if (values.length !== targets.length) throw new InvalidArgumentError(what, `expected ${targets.length} tensors, got ${values.length}`);
  targets.forEach((t, i) => {
    const v = values[i];
    if (!tf.util.arraysEqual(t.shape as number[], v.shape)) {
      throw new InvalidArgumentError(`${what}[${i}]`, `has shape [${v.shape}], expected [${t.shape}]`);
    }
  });
  targets.forEach((t, i) => t.write(values[i]));
}
