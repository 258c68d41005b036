/**
 * A component's own detector adapter, end to end: the trainer fine-tunes a LoRA adapter of the
 * shared forecaster on one component's history (`x0 train detector --component ad-db`), the
 * shadow gate promotes it, and the monitor — running beside it on the same nats-server —
 * scores that component with the adapter merged into the base it serves, without a restart;
 * the other component keeps the shared forecaster. When the shared base is replaced, the
 * adapter (trained on the old base) stops serving.
 */
import { waitFor } from '@x0/bus/testing';
import { createServiceClients, serviceAddresses, type ServiceClients } from '@x0/client';
import { selectBackend } from '@x0/lora';
import { monitorService } from '@x0/monitor-service';
import { runService, type ServiceHandle } from '@x0/service-kit';
import { anomalyDetectorBase } from '@x0/trainer-service';
import { healthy, publishSeries, sawtooth, startTrainerUnderTest, type TrainerUnderTest } from '@x0/trainer-service/testing';

jest.setTimeout(240_000);

const T0 = Date.now() - 3_600_000;
const ROWS = 400;


describe('detector adapter - trained by the trainer, served by the monitor', () => {
  let t: TrainerUnderTest;
  let monitor: ServiceHandle;
  let clients: ServiceClients;

  beforeAll(async () => {
    await selectBackend();
    t = await startTrainerUnderTest({
      detectorBase: anomalyDetectorBase(),
      env: { TRAINER_MIN_DRIFT_SAMPLES: '1000000', TRAINER_DETECTOR_EPOCHS: '2', TRAINER_DETECTOR_ADAPTER_EPOCHS: '30' },
      before: async (bus) => {
        await publishSeries(bus, 'ad-db', { latency_ms: sawtooth(ROWS), cpu: healthy(ROWS, 41, 0.3) }, T0);
        await publishSeries(bus, 'ad-web', { latency_ms: healthy(ROWS, 42, 80), rps: healthy(ROWS, 43, 200) }, T0);
      },
    });
    monitor = await runService(monitorService, {
      handleSignals: false,
      env: { NATS_URL: t.server.url, GRPC_HOST: '127.0.0.1', GRPC_PORT: '0', METRICS_PORT: '0', LOG_LEVEL: 'silent', MONITOR_WARMUP_SAMPLES: '50', X0_INSTANCE: 'monitor-test' },
    });
    clients = createServiceClients({ ...serviceAddresses({}), monitor: `127.0.0.1:${monitor.grpcPort}` });
  });

  afterAll(async () => {
    clients?.close();
    await monitor?.stop();
    await t?.stop();
  });

  const finished = async (component: string) => {
    const job = await t.call('train', { model: 'detector', component, reason: 'e2e', actor: 'ci' });
    return waitFor(
      async () => {
        const j = await t.call('getJob', { id: job.id });
        return j.state === 'succeeded' || j.state === 'failed' ? j : undefined;
      },
      180_000,
      `the detector job${component ? ` of ${component}` : ''} to finish`,
    );
  };
  const status = (component: string) => clients.monitor.getComponentStatus({ component });

  it('the promoted adapter serves its component in the monitor; the other component keeps the shared forecaster; a new base drops it', async () => {
    // the monitor has scored the history of both components
    await waitFor(async () => (await status('ad-db').catch(() => undefined))?.samplesSeen === ROWS || undefined, 60_000, 'the monitor to score ad-db');
    expect((await status('ad-db')).forecaster).toBe('');

    const job = await finished('ad-db');
    expect(job).toMatchObject({ state: 'succeeded', model: 'detector', component: 'ad-db', version: '1', decision: 'promoted' });
    // the monitor serves it from its next batch on: shared base 1 + the component's adapter 1
    await waitFor(async () => (await status('ad-db')).forecaster === '1+detector--ad-db@1' || undefined, 30_000, 'the monitor to serve the adapter');
    expect((await status('ad-web')).forecaster).toBe('');
    expect((await clients.monitor.getDetectorInfo({})).componentAdapters).toBe(1);

    // the component's new samples are scored as before (nothing dropped)
    await publishSeries(t.bus, 'ad-db', { latency_ms: sawtooth(40, ROWS), cpu: healthy(40, 44, 0.3, ROWS) }, T0 + ROWS * 1000);
    await waitFor(async () => (await status('ad-db')).samplesSeen === ROWS + 40 || undefined, 30_000, 'the new samples to be scored');

    // a new shared base (trained and promoted): the adapter was trained on base 1, so the shared forecaster serves ad-db again
    const base = await finished('');
    expect(base).toMatchObject({ state: 'succeeded', version: '2' });
    if (base.decision !== 'promoted') await t.call('promote', { model: 'detector', version: '2', alias: 'champion', reason: 'e2e: a new base', actor: 'ci' });
    await waitFor(async () => (await status('ad-db')).forecaster === '' || undefined, 30_000, 'the adapter to stop serving on the new base');
    expect((await clients.monitor.getDetectorInfo({})).modelVersion).toBe('stat-v1+mlp-forecaster-2');
  });
});
