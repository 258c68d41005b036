import * as tf from '@tensorflow/tfjs';
import { ConsumerLoop, connectBus, provisionStreams, publishMessage, type Bus } from '@x0/bus';
import { startNatsServer, type NatsServerProcess } from '@x0/bus/testing';
import { INFERENCE_REPORT_CODEC, STREAMS, metricsSubject, type InferenceReport } from '@x0/contracts';
import { selectBackend } from '@x0/lora';
import { createModelRegistry, type ModelRegistry } from '@x0/model-registry';
import { InferenceReporter } from './inference-reporter';
import { ServedModel, type SwapInfo } from './served-model';

jest.setTimeout(60_000);

let server: NatsServerProcess;
let bus: Bus;
let registry: ModelRegistry;

/** A model whose output for input 1 is its version number: the score tells which version made it. */
function versionModel(version: number): tf.Sequential {
  const m = tf.sequential({ layers: [tf.layers.dense({ inputShape: [1], units: 1, useBias: false })] });
  const k = tf.tensor2d([[version]]);
  m.setWeights([k]);
  k.dispose();
  return m;
}

beforeAll(async () => {
  await selectBackend();
  server = await startNatsServer();
  bus = await connectBus({ url: server.url, name: 'served-model-test' });
  await provisionStreams(bus.jsm);
  registry = await createModelRegistry({ nc: bus.nc });
  for (const v of [1, 2, 3]) await registry.register({ model: 'scorer', version: String(v), artifacts: versionModel(v), signature: { inputShape: [1] } });
  await registry.promote('scorer', '1');
});

afterAll(async () => {
  await bus?.drain();
  await server?.stop();
});

describe('ServedModel', () => {
  it('hot swap - a steady stream keeps every message while champion moves 1 → 2 → 3 and rolls back to 2', async () => {
    const tensorsBefore = tf.memory().numTensors;
    const swaps: SwapInfo[] = [];
    const served = new ServedModel<tf.LayersModel>({
      registry,
      model: 'scorer',
      load: (v) => registry.loadModel('scorer', v),
      dispose: (m) => m.dispose(),
      onSwap: (info) => swaps.push(info),
    });
    await served.start();
    expect(served.version).toBe('1');

    const scored: Array<{ seq: number; version: string; score: number }> = [];
    const loop = new ConsumerLoop<number>({
      bus,
      service: 'hotswap',
      stream: STREAMS.metrics.name,
      filterSubject: metricsSubject('hot'),
      maxBatch: 16,
      decode: (data) => Number(Buffer.from(data).toString()),
      handleBatch: (items) =>
        items.map((d) => {
          const lease = served.acquire()!;
          try {
            const y = tf.tidy(() => (lease.model.predict(tf.tensor2d([[1]])) as tf.Tensor).dataSync()[0]);
            scored.push({ seq: d.streamSeq, version: lease.version, score: y });
          } finally {
            lease.release();
          }
          return { type: 'ok' };
        }),
    });
    await loop.start();

    const total = 400;
    const moves: Record<number, () => Promise<unknown>> = {
      100: () => registry.promote('scorer', '2'),
      200: () => registry.promote('scorer', '3'),
      300: () => registry.rollback('scorer'),
    };
    for (let i = 0; i < total; i++) {
      await publishMessage(bus.js, { subject: metricsSubject('hot'), data: Buffer.from(String(i)), id: `hot-${i}` });
      if (moves[i]) await moves[i]();
      if (i % 20 === 0) await new Promise((r) => setTimeout(r, 5));
    }
    const deadline = Date.now() + 30_000;
    while (scored.length < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await loop.stop();

    // count in = count scored, each message exactly once
    expect(scored).toHaveLength(total);
    expect(new Set(scored.map((s) => s.seq)).size).toBe(total);
    // every score came from one complete version: the one it was attributed to
    for (const s of scored) expect(s.score).toBeCloseTo(Number(s.version), 5);
    // in stream order, the versions follow the alias moves
    const phases = scored.sort((a, b) => a.seq - b.seq).map((s) => s.version).filter((v, i, a) => i === 0 || v !== a[i - 1]);
    expect(phases).toEqual(['1', '2', '3', '2']);
    expect(swaps.map((s) => `${s.type}:${s.previousVersion}->${s.version}`)).toEqual(['promote:->1', 'promote:1->2', 'promote:2->3', 'rollback:3->2']);
    expect(served.swapCount).toBe(4);

    await served.stop();
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });

  it('load failure - a version that cannot be loaded is reported and the previous one keeps serving', async () => {
    await registry.promote('scorer', '1');
    const errors: string[] = [];
    const served = new ServedModel<string>({
      registry,
      model: 'scorer',
      load: async (v) => {
        if (v === '3') throw new Error('corrupt artifacts');
        return `model-${v}`;
      },
      onError: (err, v) => errors.push(`${v}: ${(err as Error).message}`),
    });
    await served.start();
    await registry.promote('scorer', '3');
    const deadline = Date.now() + 10_000;
    while (errors.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(errors).toEqual(['3: cannot load scorer@3: corrupt artifacts']);
    expect(served.current).toBe('model-1');
    await registry.promote('scorer', '2');
    while (served.version !== '2' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(served.current).toBe('model-2');
    await served.stop();
  });

  it('lease - a retired version is disposed only when its last lease is released', async () => {
    await registry.promote('scorer', '1');
    const disposed: string[] = [];
    const served = new ServedModel<string>({ registry, model: 'scorer', load: async (v) => `m${v}`, dispose: (m) => disposed.push(m) });
    await served.start();
    const lease = served.acquire()!;
    await registry.promote('scorer', '2');
    const deadline = Date.now() + 10_000;
    while (served.version !== '2' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(disposed).toEqual([]);
    expect(lease.model).toBe('m1');
    lease.release();
    lease.release();
    expect(disposed).toEqual(['m1']);
    await served.stop();
    expect(disposed).toEqual(['m1', 'm2']);
  });
});

describe('InferenceReporter', () => {
  it('report - counts, failures and a latency sample per model version, on x0.inference.<model>', async () => {
    const got: InferenceReport[] = [];
    const sub = bus.nc.subscribe('x0.inference.>', { callback: (_e, m) => void got.push(INFERENCE_REPORT_CODEC.decode(m.data)) });
    const reporter = new InferenceReporter({ nc: bus.nc, service: 'monitor', instance: 'm-1', clock: () => 42 });
    for (let i = 0; i < 100; i++) reporter.record('detector', '2', i);
    reporter.record('detector', '2', 0, false);
    reporter.record('action-params', '1', 3);
    const reports = reporter.flush();
    expect(reporter.flush()).toEqual([]);
    await bus.nc.flush();
    sub.unsubscribe();
    expect(reports.map((r) => [r.model, r.version, r.inferences, r.failures])).toEqual([
      ['detector', '2', 100, 1],
      ['action-params', '1', 1, 0],
    ]);
    expect(reports[0].latency!.p95Ms).toBe(94);
    expect(reports[0].latencySamplesMs).toHaveLength(64);
    expect(got.map((r) => r.model).sort()).toEqual(['action-params', 'detector']);
    expect(got.find((r) => r.model === 'detector')!.timeMs).toBe(42);
  });
});
