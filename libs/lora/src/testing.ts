import * as tf from '@tensorflow/tfjs';

/** Test helper: a small deterministic Sequential model (Dense → Dropout → Dense → Dense). */
export function smallBaseModel(seed = 1, inputDim = 6): tf.Sequential {
  const init = (k: number) => tf.initializers.glorotUniform({ seed: seed * 100 + k });
  return tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [inputDim], units: 12, activation: 'relu', kernelInitializer: init(1), biasInitializer: tf.initializers.constant({ value: 0.1 }) }),
      tf.layers.dropout({ rate: 0.1 }),
      tf.layers.dense({ units: 8, activation: 'tanh', kernelInitializer: init(2) }),
      tf.layers.dense({ units: 3, kernelInitializer: init(3) }),
    ],
  });
}

/** Test helper: deterministic inputs and targets for a short fit. */
export function regressionData(n: number, inputDim = 6, seed = 3): { x: tf.Tensor2D; y: tf.Tensor2D } {
  return tf.tidy(() => {
    const x = tf.randomNormal([n, inputDim], 0, 1, 'float32', seed) as tf.Tensor2D;
    const y = tf.randomNormal([n, 3], 0, 1, 'float32', seed + 1) as tf.Tensor2D;
    return { x, y };
  });
}

/** Values of a prediction, disposing the tensors. */
export function predictArray(model: tf.LayersModel, x: tf.Tensor): number[][] {
  const y = model.predict(x) as tf.Tensor;
  const out = y.arraySync() as number[][];
  y.dispose();
  return out;
}
