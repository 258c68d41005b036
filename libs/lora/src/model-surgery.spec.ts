import * as tf from '@tensorflow/tfjs';
import { selectBackend } from './backend';
import { isLoRADense } from './lora-dense';
import { applyLoRA, countParams, isLowRankFor, mergeAdapter } from './model-surgery';
import { predictArray, regressionData, smallBaseModel } from './testing';

beforeAll(async () => {
  await selectBackend();
});

function expectClose(actual: number[][], expected: number[][], digits = 5): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(expected[i][j], digits)));
}

describe('applyLoRA', () => {
  it('wrap - every Dense becomes LoRADense with the same name; others are copied', () => {
    const base = smallBaseModel();
    const lora = applyLoRA(base);
    expect(lora.layers.map((l) => [l.name, l.getClassName()])).toEqual(base.layers.map((l) => [l.name, l.getClassName() === 'Dense' ? 'LoRADense' : l.getClassName()]));
    expect(lora.layers.filter(isLoRADense).map((l) => [l.rank, l.alpha])).toEqual([[8, 16], [8, 16], [8, 16]]);
  });

  it('zero B - a fresh adapter leaves the base output exactly unchanged', () => {
    const base = smallBaseModel();
    const { x } = regressionData(16);
    expect(predictArray(applyLoRA(base, { rank: 4 }), x)).toEqual(predictArray(base, x));
  });

  it('params - only A and B are trainable, counted exactly', () => {
    // Dense 6→12, 12→8, 8→3 with rank 2: A = 2·6 + 2·12 + 2·8 = 52, B = 12·2 + 8·2 + 3·2 = 46.
    const lora = applyLoRA(smallBaseModel(), { rank: 2 });
    const base = 6 * 12 + 12 + 12 * 8 + 8 + 8 * 3 + 3;
    expect(countParams(lora)).toEqual({ trainable: 98, frozen: base, total: 98 + base, trainableFraction: 98 / base });
    expect(countParams(smallBaseModel())).toEqual({ trainable: base, frozen: 0, total: base, trainableFraction: 0 });
  });

  it('fit - training changes A and B and leaves W and b bit-for-bit unchanged', async () => {
    const lora = applyLoRA(smallBaseModel(), { rank: 2, seed: 5 });
    const before = lora.layers.map((l) => l.getWeights().map((w) => Array.from(w.dataSync())));
    const { x, y } = regressionData(64);
    lora.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
    const history = await lora.fit(x, y, { epochs: 5, batchSize: 32, verbose: 0 });
    const losses = history.history['loss'] as number[];
    expect(losses[losses.length - 1]).toBeLessThan(losses[0]);
    lora.layers.filter(isLoRADense).forEach((layer) => {
      const i = lora.layers.indexOf(layer);
      const [aBefore, bBefore, kBefore, biasBefore] = before[i];
      const [a, b, k, bias] = layer.getWeights().map((w) => Array.from(w.dataSync()));
      expect(k).toEqual(kBefore);
      expect(bias).toEqual(biasBefore);
      expect(a).not.toEqual(aBefore);
      expect(b).not.toEqual(bBefore);
    });
    tf.dispose([x, y]);
  });

  it('select - only the named or indexed Dense layers are adapted', () => {
    const base = smallBaseModel();
    const picked = applyLoRA(base, { layers: [base.layers[2].name, 3] });
    expect(picked.layers.map((l) => l.getClassName())).toEqual(['Dense', 'Dropout', 'LoRADense', 'LoRADense']);
    expect(countParams(picked).trainable).toBe(8 * (12 + 8) + 8 * (8 + 3));
  });

  it('select low-rank - only the layers where the adapter is at most half the kernel are adapted', () => {
    // Dense 6→12 (72 weights), 12→8 (96), 8→3 (24). Rank 2: 36 ≤ 36 yes, 40 ≤ 48 yes, 22 ≤ 12 no.
    const base = smallBaseModel();
    expect(applyLoRA(base, { rank: 2, layers: 'low-rank' }).layers.map((l) => l.getClassName())).toEqual(['LoRADense', 'Dropout', 'LoRADense', 'Dense']);
    // Rank 3: 54 > 36 no, 60 > 48 no, 33 > 12 no.
    expect(() => applyLoRA(base, { rank: 3, layers: 'low-rank' })).toThrow("'layers' 'low-rank': no Dense layer is wide enough for rank 3");
    expect([isLowRankFor(64, 128, 8), isLowRankFor(32, 1, 4), isLowRankFor(512, 512, 8)]).toEqual([true, false, true]);
  });

  it('select - a missing or non-Dense layer is rejected with the entry named', () => {
    const base = smallBaseModel();
    expect(() => applyLoRA(base, { layers: [1] })).toThrow(`'layers[0]' layer '${base.layers[1].name}' is a Dropout, not Dense`);
    expect(() => applyLoRA(base, { layers: [0, 'nope'] })).toThrow(`'layers[1]' no layer "nope" in the model`);
    expect(() => applyLoRA(base, { layers: [] })).toThrow("'layers' must name at least one Dense layer");
  });

  it('functional - a non-Sequential model is rejected', () => {
    const input = tf.input({ shape: [2] });
    const model = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 1 }).apply(input) as tf.SymbolicTensor });
    expect(() => applyLoRA(model)).toThrow("'model' must be a tf.Sequential model, got Model");
  });
});

describe('mergeAdapter', () => {
  it('merge - a trained LoRA model folds into plain Dense layers with the same outputs', async () => {
    const base = smallBaseModel();
    const lora = applyLoRA(base, { rank: 2, seed: 9 });
    const { x, y } = regressionData(64);
    lora.compile({ optimizer: tf.train.adam(0.02), loss: 'meanSquaredError' });
    await lora.fit(x, y, { epochs: 3, batchSize: 32, verbose: 0 });
    const merged = mergeAdapter(lora);
    expect(merged.layers.map((l) => l.getClassName())).toEqual(base.layers.map((l) => l.getClassName()));
    expect(countParams(merged).total).toBe(countParams(base).total);
    const out = predictArray(merged, x);
    expect(out).not.toEqual(predictArray(base, x));
    expectClose(out, predictArray(lora, x));
    tf.dispose([x, y]);
  });
});
