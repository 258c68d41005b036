import type * as tf from '@tensorflow/tfjs';
import { FailedPreconditionError } from '@x0/core';
import { baseModelSignature, mergedAdapterModel, readAdapter } from '@x0/lora';
import type { ModelRegistry } from '@x0/model-registry';
import { championOf, type TrainOutcome } from './trainable';

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
    return { model: await mergedAdapterModel(base, adapter), version: champion.version };
  } finally {
    adapter.dispose();
  }
}

/** Times an adapter job trains again when the base's champion moved while it trained. */
const ADAPTER_BASE_ATTEMPTS = 3;

/**
 * A component's adapter trained on the champion of `baseModel` that serves: `train(version)`
 * fits it on `baseModel@version` ('' when the base has no champion: the shipped weights). The
 * champion can be promoted or rolled back meanwhile, and an adapter of the old base would not
 * apply (the serving service gives the component the base alone) — then the outcome is dropped
 * and it trains again, at most ADAPTER_BASE_ATTEMPTS times in all (then FailedPreconditionError).
 */
export async function trainOnServingBase(registry: ModelRegistry, baseModel: string, component: string, train: (baseVersion: string) => Promise<TrainOutcome>): Promise<TrainOutcome> {
  for (let attempt = 1; ; attempt++) {
    const version = await championVersion(registry, baseModel);
    const outcome = await train(version);
    const now = await championVersion(registry, baseModel);
    if (now === version) return outcome;
    outcome.dispose();
    if (attempt >= ADAPTER_BASE_ATTEMPTS) {
      throw new FailedPreconditionError(
        `the ${baseModel} champion moved while ${component}'s adapter trained, ${attempt} times (now ${now || 'none'}): an adapter of another base would not apply; train it again once the base settles`,
      );
    }
  }
}

/** The version `model`'s champion alias names ('' when none): one KV read. */
function championVersion(registry: ModelRegistry, model: string): Promise<string> {
  return registry.alias(model, 'champion').then(
    (a) => a?.version ?? '',
    () => '',
  );
}
