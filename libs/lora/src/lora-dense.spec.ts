import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError } from '@x0/core';
import { selectBackend } from './backend';
import { LoRADense } from './lora-dense';

beforeAll(async () => {
  await selectBackend();
});

/** W [2,2], b [2], A [1,2], B [2,1]; rank 1, alpha 2 → scale 2. */
function handLayer(activation: 'linear' | 'relu' = 'linear'): LoRADense {
  const layer = new LoRADense({ units: 2, rank: 1, alpha: 2, activation });
  layer.apply(tf.input({ shape: [2] }));
  const [w, b, a, bb] = [tf.tensor2d([[1, 2], [3, 4]]), tf.tensor1d([0.5, -0.5]), tf.tensor2d([[1, -1]]), tf.tensor2d([[2], [1]])];
  layer.setBaseWeights([w, b]);
  layer.setAdapterWeights(a, bb);
  tf.dispose([w, b, a, bb]);
  return layer;
}

describe('LoRADense', () => {
  it('maths - y = x·W + b + (alpha/r)·x·Aᵀ·Bᵀ matches a hand computation', () => {
    // x1 = [1, 2]: x·W = [7, 10]; + b = [7.5, 9.5]; x·Aᵀ = [-1]; ·Bᵀ = [-2, -1]; ·2 = [-4, -2] → [3.5, 7.5]
    // x2 = [-1, 0]: x·W = [-1, -2]; + b = [-0.5, -2.5]; x·Aᵀ = [-1]; ·Bᵀ·2 = [-4, -2] → [-4.5, -4.5]
    const x = tf.tensor2d([[1, 2], [-1, 0]]);
    const y = handLayer().apply(x) as tf.Tensor;
    expect(y.arraySync()).toEqual([[3.5, 7.5], [-4.5, -4.5]]);
    const relu = handLayer('relu').apply(x) as tf.Tensor;
    expect(relu.arraySync()).toEqual([[3.5, 7.5], [0, 0]]);
    tf.dispose([x, y, relu]);
  });

  it('merge - kernel is W + (alpha/r)·Aᵀ·Bᵀ and the bias is kept', () => {
    // Aᵀ·Bᵀ = [[1],[-1]]·[[2, 1]] = [[2, 1], [-2, -1]]; ·2 + W = [[5, 4], [-1, 2]]
    const { kernel, bias } = handLayer().merge();
    expect(kernel.arraySync()).toEqual([[5, 4], [-1, 2]]);
    expect(bias!.arraySync()).toEqual([0.5, -0.5]);
    tf.dispose([kernel, bias]);
  });

  it('N-D input - contracts the last axis like Dense', () => {
    const layer = handLayer();
    const x = tf.tensor3d([[[1, 2], [-1, 0]]]);
    const y = layer.apply(x) as tf.Tensor;
    expect(y.shape).toEqual([1, 2, 2]);
    expect(y.arraySync()).toEqual([[[3.5, 7.5], [-4.5, -4.5]]]);
    tf.dispose([x, y]);
  });

  it('init - B starts at zero, A within ±1/√in, and the base weights are frozen', () => {
    const layer = new LoRADense({ units: 3, rank: 4, seed: 7 });
    layer.apply(tf.input({ shape: [16] }));
    const { a, b } = layer.getAdapterWeights();
    expect(a.shape).toEqual([4, 16]);
    expect(b.shape).toEqual([3, 4]);
    expect(b.dataSync().every((v) => v === 0)).toBe(true);
    expect(a.dataSync().every((v) => Math.abs(v) <= 0.25)).toBe(true);
    expect(a.dataSync().some((v) => v !== 0)).toBe(true);
    expect(layer.trainableWeights.map((w) => w.originalName)).toEqual([expect.stringMatching(/lora_a$/), expect.stringMatching(/lora_b$/)]);
    expect(layer.nonTrainableWeights.map((w) => w.originalName)).toEqual([expect.stringMatching(/kernel$/), expect.stringMatching(/bias$/)]);
    tf.dispose([a, b]);
  });

  it('config - getConfig carries units, rank, alpha, activation and useBias', () => {
    const layer = new LoRADense({ units: 5, rank: 2, alpha: 4, activation: 'tanh', useBias: false, name: 'adapted' });
    expect(layer.getConfig()).toMatchObject({ units: 5, rank: 2, alpha: 4, activation: 'tanh', useBias: false, name: 'adapted' });
    expect(layer.getClassName()).toBe('LoRADense');
    expect(layer.scale).toBe(2);
  });

  it('arguments - a bad rank, units or activation is rejected with the field named', () => {
    expect(() => new LoRADense({ units: 2, rank: 0 })).toThrow(new InvalidArgumentError('rank', 'must be a positive integer, got 0'));
    expect(() => new LoRADense({ units: 1.5 })).toThrow("'units' must be a positive integer, got 1.5");
    expect(() => new LoRADense({ units: 2, activation: 'nope' as 'relu' })).toThrow("'activation' unknown activation 'nope'");
  });

  it('weights - getWeights uses tfjs order (trainable first) and setters check shapes', () => {
    const layer = handLayer();
    const all = layer.getWeights();
    expect(all.map((t) => t.arraySync())).toEqual([[[1, -1]], [[2], [1]], [[1, 2], [3, 4]], [0.5, -0.5]]);
    const wrong = tf.zeros([3, 2]);
    expect(() => layer.setBaseWeights([wrong, wrong])).toThrow("'base weights[0]' has shape [3,2], expected [2,2]");
    expect(() => layer.setAdapterWeights(wrong, wrong)).toThrow("'adapter weights[0]' has shape [3,2], expected [1,2]");
    tf.dispose(wrong);
  });

  it('gradients - dA, dB and dx under a tape match tf.grads of the plain formula', () => {
    const layer = handLayer('relu');
    const [w, b] = layer.getBaseWeights();
    const { a: a0, b: b0 } = layer.getAdapterWeights();
    const x = tf.tensor2d([[1, 2], [-1, 0.5], [0.3, -2]]);
    const c = tf.tensor2d([[1, -2], [0.5, 3], [-1, 1]]); // loss = sum(c ⊙ y): every output gets its own weight
    // Reference: the formula with tfjs's own ops and gradients, everything an input.
    const reference = tf.grads((xi: tf.Tensor, ai: tf.Tensor, bi: tf.Tensor) =>
      tf.relu(tf.matMul(xi as tf.Tensor2D, w as tf.Tensor2D).add(b).add(tf.matMul(tf.matMul(xi as tf.Tensor2D, ai as tf.Tensor2D, false, true), bi as tf.Tensor2D, false, true).mul(2))).mul(c).sum(),
    )([x, a0, b0]);
    const [lA, lB] = layer.trainableWeights.map((v) => v.read() as tf.Variable);
    const viaVars = tf.variableGrads(() => (layer.apply(x) as tf.Tensor).mul(c).sum() as tf.Scalar, [lA, lB]);
    const dx = tf.grad((xi: tf.Tensor) => (layer.apply(xi) as tf.Tensor).mul(c).sum())(x);
    const close = (t: tf.Tensor, r: tf.Tensor) => (t.arraySync() as number[][]).forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo((r.arraySync() as number[][])[i][j], 5)));
    close(viaVars.grads[lA.name], reference[1]);
    close(viaVars.grads[lB.name], reference[2]);
    close(dx, reference[0]);
    expect(Object.keys(viaVars.grads)).toHaveLength(2);
    tf.dispose([w, b, a0, b0, x, c, dx, ...reference, viaVars.value, ...Object.values(viaVars.grads)]);
  });

  it('frozen base - a training step computes no gradient for the kernel or the bias', async () => {
    // in 6, units 10, rank 2, batch 7: no tensor of the step but dW has 60 entries, none but db has shape [10].
    const layer = new LoRADense({ units: 10, rank: 2, seed: 1 });
    layer.apply(tf.input({ shape: [6] }));
    const x = tf.randomNormal([7, 6], 0, 1, 'float32', 2);
    const vars = layer.trainableWeights.map((v) => v.read() as tf.Variable);
    const optimizer = tf.train.sgd(0.1);
    const profile = await tf.profile(() => {
      tf.tidy(() => {
        optimizer.minimize(() => (layer.apply(x, { training: true }) as tf.Tensor).square().mean() as tf.Scalar, false, vars);
      });
    });
    // Reshape only relabels a tensor (the fused forward views W as [1, 6, 10]); every other kernel computes.
    const shapes = profile.kernels.filter((k) => k.name !== 'Reshape').flatMap((k) => k.outputShapes);
    expect(shapes.length).toBeGreaterThan(10);
    expect(shapes.filter((s) => tf.util.sizeFromShape(s) === 60)).toEqual([]);
    expect(shapes.filter((s) => s.length === 1 && s[0] === 10)).toEqual([]);
    const { b } = layer.getAdapterWeights();
    expect(b.dataSync().some((v) => v !== 0)).toBe(true); // the step did train the adapter
    tf.dispose([x, b]);
    optimizer.dispose();
  });

  it('training mode - the forward pass under a tape gives the inference output', () => {
    const layer = handLayer('relu');
    const x = tf.tensor2d([[1, 2], [-1, 0.5], [0.3, -2]]);
    const inference = (layer.apply(x) as tf.Tensor).arraySync() as number[][];
    const { value } = tf.valueAndGrad((xi: tf.Tensor) => (layer.apply(xi) as tf.Tensor).sum())(x);
    expect(value.arraySync()).toBeCloseTo(inference.flat().reduce((s, v) => s + v, 0), 5);
    tf.dispose([x, value]);
  });

  it('unbuilt - merge before build fails clearly', () => {
    expect(() => new LoRADense({ units: 2, name: 'early' }).merge()).toThrow("LoRADense 'early' is not built yet");
  });
});
