import * as tf from '@tensorflow/tfjs-core';
import { createAnomalyDetector } from './anomaly-detector';
import { decodeFloat32, encodeFloat32, type BaseWeights } from './forecaster';
import { BASE_WEIGHTS } from './neural-forecaster';
import { seededRandom } from './testing';
import type { ComponentSample } from './types';

/** The bundled weights with the output bias moved: a recognisably different forecaster. */
function shifted(version: string, bias: number): BaseWeights {
  const b3 = decodeFloat32(BASE_WEIGHTS.tensors.b3).map((v) => v + bias);
  return { ...BASE_WEIGHTS, version, tensors: { ...BASE_WEIGHTS.tensors, b3: encodeFloat32(Float32Array.from(b3)) } };
}

function samples(from: number, n: number): ComponentSample[] {
  const rand = seededRandom(from + 1);
  return Array.from({ length: n }, (_, i) => ({ component: 'c1', timeMs: 1_000 * (from + i), values: new Map([['m', 10 + Math.sin((from + i) / 5) + 0.1 * rand()]]) }));
}

describe('setForecasterWeights', () => {
  it('swap - later forecasts come from the new weights; state and snapshots carry on; the old tensors are freed', async () => {
    const a = await createAnomalyDetector({ warmupSamples: 20, backend: 'cpu' });
    const b = await createAnomalyDetector({ warmupSamples: 20, backend: 'cpu' });
    a.scoreBatch(samples(0, 60));
    b.scoreBatch(samples(0, 60));
    const tensors = tf.memory().numTensors;
    b.setForecasterWeights(shifted('r2', 1));
    expect(tf.memory().numTensors).toBe(tensors);
    expect(b.info.modelVersion).toBe(`stat-v1+mlp-forecaster-r2`);
    const [da] = a.scoreBatch(samples(60, 1));
    const [db] = b.scoreBatch(samples(60, 1));
    expect(db.metrics[0].expected).not.toBeCloseTo(da.metrics[0].expected, 3);
    expect(b.status('c1')!.samplesSeen).toBe(61);
    const restored = await createAnomalyDetector({ warmupSamples: 20, backend: 'cpu' });
    restored.restore('c1', b.snapshot('c1'));
    expect(restored.status('c1')!.samplesSeen).toBe(61);
    [a, b, restored].forEach((d) => d.dispose());
  });

  it('swap - weights of another shape, or a naive detector, are refused with the reason', async () => {
    const d = await createAnomalyDetector({ backend: 'cpu' });
    expect(() => d.setForecasterWeights({ ...BASE_WEIGHTS, windowLength: 12 })).toThrow("'weights' must have window 24 and 16 features, got 12 and 16");
    expect(() => d.setForecasterWeights({ ...BASE_WEIGHTS, tensors: { ...BASE_WEIGHTS.tensors, W1: encodeFloat32(new Float32Array(3)) } })).toThrow(/^'weights' are not a valid forecaster: /);
    d.dispose();
    const naive = await createAnomalyDetector({ forecaster: 'naive' });
    expect(() => naive.setForecasterWeights(BASE_WEIGHTS)).toThrow("'weights' cannot be set: the detector runs the naive forecaster");
  });
});
