import type * as tf from '@tensorflow/tfjs';
import { baseModelSignature, loadAdapter, mergeAdapter, readAdapter } from '@x0/lora';
import type { ModelRegistry } from '@x0/model-registry';
import { championOf } from './trainable';

/**
 * The champion of a component's adapter model merged into `base`, or `base` alone (version '')
 * when the model has no champion or its champion was trained on other base weights (its
 * `signature.baseModelHash` is not `baseModelSignature(base)`). The caller disposes the
 * returned model when it is not `base`.
 */
export async function championAdapterModel(registry: ModelRegistry, model: string, base: tf.LayersModel): Promise<{ model: tf.LayersModel; version: string }> {
  const champion = await championOf(registry, model);
  if (!champion || champion.signature.baseModelHash !== baseModelSignature(base)) return { model: base, version: '' };
  const adapter = await readAdapter(await registry.artifacts(model, champion.version));
  try {
    const lora = await loadAdapter(base, adapter);
    const merged = mergeAdapter(lora);
    lora.dispose();
    return { model: merged, version: champion.version };
  } finally {
    adapter.dispose();
  }
}
