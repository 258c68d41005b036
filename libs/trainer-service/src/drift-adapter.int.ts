/**
 * A drifting component's champion adapter is trained again on the new regime (with automatic
 * adapters on): its drift alert queues the shared detector's job, as before, and a job for
 * that component's adapter; a drifting component without a champion adapter gets no adapter
 * job. Real nats-server, registry and gRPC; the drift jobs wait a day (settle time), so only
 * what is queued is checked.
 */
import type { Bus } from '@x0/bus';
import { readEvents, waitFor } from '@x0/bus/testing';
import { selectBackend } from '@x0/lora';
import { publishDriftRows, startDriftTrainer, finishedJob, type TrainerUnderTest } from './testing';

jest.setTimeout(180_000);

// (1,000 rows one a second, all within the data window: the coverage sees dr-db's rate, enough for a job on the new regime alone)
const T0 = Date.now() - 1_200_000;

const publishRows = (bus: Bus, component: string, from: number, to: number, flap: boolean) => publishDriftRows(bus, component, T0, { from, to, flap, seed: component.length });

describe('trainer service - a drifting component’s adapter is trained again', () => {
  let t: TrainerUnderTest;

  beforeAll(async () => {
    await selectBackend();
    t = await startDriftTrainer(
      async (bus) => {
        await publishRows(bus, 'dr-db', 0, 600, false);
        await publishRows(bus, 'dr-web', 0, 600, false);
      },
      // automatic adapters on (a baseline job for dr-db, if one starts first, is taken over by the manual request below or precedes it)
      { TRAINER_AUTO_ADAPTERS: 'true' },
    );
  });
  afterAll(() => t?.stop());

  it('drift alert - queues the shared job and, for the component with a champion adapter only, a job for its adapter that waits the same settle time', async () => {
    const trained = await t.call('train', { model: 'detector', component: 'dr-db', reason: 'test: an adapter to drift from', actor: 'ci' });
    const done = await finishedJob(t, trained.id, 120_000);
    expect(done).toMatchObject({ state: 'succeeded' });
    if (done.decision !== 'promoted') await t.call('promote', { model: 'detector--dr-db', version: done.version, alias: 'champion', reason: 'test', actor: 'ci' });

    // (the first check took the calm rows as the drift reference)
    await publishRows(t.bus, 'dr-db', 600, 1000, true);
    await publishRows(t.bus, 'dr-web', 600, 1000, true);
    const driftAlert = async (component: string) => (await readEvents(t.bus, 'model_alert', component)).some((a) => a.type === 'input_drift');
    await waitFor(async () => (await driftAlert('dr-db')) && (await driftAlert('dr-web')), 60_000, 'drift alerts of both components');
    // (the jobs are queued before the alert is published)
    const drift = (await t.call('listJobs', { model: 'detector', limit: 100 })).jobs.filter((j) => j.trigger === 'drift');
    const adapterJob = drift.find((j) => j.component === 'dr-db')!;
    expect(adapterJob).toMatchObject({ model: 'detector', state: 'queued' });
    expect(adapterJob.reason).toMatch(new RegExp(`^dr-db: .*input drift.*; its adapter detector--dr-db ${done.version} is trained again on the new regime \\(data from \\S+Z\\); waits until \\S+Z \\(data of the new regime, 86400 s\\) before it starts$`));
    // it trains on data from the alert on, once there is enough of it (here the settle time, a day, is longer than half the data window)
    const alert = (await readEvents(t.bus, 'model_alert', 'dr-db')).find((a) => a.type === 'input_drift')!;
    expect(adapterJob.dataSinceMs).toBeGreaterThan(0);
    expect(Math.abs(adapterJob.dataSinceMs - alert.meta!.timeMs)).toBeLessThan(5_000);
    expect(adapterJob.notBeforeMs - adapterJob.dataSinceMs).toBe(86_400_000);
    const shared = drift.find((j) => j.component === '')!;
    expect(shared.dataSinceMs).toBe(0);
    // one shared job (both alerts asked for it) and no job for dr-web's adapter (it has none)
    expect(drift.filter((j) => j.component === '').length).toBe(1);
    expect(drift.filter((j) => j.component === 'dr-web')).toEqual([]);
  });
});
