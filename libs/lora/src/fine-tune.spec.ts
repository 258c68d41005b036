import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError } from '@x0/core';
import { selectBackend } from './backend';
import { fineTune } from './fine-tune';
import { isLoRADense } from './lora-dense';
import { applyLoRA } from './model-surgery';
import { regressionData, smallBaseModel } from './testing';

beforeAll(async () => {
  await selectBackend();
});

const values = (model: tf.LayersModel) => model.getWeights().map((w) => Array.from(w.dataSync()));

describe('fineTune', () => {
  it('train - the loss falls, A and B change, W and b stay bit-for-bit', async () => {
    const lora = applyLoRA(smallBaseModel(), { rank: 2, seed: 5 });
    const before = lora.layers.map((l) => l.getWeights().map((w) => Array.from(w.dataSync())));
    const { x, y } = regressionData(64);
    const { losses } = await fineTune(lora, x, y, { epochs: 20, batchSize: 16, learningRate: 0.01 });
    expect(losses).toHaveLength(20);
    expect(losses[19]).toBeLessThan(0.9 * losses[0]);
    lora.layers.forEach((layer, i) => {
      const now = layer.getWeights().map((w) => Array.from(w.dataSync()));
      if (!isLoRADense(layer)) return expect(now).toEqual(before[i]);
      expect(now.slice(2)).toEqual(before[i].slice(2)); // kernel, bias
      expect(now[0]).not.toEqual(before[i][0]); // A
      expect(now[1]).not.toEqual(before[i][1]); // B
    });
    tf.dispose([x, y]);
  });

  it('same steps as fit - two full-batch SGD epochs give the weights and losses model.fit gives', async () => {
    const base = smallBaseModel();
    const { x, y } = regressionData(32);
    const viaFit = applyLoRA(base, { rank: 2, seed: 3 });
    const viaLoop = applyLoRA(base, { rank: 2, seed: 3 });
    // Dropout is active in training mode in both; rate 0.1 with different masks would differ, so compare without it.
    const noDropout = (m: tf.Sequential) => tf.sequential({ layers: m.layers.filter((l) => l.getClassName() !== 'Dropout') });
    const [a, b] = [noDropout(viaFit), noDropout(viaLoop)];
    a.compile({ optimizer: tf.train.sgd(0.5), loss: 'meanSquaredError' });
    const history = await a.fit(x, y, { epochs: 2, batchSize: 32, shuffle: false, verbose: 0 });
    const optimizer = tf.train.sgd(0.5);
    const { losses } = await fineTune(b, x, y, { epochs: 2, batchSize: 32, optimizer });
    expect(values(b)).not.toEqual(values(base));
    values(b).forEach((w, i) => w.forEach((v, j) => expect(v).toBeCloseTo(values(a)[i][j], 5)));
    losses.forEach((l, i) => expect(l).toBeCloseTo((history.history['loss'] as number[])[i], 5));
    optimizer.dispose();
    tf.dispose([x, y]);
  });

  it('losses - binaryCrossentropy and a custom loss are what they say', async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [1], units: 1, activation: 'sigmoid', kernelInitializer: 'zeros' })] });
    const x = tf.tensor2d([[1], [2]]);
    const y = tf.tensor2d([[1], [0]]);
    // Zero weights: p = 0.5 for every row, so the first epoch's loss is ln 2 (measured before the update).
    const bce = await fineTune(model, x, y, { loss: 'binaryCrossentropy', optimizer: tf.train.sgd(0) });
    expect(bce.losses[0]).toBeCloseTo(Math.log(2), 5);
    const abs = await fineTune(model, x, y, { loss: (t, p) => tf.mean(tf.abs(tf.sub(t, p))) as tf.Scalar, optimizer: tf.train.sgd(0) });
    expect(abs.losses[0]).toBeCloseTo(0.5, 5);
    tf.dispose([x, y]);
  });

  it('shuffle - several batches per epoch: the same seed gives the same weights, another seed others', async () => {
    const { x, y } = regressionData(40);
    // A model without Dropout: its training is deterministic apart from the row order.
    const noDropout = tf.sequential({ layers: [tf.layers.dense({ inputShape: [6], units: 3 })] });
    const m1 = applyLoRA(noDropout, { rank: 1, seed: 1 });
    const m2 = applyLoRA(noDropout, { rank: 1, seed: 1 });
    const m3 = applyLoRA(noDropout, { rank: 1, seed: 1 });
    await fineTune(m1, x, y, { epochs: 3, batchSize: 16, seed: 7 });
    await fineTune(m2, x, y, { epochs: 3, batchSize: 16, seed: 7 });
    await fineTune(m3, x, y, { epochs: 3, batchSize: 16, seed: 8 });
    expect(values(m1)).toEqual(values(m2));
    expect(values(m1)).not.toEqual(values(m3));
    tf.dispose([x, y]);
  });

  it('signal - aborting stops at the end of the current epoch', async () => {
    const lora = applyLoRA(smallBaseModel(), { rank: 2 });
    const { x, y } = regressionData(32);
    const stop = new AbortController();
    const { losses } = await fineTune(lora, x, y, { epochs: 50, signal: stop.signal, onEpochEnd: (epoch) => (epoch === 2 ? stop.abort() : undefined) });
    expect(losses).toHaveLength(3);
    tf.dispose([x, y]);
  });

  it('event loop - training yields between steps (yieldEveryMs), so immediates and sockets run; 0 never yields', async () => {
    const lora = applyLoRA(smallBaseModel(), { rank: 2 });
    const { x, y } = regressionData(64);
    const turnsDuring = async (yieldEveryMs: number) => {
      let turns = 0;
      let spinning = true;
      const spin = () => {
        turns++;
        if (spinning) setImmediate(spin);
      };
      setImmediate(spin);
      await fineTune(lora, x, y, { epochs: 8, batchSize: 16, yieldEveryMs });
      spinning = false;
      return turns;
    };
    expect(await turnsDuring(0)).toBe(0);
    // A threshold every step passes (32 steps): the count does not depend on how fast the machine is.
    expect(await turnsDuring(1e-6)).toBeGreaterThan(5);
    await new Promise((r) => setImmediate(r));
    tf.dispose([x, y]);
  });

  it('memory - an epoch leaves no tensors behind', async () => {
    const lora = applyLoRA(smallBaseModel(), { rank: 2 });
    const { x, y } = regressionData(50);
    const optimizer = tf.train.adam(0.01);
    await fineTune(lora, x, y, { batchSize: 16, optimizer }); // creates Adam's slots once
    const before = tf.memory().numTensors;
    await fineTune(lora, x, y, { epochs: 3, batchSize: 16, optimizer });
    expect(tf.memory().numTensors).toBe(before);
    optimizer.dispose();
    tf.dispose([x, y]);
  });

  it('arguments - empty or mismatched data, bad counts and nothing to train are rejected', async () => {
    const lora = applyLoRA(smallBaseModel(), { rank: 2 });
    const { x, y } = regressionData(8);
    const frozen = tf.sequential({ layers: [tf.layers.dense({ inputShape: [6], units: 3, trainable: false })] });
    await expect(fineTune(lora, tf.zeros([0, 6]), tf.zeros([0, 3]))).rejects.toThrow(new InvalidArgumentError('x', 'must hold at least one row'));
    await expect(fineTune(lora, x, y.slice(0, 4))).rejects.toThrow("'y' has 4 rows, x has 8");
    await expect(fineTune(lora, x, y, { epochs: 0 })).rejects.toThrow("'epochs' must be a positive integer, got 0");
    await expect(fineTune(lora, x, y, { batchSize: 2.5 })).rejects.toThrow("'batchSize' must be a positive integer, got 2.5");
    await expect(fineTune(frozen, x, y)).rejects.toThrow("'model' has no trainable weights");
    tf.dispose([x, y]);
  });
});
