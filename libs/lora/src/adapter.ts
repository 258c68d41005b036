import * as tf from '@tensorflow/tfjs';
import { FailedPreconditionError, InvalidArgumentError } from '@x0/core';
import { isLoRADense } from './lora-dense';
import { loraLayers, mergeAdapter, requireSequential, wrapLayers, type AdapterLayerSpec } from './model-surgery';
import { baseModelSignature } from './signature';

/** `format` of adapter artifacts, so a full model is never mistaken for an adapter. */
export const ADAPTER_FORMAT = 'x0-lora-adapter';
const ADAPTER_VERSION = 1;

/** One adapted layer: where it sits in the base model and its trained matrices. */
export interface AdapterLayer {
  /** Index in `model.layers` of the base model. */
  index: number;
  /** Layer name, for messages. */
  name: string;
  inputDim: number;
  units: number;
  rank: number;
  alpha: number;
  /** `[rank, inputDim]` */
  a: tf.Tensor2D;
  /** `[units, rank]` */
  b: tf.Tensor2D;
}

/**
 * A trained LoRA adapter detached from its model: the A and B matrices of every adapted
 * layer plus the signature of the base model they were trained on. It owns its tensors:
 * call `dispose()` when done.
 */
export class LoRAAdapter {
  constructor(
    /** `baseModelSignature()` of the base the adapter was trained on. */
    readonly baseSignature: string,
    readonly layers: readonly AdapterLayer[],
  ) {}

  /** Rank of the adapter (the largest layer rank; all layers share it when made by `applyLoRA`). */
  get rank(): number {
    return Math.max(...this.layers.map((l) => l.rank));
  }

  /** Number of adapter parameters (all A and B entries). */
  get paramCount(): number {
    return this.layers.reduce((n, l) => n + l.a.size + l.b.size, 0);
  }

  /** Serialised form for any tfjs IOHandler: topology = adapter config, weights = A and B (float32). */
  toArtifacts(): tf.io.ModelArtifacts {
    const weightSpecs: tf.io.WeightsManifestEntry[] = [];
    const buffers: ArrayBuffer[] = [];
    for (const l of this.layers) {
      for (const [name, t] of [['lora_a', l.a], ['lora_b', l.b]] as const) {
        weightSpecs.push({ name: `${l.index}/${name}`, shape: t.shape, dtype: 'float32' });
        buffers.push(new Float32Array(t.dataSync()).buffer);
      }
    }
    const config = this.layers.map(({ index, name, inputDim, units, rank, alpha }) => ({ index, name, inputDim, units, rank, alpha }));
    return {
      modelTopology: { format: ADAPTER_FORMAT, version: ADAPTER_VERSION, baseSignature: this.baseSignature, layers: config },
      format: ADAPTER_FORMAT,
      generatedBy: '@x0/lora',
      convertedBy: null,
      weightSpecs,
      weightData: tf.io.concatenateArrayBuffers(buffers),
      userDefinedMetadata: { baseSignature: this.baseSignature, rank: this.rank },
    };
  }

  /** Writes the adapter through a tfjs IOHandler (e.g. `fileIO(dir)` or a registry handler). */
  async save(handler: tf.io.IOHandler): Promise<tf.io.SaveResult> {
    if (!handler.save) throw new InvalidArgumentError('handler', 'cannot save (it has no save method)');
    return handler.save(this.toArtifacts());
  }

  /**
   * Rebuilds an adapter from artifacts written by `toArtifacts()`/`save()`.
   * Throws InvalidArgumentError when they are not an adapter or are inconsistent.
   */
  static fromArtifacts(artifacts: tf.io.ModelArtifacts): LoRAAdapter {
    const topology = artifacts.modelTopology as Record<string, unknown> | undefined;
    if (artifacts.format !== ADAPTER_FORMAT || !topology || topology['format'] !== ADAPTER_FORMAT) {
      throw new InvalidArgumentError('artifacts', `are not a LoRA adapter (format '${artifacts.format ?? ''}', expected '${ADAPTER_FORMAT}')`);
    }
    if (topology['version'] !== ADAPTER_VERSION) throw new InvalidArgumentError('artifacts.version', `${String(topology['version'])} is not supported`);
    const baseSignature = String(topology['baseSignature'] ?? '');
    if (!baseSignature) throw new InvalidArgumentError('artifacts.baseSignature', 'is missing');
    if (!artifacts.weightSpecs || !artifacts.weightData) throw new InvalidArgumentError('artifacts.weightData', 'is missing');
    const configs = topology['layers'] as Array<Omit<AdapterLayer, 'a' | 'b'>>;
    const tensors = tf.io.decodeWeights(artifacts.weightData, artifacts.weightSpecs);
    try {
      const layers = configs.map((c, k) => {
        const a = tensors[`${c.index}/lora_a`];
        const b = tensors[`${c.index}/lora_b`];
        if (!a || !b) throw new InvalidArgumentError(`artifacts.layers[${k}]`, `has no weights for layer ${c.index}`);
        expectShape(`layers[${k}].a`, a, [c.rank, c.inputDim]);
        expectShape(`layers[${k}].b`, b, [c.units, c.rank]);
        return { ...c, a: a as tf.Tensor2D, b: b as tf.Tensor2D };
      });
      return new LoRAAdapter(baseSignature, layers);
    } catch (err) {
      tf.dispose(Object.values(tensors));
      throw err;
    }
  }

  /** Frees the adapter's tensors. Safe to call twice. */
  dispose(): void {
    for (const l of this.layers) tf.dispose([l.a, l.b]);
  }
}

/**
 * Copies the adapter out of a LoRA model (one made by `applyLoRA` or `loadAdapter`), with
 * the signature of its base weights. Throws InvalidArgumentError when it has no LoRADense layer.
 */
export function extractAdapter(model: tf.LayersModel): LoRAAdapter {
  const found = loraLayers(model);
  if (found.length === 0) throw new InvalidArgumentError('model', 'has no LoRADense layer: wrap it with applyLoRA() first');
  const layers = found.map(({ index, layer }) => {
    const { a, b } = layer.getAdapterWeights();
    return { index, name: layer.name, inputDim: a.shape[1], units: layer.units, rank: layer.rank, alpha: layer.alpha, a, b };
  });
  return new LoRAAdapter(baseModelSignature(model), layers);
}

/** Extracts the adapter of a LoRA model and saves it through `handler` (only A, B, config and base signature). */
export async function saveAdapter(model: tf.LayersModel, handler: tf.io.IOHandler): Promise<tf.io.SaveResult> {
  const adapter = extractAdapter(model);
  try {
    return await adapter.save(handler);
  } finally {
    adapter.dispose();
  }
}

/** Reads an adapter through a tfjs IOHandler. Throws InvalidArgumentError when what it loads is not an adapter. */
export async function readAdapter(handler: tf.io.IOHandler): Promise<LoRAAdapter> {
  if (!handler.load) throw new InvalidArgumentError('handler', 'cannot load (it has no load method)');
  return LoRAAdapter.fromArtifacts(await handler.load());
}

/**
 * A new LoRA model: `baseModel` (a plain Sequential model, not modified) with the adapter
 * from `source` applied. The adapter must have been trained on exactly these base
 * weights: otherwise FailedPreconditionError naming both signatures. Throws
 * InvalidArgumentError when the base already has LoRA layers or its layers do not fit
 * the adapter. An adapter read from a handler is disposed here; one passed in stays the caller's.
 */
export async function loadAdapter(baseModel: tf.LayersModel, source: tf.io.IOHandler | LoRAAdapter): Promise<tf.Sequential> {
  const seq = requireSequential(baseModel);
  if (seq.layers.some(isLoRADense)) {
    throw new InvalidArgumentError('baseModel', 'already has LoRA layers: pass the plain base model the adapter was trained on');
  }
  const adapter = source instanceof LoRAAdapter ? source : await readAdapter(source);
  try {
    const signature = baseModelSignature(seq);
    if (signature !== adapter.baseSignature) {
      throw new FailedPreconditionError(
        `LoRA adapter was trained on base model ${adapter.baseSignature} but the given base model is ${signature}: ` +
          'load it onto the base it was trained with, or retrain the adapter on this base',
      );
    }
    const specs = new Map<number, AdapterLayerSpec>();
    adapter.layers.forEach((l, k) => {
      const layer = seq.layers[l.index];
      const config = layer?.getConfig();
      if (!layer || layer.getClassName() !== 'Dense' || config?.['units'] !== l.units) {
        throw new InvalidArgumentError(`adapter.layers[${k}]`, `expects a Dense layer of ${l.units} units at index ${l.index}`);
      }
      specs.set(l.index, { rank: l.rank, alpha: l.alpha });
    });
    const model = wrapLayers(seq, specs);
    const byIndex = new Map(adapter.layers.map((l) => [l.index, l]));
    try {
      for (const { index, layer } of loraLayers(model)) {
        const l = byIndex.get(index)!;
        layer.setAdapterWeights(l.a, l.b);
      }
    } catch (err) {
      model.dispose();
      throw err;
    }
    return model;
  } finally {
    if (!(source instanceof LoRAAdapter)) adapter.dispose();
  }
}

/**
 * `adapter` loaded onto `baseModel` and merged (`mergeAdapter(await loadAdapter(...))`): a new
 * plain model with the base's layers and cost; the intermediate LoRA model is freed whatever
 * happens. Throws as `loadAdapter` does (FailedPreconditionError for another base).
 */
export async function mergedAdapterModel(baseModel: tf.LayersModel, adapter: tf.io.IOHandler | LoRAAdapter): Promise<tf.Sequential> {
  const lora = await loadAdapter(baseModel, adapter);
  try {
    return mergeAdapter(lora);
  } finally {
    lora.dispose();
  }
}

function expectShape(field: string, t: tf.Tensor, shape: number[]): void {
  if (!tf.util.arraysEqual(t.shape, shape)) throw new InvalidArgumentError(field, `has shape [${t.shape}], expected [${shape}]`);
}
