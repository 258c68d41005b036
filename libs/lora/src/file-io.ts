import fs from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError, NotFoundError } from '@x0/core';

const MODEL_JSON = 'model.json';
const WEIGHTS_BIN = 'weights.bin';

/**
 * A tfjs IOHandler that saves to and loads from a directory, in the same layout as
 * tfjs-node's `file://` scheme (`model.json` + `weights.bin`). The plain `@tensorflow/tfjs`
 * package has no file-system handler; this is it. Works for whole models
 * (`model.save(fileIO(dir))`, `tf.loadLayersModel(fileIO(dir))`) and adapters.
 * `model.json` is written last, through a rename, so a reader never sees half a save.
 * `load()` throws NotFoundError when the directory holds no `model.json`.
 */
export function fileIO(dir: string): tf.io.IOHandler {
  if (!dir) throw new InvalidArgumentError('dir', 'must not be empty');
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      if (artifacts.modelTopology instanceof ArrayBuffer) {
        throw new InvalidArgumentError('artifacts.modelTopology', 'binary topologies are not supported; save a layers model');
      }
      await fs.mkdir(dir, { recursive: true });
      const weightData = artifacts.weightData ? tf.io.CompositeArrayBuffer.join(artifacts.weightData) : new ArrayBuffer(0);
      await fs.writeFile(path.join(dir, WEIGHTS_BIN), Buffer.from(weightData));
      const modelJSON: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology ?? {},
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }],
        ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
        ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
      };
      const tmp = path.join(dir, `.${MODEL_JSON}.${process.pid}.tmp`);
      await fs.writeFile(tmp, JSON.stringify(modelJSON));
      await fs.rename(tmp, path.join(dir, MODEL_JSON));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },

    async load(): Promise<tf.io.ModelArtifacts> {
      let text: string;
      try {
        text = await fs.readFile(path.join(dir, MODEL_JSON), 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError('model', path.join(dir, MODEL_JSON), { cause: err });
        throw err;
      }
      const modelJSON = JSON.parse(text) as tf.io.ModelJSON;
      return tf.io.getModelArtifactsForJSON(modelJSON, async (manifest) => {
        const specs = manifest.flatMap((group) => group.weights);
        const buffers = await Promise.all(
          manifest.flatMap((group) => group.paths).map(async (p) => {
            const buf = await fs.readFile(path.join(dir, p));
            return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
          }),
        );
        return [specs, tf.io.concatenateArrayBuffers(buffers)];
      });
    },
  };
}
