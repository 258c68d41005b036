/**
 * Trains the shared base forecaster on synthetic operational-metric-like series and writes
 * libs/anomaly/src/base-forecaster.weights.json. Deterministic (seeded); no data download.
 *
 *   npx tsx libs/anomaly/scripts/train-base-forecaster.ts [--epochs 8] [--series 600]
 *
 * The series mix what metrics do: daily/short periodic cycles, AR(1) noise, random walks,
 * level steps, spikes, quantisation, clipping at zero, square and sawtooth waves. Inputs are
 * normalised exactly as at run time (normaliseWindows); the loss is Huber on the next value.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { seededRandom } from '@x0/core';
import { selectBackend } from '../src/backend';
import { CLIP, encodeFloat32, normaliseWindows, type BaseWeights } from '../src/forecaster';

const L = 24;
const H = 32;
const F = 16;
const args = process.argv.slice(2);
const arg = (k: string, d: number) => (args.includes(k) ? Number(args[args.indexOf(k) + 1]) : d);
const EPOCHS = arg('--epochs', 8);
const SERIES = arg('--series', 600);
const LEN = 500;

const rand = seededRandom(20260127);
const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
const pick = <T>(a: T[]) => a[Math.floor(rand() * a.length)];

function series(): Float32Array {
  const x = new Float64Array(LEN);
  const level = rand() < 0.3 ? 0 : Math.exp(gauss() * 2);
  const comps = 1 + Math.floor(rand() * 3);
  for (let c = 0; c < comps; c++) {
    const kind = pick(['sin', 'sin', 'ar', 'walk', 'square', 'saw', 'trend']);
    const amp = Math.exp(gauss()) * (level || 1) * 0.3;
    const period = pick([8, 12, 24, 48, 96, 144, 288, 400]) * (0.8 + 0.4 * rand());
    const phase = rand() * 2 * Math.PI;
    const phi = 0.5 + 0.49 * rand();
    let a = 0;
    for (let t = 0; t < LEN; t++) {
      if (kind === 'sin') x[t] += amp * Math.sin((2 * Math.PI * t) / period + phase);
      else if (kind === 'square') x[t] += amp * (Math.sin((2 * Math.PI * t) / period + phase) > 0 ? 1 : -1);
      else if (kind === 'saw') x[t] += amp * (((t / period + phase) % 1) - 0.5);
      else if (kind === 'trend') x[t] += (amp * t) / LEN;
      else if (kind === 'ar') x[t] += (a = phi * a + amp * 0.3 * gauss());
      else x[t] += (a += amp * 0.05 * gauss());
    }
  }
  const noise = Math.exp(gauss() - 1.5) * (level || 1) * 0.3;
  const heavy = rand() < 0.3;
  for (let t = 0; t < LEN; t++) {
    let e = gauss();
    if (heavy) e *= 1 / Math.sqrt(Math.max(0.05, rand()));
    x[t] += level + noise * e;
  }
  if (rand() < 0.3) {
    const at = Math.floor(rand() * LEN);
    const jump = gauss() * (level || 1) * 0.5;
    for (let t = at; t < LEN; t++) x[t] += jump;
  }
  if (rand() < 0.2) for (let k = 0; k < 3; k++) x[Math.floor(rand() * LEN)] += gauss() * 5 * (noise + 1e-3);
  if (rand() < 0.3) for (let t = 0; t < LEN; t++) x[t] = Math.max(0, x[t]);
  if (rand() < 0.3) {
    const q = (noise + 1e-3) * pick([0.5, 1, 2]);
    for (let t = 0; t < LEN; t++) x[t] = Math.round(x[t] / q) * q;
  }
  return Float32Array.from(x);
}

async function main(): Promise<void> {
  const backend = await selectBackend('auto');
  const per = LEN - L;
  const n = SERIES * per;
  const windows = new Float32Array(n * L);
  const next = new Float32Array(n);
  let k = 0;
  for (let s = 0; s < SERIES; s++) {
    const x = series();
    for (let t = L; t < LEN; t++, k++) {
      windows.set(x.subarray(t - L, t), k * L);
      next[k] = x[t];
    }
  }
  const xs = new Float32Array(n * L);
  const center = new Float64Array(n);
  const spread = new Float64Array(n);
  normaliseWindows(windows, n, L, xs, center, spread);
  const ys = new Float32Array(n);
  for (let i = 0; i < n; i++) ys[i] = Math.max(-CLIP, Math.min(CLIP, (next[i] - center[i]) / spread[i]));

  const init = (shape: number[], fanIn: number) => tf.variable(tf.mul(tf.randomNormal(shape, 0, 1, 'float32', 7), Math.sqrt(2 / fanIn)));
  const W1 = init([L, H], L);
  const b1 = tf.variable(tf.zeros([H]));
  const W2 = init([H, F], H);
  const b2 = tf.variable(tf.zeros([F]));
  const W3 = init([F, 1], F);
  const b3 = tf.variable(tf.zeros([1]));
  const opt = tf.train.adam(0.003);
  const X = tf.tensor2d(xs, [n, L]);
  const Y = tf.tensor2d(ys, [n, 1]);
  const B = 1024;
  const t0 = Date.now();
  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    const order = tf.util.createShuffledIndices(n);
    let total = 0;
    let batches = 0;
    for (let i = 0; i + B <= n; i += B) {
      const idx = tf.tensor1d(Int32Array.from(order.subarray(i, i + B)), 'int32');
      const cost = opt.minimize(() => {
        const xb = tf.gather(X, idx);
        const yb = tf.gather(Y, idx);
        const h = tf.relu(tf.add(tf.matMul(xb, W1), b1));
        const phi = tf.tanh(tf.add(tf.matMul(h, W2), b2));
        const y = tf.add(tf.matMul(phi, W3), b3);
        return tf.losses.huberLoss(yb, y, undefined, 1.0) as tf.Scalar;
      }, true);
      total += cost!.dataSync()[0];
      batches++;
      cost!.dispose();
      idx.dispose();
    }
    console.error(`epoch ${epoch + 1}/${EPOCHS}: huber ${(total / batches).toFixed(4)} (${((Date.now() - t0) / 1000).toFixed(1)} s, ${backend})`);
  }
  // reference: the naive "next = last" forecast is y = 0
  const naive = tf.tidy(() => tf.losses.huberLoss(Y, tf.zerosLike(Y), undefined, 1.0).dataSync()[0]);
  console.error(`naive (last value) huber ${naive.toFixed(4)}`);
  const out: BaseWeights = {
    version: 'b1',
    windowLength: L,
    hidden: H,
    featureDim: F,
    tensors: {
      W1: encodeFloat32(W1.dataSync() as Float32Array),
      b1: encodeFloat32(b1.dataSync() as Float32Array),
      W2: encodeFloat32(W2.dataSync() as Float32Array),
      b2: encodeFloat32(b2.dataSync() as Float32Array),
      W3: encodeFloat32(W3.dataSync() as Float32Array),
      b3: encodeFloat32(b3.dataSync() as Float32Array),
    },
  };
  const file = path.join(__dirname, '..', 'src', 'base-forecaster.weights.json');
  fs.writeFileSync(file, JSON.stringify(out, null, 1) + '\n');
  console.error(`wrote ${file}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
