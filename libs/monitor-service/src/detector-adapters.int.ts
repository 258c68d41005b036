/**
 * DetectorAdapters against a real nats-server and model registry: a component's champion
 * adapter (`detector--<component>`) is merged into the base the monitor serves and becomes
 * that component's forecaster; a promotion swaps it without a restart; a base the adapter was
 * not trained on drops it, with the reason.
 */
import * as tf from '@tensorflow/tfjs';
import { BASE_WEIGHTS, createAnomalyDetector, type AnomalyDetector } from '@x0/anomaly';
import { connectBus, provisionStreams, type Bus } from '@x0/bus';
import { startNatsServer, waitFor, type NatsServerProcess } from '@x0/bus/testing';
import { applyLoRA, extractAdapter, fineTune, mergeAdapter, loadAdapter, type LoRAAdapter } from '@x0/lora';
import { createModelRegistry, type ModelRegistry } from '@x0/model-registry';
import { DETECTOR_MODEL, forecasterModel, forecasterWeights, type ForecasterWeights } from '@x0/model-serving';
import { DetectorAdapters, mergedWeights, type AdapterApplied } from './detector-adapters';

jest.setTimeout(60_000);

let server: NatsServerProcess;
let bus: Bus;
let registry: ModelRegistry;
let detector: AnomalyDetector;

const L = BASE_WEIGHTS.windowLength;

/** An adapter fine-tuned (a few steps, seeded) on the given base: its merged forecasts differ from the base's. */
async function trainedAdapter(base: ForecasterWeights, seed: number): Promise<LoRAAdapter> {
  const model = forecasterModel(base);
  const lora = applyLoRA(model, { rank: 4, alpha: 8, seed });
  const x = tf.randomNormal([256, L], 0, 1, 'float32', seed);
  const y = tf.randomNormal([256, 1], 0.5, 1, 'float32', seed + 1);
  await fineTune(lora, x, y, { epochs: 5, learningRate: 0.05, seed });
  const adapter = extractAdapter(lora);
  tf.dispose([x, y]);
  lora.dispose();
  model.dispose();
  return adapter;
}

async function registerAdapter(component: string, version: string, adapter: LoRAAdapter): Promise<void> {
  await registry.register({
    model: `${DETECTOR_MODEL}--${component}`,
    version,
    component,
    artifacts: adapter,
    signature: { inputShape: [L], baseModelHash: adapter.baseSignature, adapterRank: 4 },
  });
  await registry.promote(`${DETECTOR_MODEL}--${component}`, version);
}

/** The forecast of a window under the given weights (the detector's DenseForecaster path). */
function forecastOf(w: ForecasterWeights): number {
  const m = forecasterModel(w);
  const out = tf.tidy(() => (m.predict(tf.linspace(-1, 1, L).reshape([1, L])) as tf.Tensor).dataSync()[0]);
  m.dispose();
  return out;
}

const until = (check: () => boolean, what: string) => waitFor(async () => check() || undefined, 10_000, what);

beforeAll(async () => {
  server = await startNatsServer();
  bus = await connectBus({ url: server.url, name: 'detector-adapters-test' });
  await provisionStreams(bus.jsm);
  registry = await createModelRegistry({ nc: bus.nc });
  detector = await createAnomalyDetector({ warmupSamples: 30, backend: 'cpu' });
});

afterAll(async () => {
  detector?.dispose();
  await bus?.drain();
  await server?.stop();
});

describe('DetectorAdapters', () => {
  it('serves the champion adapter of a component seen, merged into the base; a promotion swaps it; a new base drops it with the reason', async () => {
    let base: ForecasterWeights = { ...BASE_WEIGHTS, version: '1' };
    const applied: AdapterApplied[] = [];
    const errors: unknown[] = [];
    const v1 = await trainedAdapter(base, 11);
    await registerAdapter('db', '1', v1);
    const adapters = new DetectorAdapters({ registry, detector, base: () => base, onApplied: (a) => applied.push(a), onError: (e) => errors.push(e) });
    await adapters.start();

    // a component without an adapter, and the one with it
    adapters.noteComponent('web');
    adapters.noteComponent('db');
    await until(() => detector.componentForecasters().has('db'), "db's adapter");
    expect([...detector.componentForecasters()]).toEqual([['db', '1+detector--db@1']]);
    expect(applied).toEqual([expect.objectContaining({ component: 'db', model: 'detector--db', version: '1', baseVersion: '1' })]);
    expect(adapters.followed).toBe(1);

    // the merged weights are the tfjs merge of the adapter into the base, and forecast differently from the base
    const direct = mergeAdapter(await loadAdapter(forecasterModel(base), v1));
    const merged = (await mergedWeights(base, v1, 'x')) as ForecasterWeights;
    expect(merged.tensors).toEqual(forecasterWeights(direct, 'x').tensors);
    direct.dispose();
    expect(Math.abs(forecastOf(merged) - forecastOf(base))).toBeGreaterThan(1e-3);

    // a new adapter version promoted: swapped in without a restart
    await registerAdapter('db', '2', await trainedAdapter(base, 21));
    await until(() => detector.componentForecasters().get('db') === '1+detector--db@2', 'adapter 2');
    expect(applied[applied.length - 1]).toMatchObject({ version: '2', swap: expect.objectContaining({ live: true, previousVersion: '1' }) });

    // a component whose adapter appears after it was seen is followed then
    adapters.noteComponent('queue');
    await registerAdapter('queue', '1', await trainedAdapter(base, 31));
    await until(() => detector.componentForecasters().has('queue'), "queue's adapter");

    // the base changes: both adapters were trained on the old one, so the shared model serves them again
    const raw = Buffer.from(base.tensors.W3, 'base64');
    const W3 = new Float32Array(raw.buffer, raw.byteOffset, raw.length / 4).map((v) => v * 1.5);
    base = { ...base, version: '2', tensors: { ...base.tensors, W3: Buffer.from(W3.buffer).toString('base64') } };
    await adapters.baseChanged();
    expect(detector.componentForecasters().size).toBe(0);
    expect(applied.slice(-2)).toEqual([
      expect.objectContaining({ component: 'db', version: '', skippedVersion: '2', baseVersion: '2', skipped: expect.stringMatching(/^the adapter was trained on other base weights than the detector serves \(2\)/) }),
      expect.objectContaining({ component: 'queue', version: '', skippedVersion: '1', baseVersion: '2', skipped: expect.any(String) }),
    ]);

    // an adapter trained on the new base applies
    await registerAdapter('db', '3', await trainedAdapter(base, 41));
    await until(() => detector.componentForecasters().get('db') === '2+detector--db@3', 'adapter 3 on base 2');
    await adapters.stop();
    expect(errors).toEqual([]);
  });
});
