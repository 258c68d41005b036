import * as tf from '@tensorflow/tfjs';
import { applyLoRA, mergeAdapter, selectBackend } from '@x0/lora';
import { createBaseModel, predictRecovery } from './action-params-model';
import { encodeFeatures, gridOf, strengthOf } from './action-space';
import { DenseForward } from './dense-forward';
import { loadShippedBase } from './shipped-model';

function rows(): number[][] {
  const out: number[][] = [];
  for (const action of ['scale_up', 'throttle']) {
    for (const score of [0, 0.3, 0.95]) {
      for (const severity of [1, 3]) for (const v of gridOf(action)) out.push(encodeFeatures(action, { score, severity }, strengthOf(action, v)));
    }
  }
  return out;
}

function tfjsPredict(model: tf.LayersModel, x: number[][]): number[] {
  return tf.tidy(() => Array.from((model.predict(tf.tensor2d(x)) as tf.Tensor).dataSync()));
}

describe('DenseForward - the action-parameter network without tfjs', () => {
  beforeAll(async () => {
    await selectBackend();
  });

  it('predict - gives the shipped base model’s probabilities (to float32 precision)', async () => {
    const model = await loadShippedBase();
    const x = rows();
    const forward = DenseForward.fromModel(model)!;
    expect(forward).toBeDefined();
    const want = tfjsPredict(model, x);
    const got = forward.predict(x);
    expect(got).toHaveLength(want.length);
    got.forEach((p, i) => expect(p).toBeCloseTo(want[i], 5));
    // predictRecovery answers the same through either path.
    expect(predictRecovery(forward, x)).toEqual(got);
    predictRecovery(model, x).forEach((p, i) => expect(p).toBeCloseTo(got[i], 5));
    model.dispose();
  });

  it('predict - gives a merged LoRA model’s probabilities, with a non-zero adapter', async () => {
    const base = createBaseModel(3);
    const lora = applyLoRA(base, { rank: 4 });
    // Give B non-zero values, so the merged weights differ from the base's.
    for (const w of lora.trainableWeights) w.write(tf.randomNormal(w.shape as number[], 0, 0.3, 'float32', 5));
    const merged = mergeAdapter(lora);
    const x = rows();
    const got = DenseForward.fromModel(merged)!.predict(x);
    const want = tfjsPredict(merged, x);
    got.forEach((p, i) => expect(p).toBeCloseTo(want[i], 5));
    expect(got.some((p, i) => Math.abs(p - tfjsPredict(base, x)[i]) > 1e-3)).toBe(true);
    for (const m of [merged, lora, base]) m.dispose();
  });

  it('fromModel - declines models it cannot run (not Dense, an unknown activation, several outputs)', () => {
    const conv = tf.sequential({ layers: [tf.layers.conv1d({ inputShape: [8, 1], filters: 2, kernelSize: 3 }), tf.layers.flatten(), tf.layers.dense({ units: 1 })] });
    const elu = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 3, activation: 'elu' }), tf.layers.dense({ units: 1 })] });
    const wide = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 2 })] });
    expect(DenseForward.fromModel(conv)).toBeUndefined();
    expect(DenseForward.fromModel(elu)).toBeUndefined();
    expect(DenseForward.fromModel(wide)).toBeUndefined();
    for (const m of [conv, elu, wide]) m.dispose();
  });

  it('predict - rejects a row of the wrong width', async () => {
    const model = createBaseModel(1);
    expect(() => DenseForward.fromModel(model)!.predict([[1, 2]])).toThrow(/row has 2 features, the model takes/);
    model.dispose();
  });
});
