import type { ObjectStore } from '@nats-io/obj';
import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError, NotFoundError } from '@x0/core';

const MODEL_JSON = 'model.json';
const WEIGHTS_BIN = 'weights.bin';

/** An IOHandler whose `save` also reports how many bytes it stored. */
export interface ObjectStoreIOHandler extends tf.io.IOHandler {
  save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult & { storedBytes: number }>;
  load(): Promise<tf.io.ModelArtifacts>;
}

/**
 * A tfjs IOHandler that saves `ModelArtifacts` into a JetStream Object Store bucket as two
 * objects, `<prefix>/weights.bin` and `<prefix>/model.json` (the tfjs `model.json` layout:
 * topology, format, weights manifest, metadata), and loads them back. Works for layers
 * models (`model.save(handler)`, `tf.loadLayersModel(handler)`) and LoRA adapters alike.
 * The weights are written first, so a `model.json` is only ever visible with its weights.
 * `load()` throws NotFoundError when `<prefix>/model.json` does not exist.
 */
export function objectStoreIO(store: ObjectStore, prefix: string): ObjectStoreIOHandler {
  if (!prefix || prefix.endsWith('/')) throw new InvalidArgumentError('prefix', `must be non-empty and not end in '/', got ${JSON.stringify(prefix)}`);
  const name = (file: string) => `${prefix}/${file}`;
  return {
    async save(artifacts) {
      if (artifacts.modelTopology instanceof ArrayBuffer) {
        throw new InvalidArgumentError('artifacts.modelTopology', 'binary topologies are not supported; save a layers model');
      }
      const weights = new Uint8Array(artifacts.weightData ? tf.io.CompositeArrayBuffer.join(artifacts.weightData) : new ArrayBuffer(0));
      await store.putBlob({ name: name(WEIGHTS_BIN) }, weights);
      const modelJSON: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology ?? {},
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }],
        ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
        ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
      };
      const json = new TextEncoder().encode(JSON.stringify(modelJSON));
      await store.putBlob({ name: name(MODEL_JSON) }, json);
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts), storedBytes: weights.byteLength + json.byteLength };
    },

    async load() {
      const json = await store.getBlob(name(MODEL_JSON));
      if (!json) throw new NotFoundError('model artifacts', name(MODEL_JSON));
      const modelJSON = JSON.parse(new TextDecoder().decode(json)) as tf.io.ModelJSON;
      return tf.io.getModelArtifactsForJSON(modelJSON, async (manifest) => {
        const specs = manifest.flatMap((group) => group.weights);
        const buffers = await Promise.all(
          manifest
            .flatMap((group) => group.paths)
            .map(async (p) => {
              const blob = await store.getBlob(name(p));
              if (!blob) throw new NotFoundError('model weights', name(p));
              return blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.byteLength) as ArrayBuffer;
            }),
        );
        return [specs, tf.io.concatenateArrayBuffers(buffers)];
      });
    },
  };
}

/** Deletes the objects `objectStoreIO(store, prefix)` writes (missing ones are ignored). */
export async function deleteArtifacts(store: ObjectStore, prefix: string): Promise<void> {
  await deleteArtifactsOrThrow(store, prefix).catch(() => undefined);
}

/**
 * Deletes the objects `objectStoreIO(store, prefix)` writes (a missing one is no error); tries
 * both and then throws the first failure, so nothing is left behind unnoticed.
 */
export async function deleteArtifactsOrThrow(store: ObjectStore, prefix: string): Promise<void> {
  const failures: unknown[] = [];
  for (const file of [MODEL_JSON, WEIGHTS_BIN]) {
    await store.delete(`${prefix}/${file}`).catch((err: unknown) => failures.push(err));
  }
  if (failures.length > 0) throw failures[0];
}
