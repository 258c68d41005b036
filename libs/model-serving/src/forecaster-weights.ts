import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError } from '@x0/core';

/**
 * Weights of the monitor's shared MLP forecaster in the form @x0/anomaly keeps them
 * (its `BaseWeights`): window L → H relu → F tanh (the features) → 1, float32 arrays as
 * little-endian base64.
 */
export interface ForecasterWeights {
  version: string;
  windowLength: number;
  hidden: number;
  featureDim: number;
  tensors: Record<'W1' | 'b1' | 'W2' | 'b2' | 'W3' | 'b3', string>;
}

/** Registry name of the detector's shared forecaster. */
export const DETECTOR_MODEL = 'detector';

/**
 * The forecaster as a tfjs Sequential model (Dense L→H relu, Dense H→F tanh, Dense F→1),
 * which is how the registry stores and the trainer trains it. Throws InvalidArgumentError
 * when a tensor's size does not match the declared shape.
 */
export function forecasterModel(w: ForecasterWeights): tf.Sequential {
  const { windowLength: L, hidden: H, featureDim: F } = w;
  const model = tf.sequential({
    name: 'forecaster',
    layers: [
      tf.layers.dense({ inputShape: [L], units: H, activation: 'relu', name: 'hidden' }),
      tf.layers.dense({ units: F, activation: 'tanh', name: 'features' }),
      tf.layers.dense({ units: 1, name: 'forecast' }),
    ],
  });
  const shapes: Array<[keyof ForecasterWeights['tensors'], number[]]> = [
    ['W1', [L, H]],
    ['b1', [H]],
    ['W2', [H, F]],
    ['b2', [F]],
    ['W3', [F, 1]],
    ['b3', [1]],
  ];
  const tensors = shapes.map(([k, shape]) => {
    const data = decodeFloat32(w.tensors[k]);
    if (data.length !== tf.util.sizeFromShape(shape)) {
      throw new InvalidArgumentError(`tensors.${k}`, `has ${data.length} values, expected ${tf.util.sizeFromShape(shape)} for shape [${shape}]`);
    }
    return tf.tensor(data, shape, 'float32');
  });
  model.setWeights(tensors);
  tf.dispose(tensors);
  return model;
}

/**
 * The forecaster weights of a model made by `forecasterModel` (or trained from one), for
 * @x0/anomaly. Throws InvalidArgumentError when the model does not have that shape.
 */
export function forecasterWeights(model: tf.LayersModel, version: string): ForecasterWeights {
  const dense = model.layers.filter((l) => l.getClassName() === 'Dense');
  if (dense.length !== 3 || model.layers.length !== 3) throw new InvalidArgumentError('model', `is not a forecaster (3 Dense layers), got ${model.layers.map((l) => l.getClassName()).join(', ')}`);
  const [[W1, b1], [W2, b2], [W3, b3]] = dense.map((l) => l.getWeights());
  const enc = (t: tf.Tensor) => encodeFloat32(t.dataSync() as Float32Array);
  return {
    version,
    windowLength: W1.shape[0]!,
    hidden: W1.shape[1]!,
    featureDim: W2.shape[1]!,
    tensors: { W1: enc(W1), b1: enc(b1), W2: enc(W2), b2: enc(b2), W3: enc(W3), b3: enc(b3) },
  };
}

function decodeFloat32(b64: string): Float32Array {
  const buf = Buffer.from(b64, 'base64');
  const out = new Float32Array(buf.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = buf.readFloatLE(i * 4);
  return out;
}

function encodeFloat32(a: Float32Array): string {
  const buf = Buffer.alloc(a.length * 4);
  a.forEach((v, i) => buf.writeFloatLE(v, i * 4));
  return buf.toString('base64');
}
