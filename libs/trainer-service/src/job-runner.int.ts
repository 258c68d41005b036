import type { KV } from '@nats-io/kv';
import { type Bus, connectBus, kvEntries, openKeyValue, provisionStreams } from '@x0/bus';
import { readEvents, startNatsServer, waitFor, type NatsServerProcess } from '@x0/bus/testing';
import { TrainingJob } from '@x0/contracts';
import { FailedPreconditionError, InvalidArgumentError } from '@x0/core';
import { selectBackend } from '@x0/lora';
import { createModelRegistry, type ModelRegistry } from '@x0/model-registry';
import * as tf from '@tensorflow/tfjs';
import pino from 'pino';
import { delayNote } from './job-reason';
import { JobRunner, type JobRunnerSettings } from './job-runner';
import type { TrainableModel, TrainContext, TrainOutcome } from './trainable';

// Real nats-server; the trainables are fakes that record when they start and then fail fast.
jest.setTimeout(60_000);

/** A trainable that records each start and fails (nothing is registered). */
class FakeTrainable implements TrainableModel {
  readonly servedBy = 'test';
  readonly starts: Array<{ jobId: string; atMs: number; sinceMs: number; untilMs: number }> = [];
  constructor(
    readonly model: string,
    readonly perComponent: boolean,
  ) {}

  shipped(): never {
    throw new Error('not used');
  }

  async train(ctx: TrainContext): Promise<TrainOutcome> {
    this.starts.push({ jobId: ctx.jobId, atMs: Date.now(), sinceMs: ctx.sinceMs, untilMs: ctx.untilMs });
    throw new FailedPreconditionError('fake trainable: nothing to learn');
  }
}

const SETTINGS: JobRunnerSettings = {
  dataWindowMs: 60_000,
  holdoutFraction: 0.25,
  shadowMargin: 0.05,
  shadowMinSamples: 10,
  adapterShadowMinSamples: 10,
  maxReplayMessages: 1000,
  jobHistory: 50,
  retrainCooldownMs: 60_000,
};

/** A trainable whose every challenger registers and loses the shadow evaluation (it stays a challenger). */
class LosingTrainable implements TrainableModel {
  readonly servedBy = 'test';
  readonly perComponent = false;
  constructor(readonly model: string) {}

  shipped(): never {
    throw new Error('not used');
  }

  async train(ctx: TrainContext): Promise<TrainOutcome> {
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 1 })] });
    return {
      model: this.model,
      parentVersion: '',
      artifacts: model,
      signature: { inputShape: [2] },
      metrics: {},
      config: {},
      dataWindow: { startMs: ctx.sinceMs, endMs: ctx.untilMs },
      shadow: { metric: 'huber', champion: 1, challenger: 2, samples: 100, championVersion: '' },
      dispose: () => model.dispose(),
    };
  }
}

async function keysOf(kv: KV): Promise<string[]> {
  return (await kvEntries(kv)).map((e) => e.key);
}

describe('JobRunner', () => {
  let server: NatsServerProcess;
  let bus: Bus;
  let registry: ModelRegistry;
  let bucket = 0;
  const logs: Array<{ level: number; msg: string }> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  const running: JobRunner[] = [];

  beforeAll(async () => {
    await selectBackend();
    server = await startNatsServer();
    bus = await connectBus({ url: server.url, name: 'job-runner-test' });
    await provisionStreams(bus.jsm);
    registry = await createModelRegistry({ nc: bus.nc, source: 'test' });
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((r) => r.stop()));
  });

  afterAll(async () => {
    await bus?.drain();
    await server?.stop();
  });

  /** A fresh bucket and trainables: 'det' (shared) and 'ap' (per component). */
  async function setup() {
    const kv = await openKeyValue(bus, `x0_trainer_jobs_test_${++bucket}`);
    const det = new FakeTrainable('det', false);
    const ap = new FakeTrainable('ap', true);
    return { kv, det, ap, start: () => startRunner(kv, [det, ap]) };
  }

  async function startRunner(kv: KV, trainables: TrainableModel[]): Promise<JobRunner> {
    const runner = new JobRunner({ bus, registry, kv, trainables, settings: SETTINGS, logger });
    await runner.start();
    running.push(runner);
    return runner;
  }

  async function stop(runner: JobRunner): Promise<void> {
    await runner.stop();
    running.splice(running.indexOf(runner), 1);
  }

  it('retention - with keepVersions, each registration deletes the model\'s older versions that no alias holds, and logs them', async () => {
    const kv = await openKeyValue(bus, `x0_trainer_jobs_test_${++bucket}`);
    const runner = new JobRunner({ bus, registry, kv, trainables: [new LosingTrainable('keep2')], settings: { ...SETTINGS, keepVersions: 2 }, logger });
    await runner.start();
    running.push(runner);
    logs.length = 0;
    for (let i = 1; i <= 4; i++) {
      const job = await runner.enqueue({ model: 'keep2', trigger: 'manual', reason: `run ${i}` });
      const done = await waitFor(async () => (['succeeded', 'failed'].includes(runner.get(job.id).state) ? runner.get(job.id) : undefined), 20_000, `job ${i}`);
      expect(done).toMatchObject({ state: 'succeeded', error: '', version: String(i), decision: 'challenger' });
    }
    // 4 holds the challenger alias and is among the 2 newest; 1 and 2 held nothing any more
    expect((await registry.list('keep2')).map((v) => [v.version, v.aliases])).toEqual([['3', []], ['4', ['challenger']]]);
    expect(logs.filter((l) => l.msg === 'old versions deleted (held no alias)').map((l) => (l as unknown as { deleted: string[] }).deleted)).toEqual([['1'], ['2']]);
  });

  it('data window - a job trains on the last dataWindowMs, or from its dataSinceMs when that is later (a drifting component\'s adapter: the new regime only)', async () => {
    const { ap, start } = await setup();
    const runner = await start();
    const since = Date.now() - 10_000;
    const narrow = await runner.enqueue({ model: 'ap', component: 'c1', trigger: 'drift', reason: 'new regime', dataSinceMs: since });
    expect(narrow.dataSinceMs).toBe(since);
    await waitFor(async () => (ap.starts.length === 1 ? true : undefined), 10_000, 'the first job');
    const wide = await runner.enqueue({ model: 'ap', component: 'c2', trigger: 'manual', reason: 'whole window', dataSinceMs: Date.now() - 3_600_000 });
    await waitFor(async () => (ap.starts.length === 2 ? true : undefined), 10_000, 'the second job');
    expect(ap.starts[0]).toMatchObject({ jobId: narrow.id, sinceMs: since });
    // (an older dataSinceMs does not widen the window)
    expect(ap.starts[1].jobId).toBe(wide.id);
    expect(ap.starts[1].untilMs - ap.starts[1].sinceMs).toBe(SETTINGS.dataWindowMs);
  });

  it('enqueue - a component that is no subject token is refused before anything is stored', async () => {
    const { kv, ap, start } = await setup();
    const runner = await start();
    for (let attempt = 0; attempt < 2; attempt++) {
      const err = await runner.enqueue({ model: 'ap', component: 'bad comp', trigger: 'manual', reason: 'tty' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect((err as Error).message).toBe(`'component' must not contain " " (got "bad comp")`);
    }
    expect(runner.list()).toEqual([]);
    expect(await keysOf(kv)).toEqual([]);
    expect(runner.active).toBe(0);
    expect(ap.starts).toEqual([]);
  });

  it('start - a stored queued job whose component is no subject token is recorded as failed, not run', async () => {
    const { kv, ap, start } = await setup();
    const bad = TrainingJob.fromPartial({ id: 'job_0legacy', model: 'ap', component: 'bad comp', state: 'queued', trigger: 'manual', stage: 'replay', createdMs: Date.now() - 1000 });
    await kv.put(bad.id, JSON.stringify(TrainingJob.toJSON(bad)));
    logs.length = 0;
    const runner = await start();
    expect(runner.get(bad.id)).toMatchObject({ state: 'failed', error: `invalid request: 'component' must not contain " " (got "bad comp")` });
    expect(TrainingJob.fromJSON((await kv.get(bad.id))!.json())).toMatchObject({ state: 'failed' });
    await new Promise((r) => setTimeout(r, 200));
    expect(ap.starts).toEqual([]);
    expect(logs.filter((l) => l.level >= 50)).toEqual([]);
  });

  it('takeover - a manual request runs a delayed drift job now, with the operator reason and actor, and says what it took over', async () => {
    const { det, start } = await setup();
    const runner = await start();
    const notBeforeMs = Date.now() + 60_000;
    // The reason as the performance monitor writes it: it ends saying the job waits, which stops being true once taken over.
    const drift = await runner.enqueue({ model: 'det', trigger: 'drift', reason: `web-1: input drift${delayNote(notBeforeMs, 'drift settle time, 60 s')}`, parentEventId: 'alr-1', notBeforeMs });
    expect(drift).toMatchObject({ state: 'queued', trigger: 'drift', notBeforeMs, actor: '' });

    const manual = await runner.enqueue({ model: 'det', trigger: 'manual', reason: 'tty', actor: 'alice' });
    expect(manual.id).toBe(drift.id);
    expect(manual).toMatchObject({ trigger: 'manual', actor: 'alice', notBeforeMs: 0, parentEventId: 'alr-1' });
    const at = new Date(notBeforeMs).toISOString().slice(0, 19);
    expect(manual.reason).toBe(`tty; took over the queued delayed drift job (it would have started at ${at}Z): web-1: input drift`);
    await waitFor(() => det.starts.find((s) => s.jobId === drift.id), 10_000, 'the job to start');
    expect(runner.list()).toHaveLength(1);
    // The event log shows both: queued as a drift job, then queued again as the manual one.
    await waitFor(() => runner.get(drift.id).state === 'failed', 10_000, 'the job to end');
    const events = (await readEvents(bus, 'training', 'det')).map((e) => e.job!).filter((j) => j.id === drift.id);
    expect(events.map((j) => `${j.state} ${j.trigger} ${j.actor}`)).toEqual(['queued drift ', 'queued manual alice', 'running manual alice', 'failed manual alice']);
    expect(events[1].reason).toBe(manual.reason);

    // A manual request does not take over a queued manual job: it is that job.
    const again = await runner.enqueue({ model: 'ap', trigger: 'manual', reason: 'first', actor: 'bob', notBeforeMs: Date.now() + 60_000 });
    expect(await runner.enqueue({ model: 'ap', trigger: 'manual', reason: 'second', actor: 'carol' })).toMatchObject({ id: again.id, reason: 'first', actor: 'bob' });
  });

  it('delay - a delayed job does not hold up the jobs of other models', async () => {
    const { det, ap, start } = await setup();
    const runner = await start();
    const drift = await runner.enqueue({ model: 'det', trigger: 'drift', reason: 'drift', notBeforeMs: Date.now() + 60_000 });
    const job = await runner.enqueue({ model: 'ap', component: 'web-1', trigger: 'manual', reason: 'tty' });
    await waitFor(() => ap.starts.find((s) => s.jobId === job.id), 10_000, 'the other model’s job to start');
    await waitFor(() => runner.get(job.id).state === 'failed', 10_000, 'it to end');
    expect(det.starts).toEqual([]);
    expect(runner.get(drift.id).state).toBe('queued');
    expect(runner.active).toBe(1);
  });

  it('restart - a delayed job keeps its delay: it starts at notBeforeMs, not at once', async () => {
    const { det, start } = await setup();
    const first = await start();
    // No fixed sleep before checking that it has not started: under load the restart itself may
    // take that long. A job that lost its delay would start right after the restart, before notBeforeMs.
    const notBeforeMs = Date.now() + 3_000;
    const drift = await first.enqueue({ model: 'det', trigger: 'drift', reason: 'drift', notBeforeMs });
    await stop(first);

    const second = await start();
    expect(second.get(drift.id)).toMatchObject({ state: 'queued', notBeforeMs });
    const started = await waitFor(() => det.starts.find((s) => s.jobId === drift.id), 10_000, 'the delayed job to start');
    expect(started.atMs).toBeGreaterThanOrEqual(notBeforeMs);
  });

  it('cooldown - an alert-triggered request within the cooldown of a job queued before a restart is refused; manual and other triggers are not', async () => {
    const { kv, start } = await setup();
    const first = await start();
    const job = await first.enqueue({ model: 'det', trigger: 'degradation', reason: 'accuracy 0.2 < 0.7' });
    await waitFor(() => first.get(job.id).state === 'failed', 10_000, 'the job to end');
    // Within one run the performance monitor's own cooldowns decide: the runner queues.
    const second = await first.enqueue({ model: 'det', trigger: 'degradation', reason: 'again' });
    expect(second.id).not.toBe(job.id);
    await waitFor(() => first.get(second.id).state === 'failed', 10_000, 'the second job to end');
    await stop(first);

    const restarted = await start();
    const err = await restarted.enqueue({ model: 'det', trigger: 'degradation', reason: 'after the restart' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FailedPreconditionError);
    expect((err as Error).message).toMatch(
      new RegExp(`^det is in the retraining cooldown: job ${second.id} \\(degradation\\) was queued at \\S+Z before the trainer restarted; the next degradation job can be queued from \\S+Z$`),
    );
    expect(restarted.list().filter((j) => j.state === 'queued')).toEqual([]);
    expect(await restarted.enqueue({ model: 'det', trigger: 'drift', reason: 'drift' })).toMatchObject({ trigger: 'drift' });
    expect(await restarted.enqueue({ model: 'ap', trigger: 'degradation', reason: 'other model' })).toMatchObject({ model: 'ap' });
    for (const key of ['retrain-cooldown.det.degradation', 'retrain-cooldown.det.drift', 'retrain-cooldown.ap.degradation']) expect((await kv.get(key))?.json()).toMatchObject({ lastMs: expect.any(Number) });
  });
});
