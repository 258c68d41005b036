import * as tf from '@tensorflow/tfjs';
import SHIPPED from './base-model.json';

/** Version under which the shipped base is registered on first start. */
export const SHIPPED_BASE_VERSION = '1';

/** A base model as `scripts/train-base.ts` writes it (and base-model.json holds it). */
export interface ShippedArtifacts {
  format: string;
  modelTopology: object;
  weightSpecs: tf.io.WeightsManifestEntry[];
  /** base64 little-endian weights. */
  weightData: string;
}

/** The shipped base (or another base in its form, `a`) as tfjs artifacts (for `registry.register({ artifacts })`). */
export function shippedBaseArtifacts(a: ShippedArtifacts = SHIPPED as unknown as ShippedArtifacts): tf.io.ModelArtifacts {
  const bytes = Buffer.from(a.weightData, 'base64');
  return {
    format: a.format,
    modelTopology: a.modelTopology,
    weightSpecs: a.weightSpecs,
    weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
    generatedBy: '@x0/action-params scripts/train-base.ts',
    convertedBy: null,
  };
}

/** Loads the shipped base model (trained offline on a synthetic prior; bundled, nothing downloaded), or another base in its form. */
export function loadShippedBase(a?: ShippedArtifacts): Promise<tf.LayersModel> {
  return tf.loadLayersModel(tf.io.fromMemory(shippedBaseArtifacts(a)));
}
