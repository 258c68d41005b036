import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import { baseWeightsOf } from './model-surgery';

/**
 * Content hash of a model's base weights: `sha256:<hex>` over the input shape and, layer
 * by layer, every base weight's shape, dtype and bytes. LoRA matrices are left out and
 * layer names and classes are ignored, so a Dense model and the same model wrapped with
 * `applyLoRA` (trained or not) have the same signature. An adapter records the signature
 * of the base it was trained on; `loadAdapter` refuses any other base.
 */
export function baseModelSignature(model: tf.LayersModel): string {
  const h = createHash('sha256');
  h.update(`input:${JSON.stringify(model.inputs.map((i) => i.shape))};`);
  model.layers.forEach((layer, index) => {
    const weights = baseWeightsOf(layer);
    try {
      for (const w of weights) {
        h.update(`${index}:${w.dtype}:[${w.shape.join(',')}];`);
        const data = w.dataSync();
        h.update(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
      }
    } finally {
      tf.dispose(weights);
    }
  });
  return `sha256:${h.digest('hex')}`;
}
