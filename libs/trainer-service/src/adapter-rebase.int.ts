/**
 * A new champion of a base model queues its stale adapters for training again (trigger
 * `rebase`): a component's detector adapter trained on base 1 no longer applies once base 2
 * serves, so the trainer trains it on base 2; a component without an adapter gets no job. A
 * base rolled back restores the adapter trained on it; a move made while the trainer was down
 * is caught up at its start, once.
 * Real nats-server, real gRPC and real training.
 */
import { waitFor } from '@x0/bus/testing';
import { baseModelSignature, selectBackend } from '@x0/lora';
import type { TrainingJob } from '@x0/contracts';
import { rebaseRequests, staleAdapters } from './adapter-rebase';
import { healthy, publishSeries, sawtooth, startTrainerUnderTest, finishedJob, type TrainerUnderTest } from './testing';
import { anomalyDetectorBase } from './trainer-service';

jest.setTimeout(240_000);

const T0 = Date.now() - 3_600_000;
const ROWS = 400;


describe('trainer service - adapters trained again on a new base', () => {
  let t: TrainerUnderTest;

  beforeAll(async () => {
    await selectBackend();
    t = await startTrainerUnderTest({
      detectorBase: anomalyDetectorBase(),
      env: { TRAINER_MIN_DRIFT_SAMPLES: '1000000', TRAINER_DETECTOR_EPOCHS: '2', TRAINER_DETECTOR_ADAPTER_EPOCHS: '20' },
      before: async (bus) => {
        await publishSeries(bus, 'rb-db', { latency_ms: sawtooth(ROWS), cpu: healthy(ROWS, 51, 0.3) }, T0);
        await publishSeries(bus, 'rb-web', { latency_ms: healthy(ROWS, 52, 80) }, T0);
      },
    });
  });
  afterAll(() => t?.stop());

  const finished = (id: string) => finishedJob(t, id, 180_000);
  const champion = async (model: string, version: string, decision: string) => {
    if (decision !== 'promoted') await t.call('promote', { model, version, alias: 'champion', reason: 'test', actor: 'ci' });
  };

  it('a promoted base queues a rebase job for each component whose adapter was trained on the old one, which trains it on the new base', async () => {
    const adapter = await finished((await t.call('train', { model: 'detector', component: 'rb-db', reason: 'test', actor: 'ci' })).id);
    expect(adapter).toMatchObject({ state: 'succeeded', version: '1' });
    await champion('detector--rb-db', '1', adapter.decision);
    expect(await staleAdapters(t.registry, 'detector', '1')).toEqual([]);

    const base = await finished((await t.call('train', { model: 'detector', component: '', reason: 'test', actor: 'ci' })).id);
    expect(base).toMatchObject({ state: 'succeeded', version: '2' });
    // what is stale against base 2, and the job asked for it (before the promotion takes effect)
    const stale = await staleAdapters(t.registry, 'detector', '2');
    expect(stale).toEqual([{ model: 'detector--rb-db', component: 'rb-db', version: '1', baseVersion: '1', championMovedMs: expect.any(Number) }]);
    expect(rebaseRequests('detector', '2', stale)).toEqual([
      { model: 'detector', component: 'rb-db', trigger: 'rebase', reason: "detector champion is now 2: rb-db's adapter 1 was trained on detector 1 and no longer applies" },
    ]);
    await champion('detector', '2', base.decision);

    const rebase = await waitFor(
      async () => (await t.call('listJobs', { model: 'detector', limit: 10 })).jobs.find((j: TrainingJob) => j.trigger === 'rebase'),
      30_000,
      'a rebase job',
    );
    expect(rebase).toMatchObject({ model: 'detector', component: 'rb-db', reason: "detector champion is now 2: rb-db's adapter 1 was trained on detector 1 and no longer applies" });
    const done = await finished(rebase.id);
    expect(done).toMatchObject({ state: 'succeeded', version: '2' });
    const v2 = await t.registry.get('detector--rb-db', '2');
    const base2 = await t.registry.loadModel('detector', '2');
    expect(v2.signature.baseModelHash).toBe(baseModelSignature(base2));
    base2.dispose();
    expect(v2.lineage.config).toMatchObject({ baseVersion: '2', component: 'rb-db' });
    // promoted or not, the adapter is judged against base 2: when it won, nothing is stale any more
    expect(await staleAdapters(t.registry, 'detector', '2')).toEqual(done.decision === 'promoted' ? [] : [expect.objectContaining({ component: 'rb-db', version: '1' })]);
    // no job for the component without an adapter, and only the one rebase job
    const jobs = (await t.call('listJobs', { model: 'detector', limit: 20 })).jobs;
    expect(jobs.filter((j: TrainingJob) => j.trigger === 'rebase').map((j: TrainingJob) => j.component)).toEqual(['rb-db']);

    // The base rolled back to 1: adapter 1 (trained on base 1) is the champion again — restored
    // when adapter 2 had won, left as it was otherwise — and nothing is trained.
    const promotedV2 = done.decision === 'promoted';
    await t.call('rollback', { model: 'detector', alias: 'champion', reason: 'test: back to base 1', actor: 'ci' });
    await waitFor(async () => (await t.registry.alias('detector--rb-db', 'champion'))?.version === '1' || undefined, 30_000, 'adapter 1 to be champion again');
    if (promotedV2) expect((await t.registry.alias('detector--rb-db', 'champion'))!.history.at(-1)).toMatchObject({ version: '1', reason: "detector champion is 1 again: rb-db's adapter 1, trained on it, serves again" });
    expect(await staleAdapters(t.registry, 'detector', '1')).toEqual([]);

    // A move made while the trainer was down is caught up at its start, once: back to base 2.
    await t.handle.stop();
    await t.registry.promote('detector', '2', 'champion', { reason: 'test: while the trainer was down' });
    await t.restart();
    const rebaseJobs = async () => (await t.call('listJobs', { model: 'detector', limit: 50 })).jobs.filter((j: TrainingJob) => j.trigger === 'rebase');
    if (promotedV2) {
      // adapter 2 was trained on base 2: restored, no job
      await waitFor(async () => (await t.registry.alias('detector--rb-db', 'champion'))?.version === '2' || undefined, 30_000, 'adapter 2 restored at start');
      expect(await rebaseJobs()).toHaveLength(1);
    } else {
      const again = await waitFor(async () => (await rebaseJobs()).find((j: TrainingJob) => j.id !== rebase.id), 30_000, 'a rebase job at start');
      expect(again).toMatchObject({ component: 'rb-db', reason: "detector champion is now 2: rb-db's adapter 1 was trained on detector 1 and no longer applies" });
      await finished(again.id);
    }
    // a second start after that does not train it again (the start checks before it serves)
    const before = (await rebaseJobs()).length;
    await t.restart();
    expect(await rebaseJobs()).toHaveLength(before);

    // An adapter of another base promoted by hand after the base moved stays as it was put, also across a start.
    await t.call('promote', { model: 'detector--rb-db', version: '1', alias: 'champion', reason: 'test: by hand', actor: 'ci' });
    await t.restart();
    expect((await t.registry.alias('detector--rb-db', 'champion'))?.version).toBe('1');
    expect(await rebaseJobs()).toHaveLength(before);
  });
});
