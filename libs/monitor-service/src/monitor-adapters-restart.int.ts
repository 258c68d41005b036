/**
 * A restarted monitor serves the components' adapters at once: a component it scored before the
 * restart (its detector state is in KV) that has a champion adapter is scored with it from its
 * first batch on — the backlog published while the monitor was down included — and `x0
 * component` says so before that batch. Real nats-server, registry and monitor service.
 */
import * as tf from '@tensorflow/tfjs';
import { BASE_WEIGHTS } from '@x0/anomaly';
import * as grpc from '@grpc/grpc-js';
import { connectBus, provisionStreams, publishMessage, type Bus } from '@x0/bus';
import { startNatsServer, waitFor, type NatsServerProcess } from '@x0/bus/testing';
import { METRIC_BATCH_CODEC, MonitorServiceClient, metricsSubject, type ComponentStatus, type DetectorInfo } from '@x0/contracts';
import { applyLoRA, extractAdapter, fineTune, selectBackend } from '@x0/lora';
import { createModelRegistry, type ModelRegistry } from '@x0/model-registry';
import { DETECTOR_MODEL, forecasterModel, forecasterWeights } from '@x0/model-serving';
import { runService, type ServiceHandle } from '@x0/service-kit';
import { monitorService } from './monitor-service';

jest.setTimeout(90_000);

const L = BASE_WEIGHTS.windowLength;

let nats: NatsServerProcess;
let bus: Bus;
let registry: ModelRegistry;
let handle: ServiceHandle | undefined;
let client: MonitorServiceClient | undefined;

interface Monitor {
  status(component: string): Promise<ComponentStatus>;
  info(): Promise<DetectorInfo>;
}

async function startMonitor(): Promise<Monitor> {
  client?.close();
  handle = await runService(monitorService, {
    handleSignals: false,
    env: { NATS_URL: nats.url, GRPC_HOST: '127.0.0.1', GRPC_PORT: '0', METRICS_PORT: '0', LOG_LEVEL: 'silent', MONITOR_WARMUP_SAMPLES: '30', MONITOR_BATCH: '16' },
  });
  const c = new MonitorServiceClient(`127.0.0.1:${handle.grpcPort}`, grpc.credentials.createInsecure());
  client = c;
  return {
    status: (component) => new Promise((resolve, reject) => c.getComponentStatus({ component }, (err, res) => (err ? reject(err) : resolve(res)))),
    info: () => new Promise((resolve, reject) => c.getDetectorInfo({}, (err, res) => (err ? reject(err) : resolve(res)))),
  };
}

async function publish(component: string, metrics: Record<string, number>, timeMs: number): Promise<void> {
  const id = `mb-${component}-${timeMs}`;
  const data = METRIC_BATCH_CODEC.encode({ id, component, timeMs, samples: Object.entries(metrics).map(([metric, value]) => ({ metric, value, timeMs })), labels: {} });
  await publishMessage(bus.js, { subject: metricsSubject(component), data, id });
}

beforeAll(async () => {
  await selectBackend();
  nats = await startNatsServer();
  bus = await connectBus({ url: nats.url, name: 'monitor-adapters-restart-test' });
  await provisionStreams(bus.jsm);
  registry = await createModelRegistry({ nc: bus.nc, source: 'test' });
  await registry.register({ model: DETECTOR_MODEL, version: '1', artifacts: forecasterModel(BASE_WEIGHTS), signature: { inputShape: [L] } });
  await registry.promote(DETECTOR_MODEL, '1');
  // rst-db's adapter, trained on base 1 as the monitor loads it from the registry
  const stored = await registry.loadModel(DETECTOR_MODEL, '1');
  const base = forecasterModel(forecasterWeights(stored, '1'));
  stored.dispose();
  const lora = applyLoRA(base, { rank: 4, alpha: 8, seed: 5 });
  const x = tf.randomNormal([128, L], 0, 1, 'float32', 5);
  const y = tf.randomNormal([128, 1], 0.5, 1, 'float32', 6);
  await fineTune(lora, x, y, { epochs: 3, learningRate: 0.05, seed: 5 });
  const adapter = extractAdapter(lora);
  tf.dispose([x, y]);
  lora.dispose();
  base.dispose();
  await registry.register({ model: `${DETECTOR_MODEL}--rst-db`, version: '1', component: 'rst-db', artifacts: adapter, signature: { inputShape: [L], baseModelHash: adapter.baseSignature, adapterRank: 4 } });
  adapter.dispose();
  await registry.promote(`${DETECTOR_MODEL}--rst-db`, '1');
});

afterAll(async () => {
  client?.close();
  await handle?.stop();
  await bus?.drain();
  await nats?.stop();
});

describe('monitor - per-component adapters across a restart', () => {
  it('a component scored before the restart has its adapter serving as soon as the monitor is up, before its next batch', async () => {
    let c = await startMonitor();
    const t0 = Date.now() - 60_000;
    for (let i = 0; i < 40; i++) {
      await publish('rst-db', { latency_ms: 10 + (i % 5), cpu: 0.3 }, t0 + i * 1000);
      await publish('rst-web', { latency_ms: 80 + (i % 3) }, t0 + i * 1000);
    }
    await waitFor(async () => ((await c.status('rst-db').catch(() => undefined))?.samplesSeen === 40 ? true : undefined), 30_000, 'the 40 samples of rst-db');
    await waitFor(async () => ((await c.status('rst-db')).forecaster === '1+detector--rst-db@1' ? true : undefined), 30_000, 'the adapter to serve');
    await handle!.stop();

    // the restarted monitor: no batch of rst-db since (its state restored from KV)
    c = await startMonitor();
    const db = await c.status('rst-db');
    expect(db.samplesSeen).toBe(40);
    expect(db.forecaster).toBe('1+detector--rst-db@1');
    expect((await c.status('rst-web')).forecaster).toBe('');
    expect((await c.info()).componentAdapters).toBe(1);
  });
});
