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
      // Aᵀ and (alpha/rank)·Bᵀ are small ([in, rank], [rank, units]); multiplying by them
      // rather than passing transpose flags keeps every product on the backend's fast path.
      const aT = tf.transpose(loraA.read() as tf.Tensor2D);
      const bT = tf.transpose(loraB.read() as tf.Tensor2D).mul(this.scale) as tf.Tensor2D;
      const y = base.add(matMul(matMul(x2, aT), bT)); // x·Aᵀ: [batch, rank], then ·(alpha/rank)·Bᵀ
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
 * `a·b` without transpose flags. While a tape records, its gradients are `dy·bᵀ` and `aᵀ·dy`
 * with the transposes materialised: tfjs's own matMul gradient passes transpose flags, which
 * the wasm backend runs on a slow path.
 */
function matMul(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  if (!recordingGradients()) return tf.matMul(a, b);
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [ta, tb, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
    save([ta, tb]); // tensors the backward pass uses must be saved: the forward scope disposes its own
    return {
      value: tf.matMul(ta, tb),
      gradFunc: (dy: tf.Tensor, [sa, sb]: tf.Tensor[]) => [
        tf.matMul(dy as tf.Tensor2D, tf.transpose(sb as tf.Tensor2D)),
        tf.matMul(tf.transpose(sa as tf.Tensor2D), dy as tf.Tensor2D),
      ],
    };
  });
  return op(a, b) as tf.Tensor2D;
}

function positiveInt(field: string, v: number): void {
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
