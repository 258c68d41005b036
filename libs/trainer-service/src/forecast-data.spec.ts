import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '@x0/lora';
import { forecastSets, huberLoss, type ForecastSet } from './forecast-data';

beforeAll(async () => {
  await selectBackend();
});

/** Counts event-loop turns (setImmediate) while `work` runs. */
async function turnsDuring(work: () => Promise<unknown>): Promise<number> {
  let turns = 0;
  let spinning = true;
  const spin = () => {
    turns++;
    if (spinning) setImmediate(spin);
  };
  setImmediate(spin);
  await work();
  spinning = false;
  return turns;
}

describe('forecast data', () => {
  const L = 8;
  const n = 3000;
  const set: ForecastSet = {
    x: Float32Array.from({ length: n * L }, (_, i) => Math.sin(i / 7) * 2),
    y: Float32Array.from({ length: n }, (_, i) => Math.cos(i / 5) * 3),
    count: n,
    byComponent: new Map([['c', n]]),
  };
  let model: tf.Sequential;

  beforeAll(() => {
    model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [L], units: 1, kernelInitializer: 'ones' })] });
  });
  afterAll(() => model.dispose());

  it('huberLoss - scored in chunks with event-loop turns between them, it equals the one-shot mean and leaves no tensors', async () => {
    const expected = tf.tidy(() => tf.losses.huberLoss(tf.tensor2d(set.y, [n, 1]), model.predict(tf.tensor2d(set.x, [n, L])) as tf.Tensor, undefined, 1.0).dataSync()[0]);
    await huberLoss(model, set, L);
    const before = tf.memory().numTensors;
    let loss = Number.NaN;
    // A tiny slice forces many chunks.
    const turns = await turnsDuring(async () => (loss = await huberLoss(model, set, L, { sliceMs: 0.01 })));
    expect(loss).toBeCloseTo(expected, 4);
    expect(turns).toBeGreaterThan(3);
    expect(tf.memory().numTensors).toBe(before);
    expect(await huberLoss(model, { ...set, count: 0 }, L)).toBeNaN();
  });

  it('forecastSets - windows and targets split by time, the same as before it yielded', async () => {
    const v = Array.from({ length: 100 }, (_, i) => 10 + (i % 5));
    const t = v.map((_, i) => i * 1000);
    const window = { startMs: 0, endMs: 99_000, series: new Map([['c', new Map([['m', { t, v }]])]]), messages: 1, samples: 100, lastSeq: 1 };
    const normalise = (w: Float32Array, count: number, len: number, out: Float32Array, center: Float64Array, spread: Float64Array) => {
      for (let i = 0; i < count; i++) {
        center[i] = w[i * len + len - 1];
        spread[i] = 1;
        for (let j = 0; j < len; j++) out[i * len + j] = w[i * len + j] - center[i];
      }
    };
    const sets = await forecastSets(window, { windowLength: L, normalise, clip: 100, isHoldout: (ms) => ms >= 90_000 });
    expect(sets.train.count).toBe(90 - L);
    expect(sets.holdout.count).toBe(10);
    expect(sets.inIncidents).toBe(0);
    // Example k of the training set: window v[k..k+L-1] around its last value, target v[k+L] − v[k+L-1].
    expect(Array.from(sets.train.x.subarray(0, L))).toEqual(v.slice(0, L).map((x) => x - v[L - 1]));
    expect(sets.train.y[0]).toBe(v[L] - v[L - 1]);
    expect(sets.holdout.y[9]).toBe(v[99] - v[98]);

    // An incident from 40 s to 50 s: every example whose inputs or target touch it is left out of both sets.
    const asked: Array<[string, number, number]> = [];
    const inIncident = (component: string, fromMs: number, toMs: number) => {
      asked.push([component, fromMs, toMs]);
      return fromMs <= 50_000 && toMs >= 40_000;
    };
    const without = await forecastSets(window, { windowLength: L, normalise, clip: 100, isHoldout: (ms) => ms >= 90_000, inIncident });
    // Targets at 40 s … 50 + L s touch it: 11 + L examples.
    expect(without.inIncidents).toBe(11 + L);
    expect(without.train.count).toBe(90 - L - (11 + L));
    expect(without.holdout.count).toBe(10);
    expect(asked[0]).toEqual(['c', 0, L * 1000]);
    // The first example after it has its target at 51 + L s.
    const after = 40 - L;
    expect(without.train.y[after]).toBe(v[51 + L] - v[50 + L]);
  });
});
