/**
 * Hot swap in the monitor: while a steady stream of metric batches is consumed, the
 * detector's champion moves 1 → 2 and is rolled back to 1. The monitor swaps its forecaster
 * each time without a restart, and every sample published is scored exactly once.
 */
import { BASE_WEIGHTS, type BaseWeights } from '@x0/anomaly';
import { connectBus, provisionStreams, type Bus } from '@x0/bus';
import { startNatsServer, type NatsServerProcess } from '@x0/bus/testing';
import { createServiceClients, publishMetrics, serviceAddresses, type ServiceClients } from '@x0/client';
import { INFERENCE_REPORT_CODEC, type InferenceReport } from '@x0/contracts';
import { healthyValues, rng } from '@x0/demo';
import { selectBackend } from '@x0/lora';
import { createModelRegistry, type ModelRegistry } from '@x0/model-registry';
import { monitorService } from '@x0/monitor-service';
import { DETECTOR_MODEL, forecasterModel } from '@x0/model-serving';
import { runService, type ServiceHandle } from '@x0/service-kit';

jest.setTimeout(90_000);

const COMPONENTS = ['hs-web', 'hs-db', 'hs-queue'];
const STEPS = 300;

/** The shipped weights with the output bias moved: a second version that forecasts differently. */
function shifted(): BaseWeights {
  const b3 = Buffer.from(BASE_WEIGHTS.tensors.b3, 'base64');
  b3.writeFloatLE(b3.readFloatLE(0) + 0.5, 0);
  return { ...BASE_WEIGHTS, version: 'shifted', tensors: { ...BASE_WEIGHTS.tensors, b3: b3.toString('base64') } };
}

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('monitor - hot swap of the detector', () => {
  let nats: NatsServerProcess;
  let bus: Bus;
  let registry: ModelRegistry;
  let handle: ServiceHandle;
  let clients: ServiceClients;

  beforeAll(async () => {
    await selectBackend();
    nats = await startNatsServer();
    bus = await connectBus({ url: nats.url, name: 'hot-swap-test' });
    await provisionStreams(bus.jsm);
    registry = await createModelRegistry({ nc: bus.nc, source: 'test' });
    await registry.register({ model: DETECTOR_MODEL, version: '1', artifacts: forecasterModel(BASE_WEIGHTS), signature: { inputShape: [24] } });
    await registry.register({ model: DETECTOR_MODEL, version: '2', artifacts: forecasterModel(shifted()), signature: { inputShape: [24] } });
    await registry.promote(DETECTOR_MODEL, '1');
    handle = await runService(monitorService, {
      handleSignals: false,
      env: { NATS_URL: nats.url, GRPC_HOST: '127.0.0.1', GRPC_PORT: '0', METRICS_PORT: '0', LOG_LEVEL: 'silent', MONITOR_WARMUP_SAMPLES: '30', MONITOR_BATCH: '16' },
    });
    clients = createServiceClients({ ...serviceAddresses(), monitor: `127.0.0.1:${handle.grpcPort}` });
  });

  afterAll(async () => {
    clients?.close();
    await handle?.stop();
    await bus?.drain();
    await nats?.stop();
  });

  it('hot swap - a steady stream is scored in full while the champion moves 1 → 2 → back to 1', async () => {
    const info = () => clients.monitor.getDetectorInfo({});
    expect((await info()).modelVersion).toBe('stat-v1+mlp-forecaster-1');
    const reports: InferenceReport[] = [];
    const sub = bus.nc.subscribe('x0.inference.detector', { callback: (_e, m) => void reports.push(INFERENCE_REPORT_CODEC.decode(m.data)) });

    // The stream: one batch per component per step, 2 ms apart, published while the alias moves.
    const rand = rng(11);
    const t0 = Date.now() - 3_600_000;
    const publisher = (async () => {
      for (let i = 0; i < STEPS; i++) {
        for (const c of COMPONENTS) {
          const v = healthyValues('web', i, rand);
          await publishMetrics(bus, c, { cpu: v['cpu'], latency_ms: v['latency_ms'] }, { timeMs: t0 + i * 1000, id: `${c}-${i}` });
        }
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    const seen = async () => Number((await info()).samplesSeen);

    await until('a third of the stream', async () => (await seen()) >= STEPS);
    await registry.promote(DETECTOR_MODEL, '2', 'champion', { reason: 'test' });
    await until('version 2 serving', async () => (await info()).modelVersion === 'stat-v1+mlp-forecaster-2');
    const atSwap = await seen();
    await until('two thirds of the stream', async () => (await seen()) >= 2 * STEPS);
    await registry.rollback(DETECTOR_MODEL, 'champion', { reason: 'test' });
    await until('version 1 serving again', async () => (await info()).modelVersion === 'stat-v1+mlp-forecaster-1');
    await publisher;

    // count in = count scored: every sample of the stream, exactly once
    const total = COMPONENTS.length * STEPS;
    await until('every sample scored', async () => (await seen()) === total);
    const stats = await clients.monitor.getStatistics({});
    expect(stats.messagesIn).toBe(total);
    expect(stats.deadLettered).toBe(0);
    expect(stats.errors).toBe(0);
    expect(atSwap).toBeLessThan(total);
    expect(stats.models.find((m) => m.name === 'x0-ensemble')!.version).toBe('stat-v1+mlp-forecaster-1');

    // both versions did serve (the reporter flushes on stop)
    await handle.stop();
    await bus.nc.flush();
    sub.unsubscribe();
    const byVersion = new Map<string, number>();
    for (const r of reports) byVersion.set(r.version, (byVersion.get(r.version) ?? 0) + Number(r.inferences));
    expect([...byVersion.keys()].sort()).toEqual(['1', '2']);
  });
});
