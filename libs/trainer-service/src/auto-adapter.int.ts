/**
 * Automatic adapters (TRAINER_AUTO_ADAPTERS): a component the trainer has sampled enough rows
 * of gets its first detector adapter without anyone asking, one component at a time; one with
 * too few rows gets none; a restarted trainer does not train a served adapter again. Real
 * nats-server, registry and training.
 */
import { waitFor } from '@x0/bus/testing';
import { selectBackend } from '@x0/lora';
import { healthy, publishSeries, sawtooth, startTrainerUnderTest, type TrainerUnderTest } from './testing';
import { anomalyDetectorBase } from './trainer-service';

jest.setTimeout(180_000);

// (rows within the data window, 3600 s: what an adapter job trains on, and what the coverage counts)
const T0 = Date.now() - 600_000;

describe('trainer service - automatic adapters for components without one', () => {
  let t: TrainerUnderTest;

  beforeAll(async () => {
    await selectBackend();
    t = await startTrainerUnderTest({
      detectorBase: anomalyDetectorBase(),
      env: {
        TRAINER_AUTO_ADAPTERS: 'true',
        TRAINER_ADAPTER_MIN_ROWS: '300',
        TRAINER_CHECK_INTERVAL_MS: '250',
        TRAINER_MIN_DRIFT_SAMPLES: '1000000',
        TRAINER_DETECTOR_ADAPTER_EPOCHS: '30',
      },
      before: async (bus) => {
        await publishSeries(bus, 'auto-db', { latency_ms: sawtooth(400), cpu: healthy(400, 41, 0.3) }, T0);
        await publishSeries(bus, 'auto-saw', { latency_ms: sawtooth(450, 7) }, T0);
        await publishSeries(bus, 'auto-tiny', { latency_ms: healthy(150, 42, 80) }, T0);
      },
    });
  });
  afterAll(() => t?.stop());

  const baselineJobs = async () => (await t.call('listJobs', { model: 'detector', limit: 100 })).jobs.filter((j) => j.trigger === 'baseline');

  it('each component with enough sampled rows gets a baseline job for its adapter, one after the other; the gate promotes the sawtooth adapters; the small component gets none', async () => {
    const done = await waitFor(
      async () => {
        const jobs = await baselineJobs();
        return jobs.length === 2 && jobs.every((j) => j.state === 'succeeded' || j.state === 'failed') ? jobs : undefined;
      },
      150_000,
      'two baseline jobs to finish',
    );
    expect(done.map((j) => j.component).sort()).toEqual(['auto-db', 'auto-saw']);
    for (const job of done) {
      expect(job).toMatchObject({ state: 'succeeded', error: '', version: '1', decision: 'promoted', actor: '' });
      expect(job.reason).toMatch(new RegExp(`^${job.component} has \\d+ sampled rows in the last 3600 s and no adapter of detector: its first adapter$`));
      expect((await t.call('getModel', { model: `detector--${job.component}`, ref: 'champion' })).lineage).toMatchObject({ component: job.component, trigger: 'baseline' });
    }
    // one at a time: the second was queued after the first had finished
    const [first, second] = [...done].sort((a, b) => a.createdMs - b.createdMs);
    expect(second.createdMs).toBeGreaterThanOrEqual(first.finishedMs);
    // auto-tiny (150 rows, below TRAINER_ADAPTER_MIN_ROWS) got no job at all
    expect((await t.call('listJobs', { model: 'detector', limit: 100 })).jobs.filter((j) => j.component === 'auto-tiny')).toEqual([]);
  });

  it('restart - served adapters are not trained again, and nothing new is queued for them', async () => {
    await t.restart();
    // enough checks for every component to be sampled (the first check after a start samples the whole stream)
    await new Promise((r) => setTimeout(r, 2000));
    const jobs = await baselineJobs();
    expect(jobs).toHaveLength(2);
    expect((await t.call('listJobs', { model: 'detector', limit: 100 })).jobs.filter((j) => j.state === 'queued' || j.state === 'running')).toEqual([]);
  });
});
