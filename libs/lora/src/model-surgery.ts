import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError } from '@x0/core';
import { DEFAULT_ALPHA, DEFAULT_RANK, isLoRADense, LoRADense, type ActivationName } from './lora-dense';

/** Options of {@link applyLoRA}. */
export interface ApplyLoRAOptions {
  /** Adapter rank `r` (default 8). */
  rank?: number;
  /** Scaling numerator, update scaled by `alpha / rank` (default 16). */
  alpha?: number;
  /**
   * Which Dense layers to adapt: by name or by index in `model.layers`; `'low-rank'` for the
   * Dense layers where the adapter is at most half the size of the kernel it adapts
   * (`rank·(in + units) ≤ in·units / 2`, see {@link isLowRankFor}); every Dense layer when
   * omitted. Naming a layer that is not Dense, or `'low-rank'` on a model with no such
   * layer, throws InvalidArgumentError.
   */
  layers?: readonly (string | number)[] | 'low-rank';
  /** Seed for the A matrices (layer i uses seed + i), for reproducible adapters. */
  seed?: number;
}

/** Trainable vs frozen parameter counts of a model. */
export interface ParamCounts {
  trainable: number;
  frozen: number;
  total: number;
  /** trainable / frozen: the adapter's size relative to the base it adapts (0 when nothing is frozen). */
  trainableFraction: number;
}

/**
 * A new Sequential model in which the chosen Dense layers of `model` are LoRADense layers
 * holding a copy of the Dense weights as their frozen base; every other layer is copied
 * with its weights and made non-trainable, so fitting the result trains only A and B.
 * Layer names are kept. `model` is not modified. Only Sequential models are supported.
 * Throws InvalidArgumentError for a non-Sequential model or a bad `layers` entry.
 */
export function applyLoRA(model: tf.LayersModel, options: ApplyLoRAOptions = {}): tf.Sequential {
  const seq = requireSequential(model);
  const specs = new Map<number, AdapterLayerSpec>();
  const rank = options.rank ?? DEFAULT_RANK;
  for (const index of selectDense(seq, options.layers, rank)) {
    specs.set(index, {
      rank,
      alpha: options.alpha ?? DEFAULT_ALPHA,
      seed: options.seed === undefined ? undefined : options.seed + index,
    });
  }
  return wrapLayers(seq, specs);
}

/** Rank, alpha and seed of one adapted layer. */
export interface AdapterLayerSpec {
  rank: number;
  alpha: number;
  seed?: number;
}

/**
 * Replaces the Dense layers at the given indexes of `seq` with LoRADense layers (fresh
 * adapters with the given spec) holding a copy of the Dense weights; everything else is
 * copied and frozen. The indexes must be Dense layers (checked by the callers).
 */
export function wrapLayers(seq: tf.Sequential, specs: ReadonlyMap<number, AdapterLayerSpec>): tf.Sequential {
  return rebuild(seq, (layer, index, first) => {
    const spec = specs.get(index);
    if (!spec) return undefined;
    const base = layer.getConfig();
    const lora = new LoRADense({
      ...first,
      name: layer.name,
      units: Number(base['units']),
      activation: base['activation'] as ActivationName,
      useBias: base['useBias'] !== false,
      ...spec,
    });
    return {
      layer: lora,
      init: () => {
        const weights = baseWeightsOf(layer);
        lora.setBaseWeights(weights);
        tf.dispose(weights);
      },
    };
  });
}

/**
 * Folds every LoRADense layer of `model` into a plain Dense layer with kernel
 * `W + (alpha/rank)·Aᵀ·Bᵀ`, returning a new Sequential model made only of the original
 * layer types: inference costs exactly what the base model costs. `model` is not modified.
 */
export function mergeAdapter(model: tf.LayersModel): tf.Sequential {
  const seq = requireSequential(model);
  return rebuild(seq, (layer, _index, first) => {
    if (!isLoRADense(layer)) return undefined;
    const dense = tf.layers.dense({ ...first, name: layer.name, units: layer.units, activation: layer.activationName, useBias: layer.useBias });
    return {
      layer: dense,
      init: () => {
        const { kernel, bias } = layer.merge();
        dense.setWeights(bias ? [kernel, bias] : [kernel]);
        tf.dispose([kernel, bias]);
      },
    };
  });
}

/** Counts trainable and frozen parameters (a LoRA model: A and B vs everything else). */
export function countParams(model: tf.LayersModel): ParamCounts {
  const size = (ws: tf.LayerVariable[]) => ws.reduce((n, w) => n + tf.util.sizeFromShape(w.shape as number[]), 0);
  const trainable = size(model.trainableWeights);
  const frozen = size(model.nonTrainableWeights);
  return { trainable, frozen, total: trainable + frozen, trainableFraction: frozen === 0 ? 0 : trainable / frozen };
}

/** The LoRADense layers of a model with their index in `model.layers`. */
export function loraLayers(model: tf.LayersModel): Array<{ index: number; layer: LoRADense }> {
  return model.layers.flatMap((layer, index) => (isLoRADense(layer) ? [{ index, layer }] : []));
}

/**
 * The weights a layer contributes to its base model: kernel and bias for Dense and
 * LoRADense (A and B are not part of the base), all weights for any other layer.
 * The caller disposes the returned tensors.
 */
export function baseWeightsOf(layer: tf.layers.Layer): tf.Tensor[] {
  // getWeights() hands out the live variables; clone so callers can dispose what they get.
  return isLoRADense(layer) ? layer.getBaseWeights() : layer.getWeights().map((w) => tf.clone(w));
}

/** Throws InvalidArgumentError unless `model` is a tf.Sequential. */
export function requireSequential(model: tf.LayersModel): tf.Sequential {
  if (!(model instanceof tf.Sequential) && model.getClassName() !== 'Sequential') {
    throw new InvalidArgumentError('model', `must be a tf.Sequential model, got ${model.getClassName()}`);
  }
  return model as tf.Sequential;
}

interface Replacement {
  layer: tf.layers.Layer;
  /** Runs once the new model is built: sets the new layer's weights. */
  init(): void;
}

/** Input arguments for the first layer of a rebuilt model (empty for the others). */
interface FirstLayerArgs {
  batchInputShape?: (number | null)[];
  dtype?: tf.DataType;
}

/**
 * Rebuilds a Sequential model layer by layer: `replace` returns a new layer for the
 * positions it wants to change; every other layer is re-created from its config with
 * a copy of its weights and frozen.
 */
function rebuild(
  seq: tf.Sequential,
  replace: (layer: tf.layers.Layer, index: number, first: FirstLayerArgs) => Replacement | undefined,
): tf.Sequential {
  const input = seq.inputs[0];
  // Sequential takes its input from the first layer's batchInputShape, also when it is saved and loaded.
  const firstArgs: FirstLayerArgs = { batchInputShape: input.shape, dtype: input.dtype };
  const plan = seq.layers.map((layer, index) => {
    const first = index === 0 ? firstArgs : {};
    return replace(layer, index, first) ?? cloneFrozen(layer, first);
  });
  const out = tf.sequential({ name: seq.name });
  for (const p of plan) out.add(p.layer);
  plan.forEach((p) => p.init());
  return out;
}

function cloneFrozen(layer: tf.layers.Layer, first: FirstLayerArgs): Replacement {
  const className = layer.getClassName();
  const entry = tf.serialization.SerializationMap.getMap().classNameMap[className];
  if (!entry) throw new InvalidArgumentError('model', `layer '${layer.name}' has unregistered class ${className}`);
  const [cls, fromConfig] = entry;
  const config = { ...layer.getConfig(), ...first, trainable: isLoRADense(layer) ? layer.trainable : false };
  const copy = fromConfig(cls, config) as tf.layers.Layer;
  return {
    layer: copy,
    // setWeights assigns by reference count, so the copy and the original share no mutable state.
    init: () => copy.setWeights(layer.getWeights()),
  };
}

/**
 * True when a rank-`rank` adapter on a Dense layer with kernel `[inputDim, units]` is at most
 * half the size of the kernel: `rank·(inputDim + units) ≤ inputDim·units / 2`. Only then is the
 * update really low-rank; on narrower layers (an output layer of 1 unit, a 5-wide input) the
 * adapter has as many parameters as fine-tuning the kernel itself, or more.
 */
export function isLowRankFor(inputDim: number, units: number, rank: number): boolean {
  return rank * (inputDim + units) <= (inputDim * units) / 2;
}

function selectDense(seq: tf.Sequential, wanted: ApplyLoRAOptions['layers'], rank: number): Set<number> {
  const isDense = (l: tf.layers.Layer) => l.getClassName() === 'Dense';
  if (wanted === undefined || wanted === 'low-rank') {
    const all = seq.layers.flatMap((l, i) => (isDense(l) ? [i] : []));
    if (all.length === 0) throw new InvalidArgumentError('model', 'has no Dense layer to adapt');
    if (wanted === undefined) return new Set(all);
    const lowRank = all.filter((i) => {
      const [inputDim, units] = seq.layers[i].weights[0].shape as number[];
      return isLowRankFor(inputDim, units, rank);
    });
    if (lowRank.length === 0) {
      throw new InvalidArgumentError('layers', `'low-rank': no Dense layer is wide enough for rank ${rank} (needs rank·(in + units) ≤ in·units / 2)`);
    }
    return new Set(lowRank);
  }
  if (wanted.length === 0) throw new InvalidArgumentError('layers', 'must name at least one Dense layer');
  return new Set(
    wanted.map((w, k) => {
      const index = typeof w === 'number' ? w : seq.layers.findIndex((l) => l.name === w);
      const layer = seq.layers[index];
      if (!layer) throw new InvalidArgumentError(`layers[${k}]`, `no layer ${JSON.stringify(w)} in the model`);
      if (!isDense(layer)) throw new InvalidArgumentError(`layers[${k}]`, `layer '${layer.name}' is a ${layer.getClassName()}, not Dense`);
      return index;
    }),
  );
}
