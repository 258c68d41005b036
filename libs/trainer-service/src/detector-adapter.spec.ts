import * as tf from '@tensorflow/tfjs';
import { BASE_WEIGHTS, CLIP, normaliseWindows } from '@x0/anomaly';
import { baseModelSignature, loadAdapter, mergeAdapter, selectBackend } from '@x0/lora';
import { forecasterModel, forecasterWeights } from '@x0/model-serving';
import { DETECTOR_ADAPTER, fitDetectorAdapter } from './detector-adapter';
import { forecastSets, huberLoss, type ForecastSet } from './forecast-data';
import type { MetricWindow } from './replay';
import { sawtooth } from './testing';

jest.setTimeout(60_000);

const L = BASE_WEIGHTS.windowLength;

/** A sawtooth of period 9 with a little noise: component-specific dynamics the shared base does not know. */
async function sawtoothSet(n: number): Promise<ForecastSet> {
  const t = Array.from({ length: n }, (_, i) => 1000 * i);
  const v = sawtooth(n);
  const window: MetricWindow = { startMs: 0, endMs: t[n - 1], series: new Map([['db', new Map([['latency_ms', { t, v }]])]]), messages: 1, samples: n, lastSeq: 1 };
  const sets = await forecastSets(window, { windowLength: L, normalise: normaliseWindows, clip: CLIP, isHoldout: () => false });
  return sets.train;
}

describe('detector adapter', () => {
  beforeAll(async () => {
    await selectBackend();
  });

  it('fitDetectorAdapter - a rank-1, alpha-2 adapter on the hidden features layer only (48 parameters, 3.6 % of the base) that lowers the Huber loss, signed with the base weights as the monitor serves them, base untouched, no tensors left', async () => {
    const set = await sawtoothSet(400);
    const base = forecasterModel(BASE_WEIGHTS);
    const before = base.getWeights().map((w) => Array.from(w.dataSync()));
    const baseLoss = await huberLoss(base, set, L);
    const tensors = tf.memory().numTensors;
    const epochs: number[] = [];
    const fit = await fitDetectorAdapter(base, set, { windowLength: L, epochs: 30, onEpoch: (e) => epochs.push(e) });
    process.stdout.write(`detector adapter: ${set.count} windows, ${fit.epochMs.toFixed(1)} ms/epoch, base Huber ${baseLoss.toFixed(4)}, last-epoch training loss ${fit.loss.toFixed(4)}\n`);
    expect(epochs).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(fit.adapter.layers.map((l) => [l.index, l.name, l.rank, l.alpha])).toEqual([[1, 'features', DETECTOR_ADAPTER.rank, 2]]);
    expect(fit.trainableParams).toBe(48);
    expect(fit.adapter.paramCount).toBe(48);
    expect(fit.baseParams).toBe(1345);
    expect(fit.trainableParams / fit.baseParams).toBeLessThanOrEqual(0.05);
    // The monitor rebuilds its serving base from the champion's stored weights: same signature.
    expect(fit.adapter.baseSignature).toBe(baseModelSignature(base));
    const served = forecasterModel(forecasterWeights(base, 'served'));
    expect(fit.adapter.baseSignature).toBe(baseModelSignature(served));
    expect(base.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(before);

    const lora = await loadAdapter(served, fit.adapter);
    const merged = mergeAdapter(lora);
    const adaptedLoss = await huberLoss(merged, set, L);
    expect(adaptedLoss).toBeLessThan(0.8 * baseLoss);
    for (const m of [lora, merged, served]) m.dispose();
    fit.adapter.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
    base.dispose();
  });

  it('fitDetectorAdapter - an empty set is refused', async () => {
    const base = forecasterModel(BASE_WEIGHTS);
    const empty: ForecastSet = { x: new Float32Array(0), y: new Float32Array(0), count: 0, byComponent: new Map() };
    await expect(fitDetectorAdapter(base, empty, { windowLength: L, epochs: 1 })).rejects.toThrow("'set' must hold at least one forecasting example");
    base.dispose();
  });
});
