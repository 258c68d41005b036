/**
 * The detector champion moves while a component's adapter trains: the adapter must be trained
 * on the base that serves when it is registered — one of the old base would not apply (the
 * monitor serves the shared model for that component) and, for a component that had no
 * champion adapter, no rebase job would ever follow. Real nats-server, registry and training.
 */
import { selectBackend } from '@x0/lora';
import { adapterModelName, DETECTOR_MODEL } from '@x0/model-serving';
import { detectorTrainable } from './detector-trainable';
import { healthy, publishSeries, sawtooth, startTrainerUnderTest, trainWhileBaseMoves, finishedJob, type TrainerUnderTest } from './testing';
import { anomalyDetectorBase } from './trainer-service';

jest.setTimeout(180_000);

const T0 = Date.now() - 3_600_000;
const ROWS = 400;

describe('detector adapter job - the base champion moves while it trains', () => {
  let t: TrainerUnderTest;

  beforeAll(async () => {
    await selectBackend();
    t = await startTrainerUnderTest({
      detectorBase: anomalyDetectorBase(),
      env: { TRAINER_MIN_DRIFT_SAMPLES: '1000000', TRAINER_DETECTOR_EPOCHS: '2' },
      before: async (bus) => {
        await publishSeries(bus, 'mv-db', { latency_ms: sawtooth(ROWS), cpu: healthy(ROWS, 61, 0.3) }, T0);
        await publishSeries(bus, 'odd:db', { latency_ms: sawtooth(ROWS), cpu: healthy(ROWS, 62, 0.3) }, T0);
      },
    });
  });
  afterAll(() => t?.stop());

  it('a component named with other characters a subject token allows (odd:db) - its adapter is trained and registered under a hashed name, with the real component', async () => {
    const job = await t.call('train', { model: 'detector', component: 'odd:db', reason: 'test', actor: 'ci' });
    const done = await finishedJob(t, job.id, 120_000);
    expect(done).toMatchObject({ state: 'succeeded', error: '', version: '1' });
    const name = adapterModelName(DETECTOR_MODEL, 'odd:db');
    expect(name).toMatch(/^detector--h[0-9a-f]{16}$/);
    expect((await t.registry.get(name, '1')).component).toBe('odd:db');
  });

  it('is trained again on the new champion, and registered with its signature and version', async () => {
    // a second base version (trained by the trainer), not the champion yet
    const job = await t.call('train', { model: 'detector', component: '', reason: 'test', actor: 'ci' });
    const base = await finishedJob(t, job.id, 120_000);
    expect(base).toMatchObject({ state: 'succeeded', version: '2' });
    if (base.decision === 'promoted') await t.call('rollback', { model: DETECTOR_MODEL, alias: 'champion', reason: 'test', actor: 'ci' });
    expect((await t.registry.alias(DETECTOR_MODEL, 'champion'))?.version).toBe('1');

    // The adapter job, run as the runner runs it; the base is promoted once its fit has started.
    const trainable = detectorTrainable({ base: anomalyDetectorBase(), epochs: 2, adapterEpochs: 30, incidents: { tailMs: 60_000 } });
    const { outcome, moved, baseHash } = await trainWhileBaseMoves(t, trainable, { component: 'mv-db', sinceMs: T0 - 1000, baseModel: DETECTOR_MODEL, version: '2' });
    try {
      // (the move landed while the job ran: otherwise this test would prove nothing)
      expect(moved).toBe(true);
      expect((await t.registry.alias(DETECTOR_MODEL, 'champion'))?.version).toBe('2');
      expect(outcome.model).toBe('detector--mv-db');
      expect(outcome.config).toMatchObject({ baseVersion: '2', component: 'mv-db' });
      expect(outcome.signature.baseModelHash).toBe(baseHash);
    } finally {
      outcome.dispose();
    }
  });
});
