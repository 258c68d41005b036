import { waitFor } from '@x0/bus/testing';
import type { TrainingJob } from '@x0/contracts';
import { baseModelSignature, loadAdapter, mergeAdapter, readAdapter, selectBackend } from '@x0/lora';
import { forecasterModel, forecasterWeights } from '@x0/model-serving';
import { blockedHoldout } from './forecast-data';
import { healthy, publishSeries, sawtooth, startTrainerUnderTest, finishedJob, type TrainerUnderTest } from './testing';
import { anomalyDetectorBase } from './trainer-service';

// Real nats-server, real gRPC and real training: generous limits, no timing assertions.
jest.setTimeout(180_000);

const T0 = Date.now() - 3_600_000;
const L = anomalyDetectorBase().weights.windowLength;


/** Training and held-out windows of `metrics` series of `n` rows from T0, one a second, as a job splits them (holdout fraction 0.25). */
function split(n: number, metrics: number): { train: number; holdout: number } {
  const held = blockedHoldout(T0, T0 + (n - 1) * 1000, 0.25);
  let holdout = 0;
  for (let t = L; t < n; t++) if (held(T0 + t * 1000)) holdout++;
  return { train: metrics * (n - L - holdout), holdout: metrics * holdout };
}

describe('trainer service - per-component adapters of the detector forecaster', () => {
  let t: TrainerUnderTest;
  const DB_ROWS = 400;

  beforeAll(async () => {
    await selectBackend();
    t = await startTrainerUnderTest({
      detectorBase: anomalyDetectorBase(),
      env: { TRAINER_CHECK_INTERVAL_MS: '250', TRAINER_MIN_DRIFT_SAMPLES: '1000000', TRAINER_DETECTOR_EPOCHS: '2', TRAINER_DETECTOR_ADAPTER_EPOCHS: '30' },
      before: async (bus) => {
        await publishSeries(bus, 'demo-db', { latency_ms: sawtooth(DB_ROWS), cpu: healthy(DB_ROWS, 31, 0.3) }, T0);
        await publishSeries(bus, 'demo-web', { latency_ms: healthy(700, 32, 80), cpu: healthy(700, 33, 0.3), rps: healthy(700, 34, 200) }, T0);
        await publishSeries(bus, 'tiny', { latency_ms: healthy(150, 35, 80) }, T0);
      },
    });
  });
  afterAll(() => t?.stop());

  const run = async (component: string) => {
    const job = await t.call('train', { model: 'detector', component, reason: 'test', actor: 'ci' });
    expect(job).toMatchObject({ model: 'detector', component, state: 'queued' });
    return finishedJob(t, job.id, 120_000);
  };

  it('job without a component - trains the shared base on every component, as before (made champion here so adapters sit on a trained, stored base)', async () => {
    const done = await run('');
    expect(done).toMatchObject({ state: 'succeeded', error: '', version: '2', parentVersion: '1' });
    expect(done.metrics['components']).toBe(3);
    expect(done.metrics['train_windows'] + done.metrics['holdout_windows']).toBe(2 * (DB_ROWS - L) + 3 * (700 - L) + (150 - L));
    const v = await t.call('getModel', { model: 'detector', ref: '2' });
    expect(v.lineage['component']).toBeUndefined();
    if (done.decision !== 'promoted') await t.call('promote', { model: 'detector', version: '2', alias: 'champion', reason: 'test: a trained base', actor: 'ci' });
    expect((await t.call('getModel', { model: 'detector', ref: 'champion' })).version).toBe('2');
  });

  it('job with a component - trains that component’s adapter on its metrics only, registers detector--<c> with the base’s hash, and the shadow gate promotes it over the base alone', async () => {
    const done = await run('demo-db');
    const { train, holdout } = split(DB_ROWS, 2);
    expect(done).toMatchObject({ state: 'succeeded', error: '', version: '1', parentVersion: '', decision: 'promoted' });
    // Only demo-db's two metrics: demo-web (700 rows, 3 metrics) and tiny are not in either set.
    expect(done.metrics).toMatchObject({ train_windows: train, holdout_windows: holdout, shadow_samples: holdout, trainable_params: 48, base_params: 1345 });
    expect(done.decisionReason).toMatch(new RegExp(`^challenger huber [0-9.]+ beats the base alone [0-9.]+ by the margin of 5% \\(improvement [0-9.]+%\\) on ${holdout} held-out samples$`));
    process.stdout.write(`demo-db adapter: ${done.metrics['finetune_epoch_ms'].toFixed(1)} ms/epoch over ${train} windows; ${done.decisionReason}\n`);

    const v = await t.call('getModel', { model: 'detector--demo-db', ref: 'champion' });
    expect(v.version).toBe('1');
    expect(v.signature).toMatchObject({ format: 'x0-lora-adapter', adapter_rank: '1', input_shape: JSON.stringify([L]) });
    expect(v.lineage).toMatchObject({ component: 'demo-db', rank: '1', alpha: '2', layers: '1', epochs: '30', learningRate: '0.005', baseVersion: '2', trigger: 'manual' });
    expect(v.metrics['train_loss']).toBeGreaterThan(0);
    process.stdout.write(`demo-db adapter stored: ${v.sizeBytes} bytes\n`);

    // What the monitor will do: the adapter onto the base it serves (the detector champion's weights), merged.
    const view = await t.registry.get('detector--demo-db', '1');
    expect(view.component).toBe('demo-db');
    const stored = await t.registry.loadModel('detector', (await t.registry.alias('detector', 'champion'))!.version);
    const served = forecasterModel(forecasterWeights(stored, '2'));
    expect(view.signature.baseModelHash).toBe(baseModelSignature(served));
    const adapter = await readAdapter(await t.registry.artifacts('detector--demo-db', '1'));
    expect(adapter.baseSignature).toBe(view.signature.baseModelHash);
    const merged = mergeAdapter(await loadAdapter(served, adapter));
    expect(merged.layers.map((l) => l.getClassName())).toEqual(['Dense', 'Dense', 'Dense']);
    for (const m of [merged, served, stored]) m.dispose();
    adapter.dispose();
    // The shared base is untouched.
    expect((await t.call('getModel', { model: 'detector', ref: 'champion' })).version).toBe('2');
    expect((await t.registry.list('detector')).map((x) => x.version)).toEqual(['1', '2']);
  });

  it('second job of a component - its champion adapter (same base) is the one to beat', async () => {
    const done = await run('demo-db');
    expect(done).toMatchObject({ state: 'succeeded', error: '', version: '2', parentVersion: '1' });
    expect(done.decisionReason).toMatch(/^challenger huber [0-9.]+ (beats|does not beat) champion adapter 1 [0-9.]+ by the margin of 5% /);
    expect((await t.call('getModel', { model: 'detector--demo-db', ref: '2' })).lineage).toMatchObject({ parent_version: '1', component: 'demo-db' });
  });

  it('base changed - after the detector champion moves, the adapter champion (trained on the other base) is not compared: the base alone is', async () => {
    await t.call('rollback', { model: 'detector', alias: 'champion', reason: 'test: another base', actor: 'ci' });
    expect((await t.call('getModel', { model: 'detector', ref: 'champion' })).version).toBe('1');
    // The trainer queues demo-db's adapter for training on the new base itself (adapter-rebase.ts);
    // a job queued here by hand would race it for version 3.
    const rebase = await waitFor(
      async () => (await t.call('listJobs', { model: 'detector', limit: 10 })).jobs.find((j: TrainingJob) => j.trigger === 'rebase' && j.component === 'demo-db'),
      30_000,
      "demo-db's rebase job",
    );
    const done = await finishedJob(t, rebase.id, 120_000);
    expect(done).toMatchObject({ state: 'succeeded', error: '', version: '3', parentVersion: '' });
    expect(done.decisionReason).toMatch(/^challenger huber [0-9.]+ beats the base alone [0-9.]+ by the margin of 5% /);
    const v3 = await t.registry.get('detector--demo-db', '3');
    const v1 = await t.registry.get('detector--demo-db', '1');
    expect(v3.lineage.config).toMatchObject({ baseVersion: '1' });
    const shipped = await t.registry.loadModel('detector', '1');
    expect(v3.signature.baseModelHash).toBe(baseModelSignature(forecasterModel(forecasterWeights(shipped, '1'))));
    expect(v3.signature.baseModelHash).not.toBe(v1.signature.baseModelHash);
    shipped.dispose();
  });

  it('too little data - an adapter job for a component with fewer than 200 training windows, or none, fails naming the component and the counts', async () => {
    const { train, holdout } = split(150, 1);
    expect(train).toBeLessThan(200);
    const tiny = await run('tiny');
    expect(tiny).toMatchObject({ state: 'failed', version: '' });
    expect(tiny.error).toBe(
      `only ${train} training windows of component tiny in the last 3600 s of X0_METRICS (${holdout} more held out), at least 200 are needed for its adapter: let it publish longer, or widen TRAINER_DATA_WINDOW_S`,
    );
    const none = await run('nosuch');
    expect(none.error).toBe(
      'only 0 training windows of component nosuch in the last 3600 s of X0_METRICS (0 more held out), at least 200 are needed for its adapter; no metric of it was published in that time: let it publish longer, or widen TRAINER_DATA_WINDOW_S',
    );
    await expect(t.registry.list('detector--tiny')).resolves.toEqual([]);
  });
});
