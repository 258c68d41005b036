import * as grpc from '@grpc/grpc-js';
import { DeliverPolicy } from '@nats-io/jetstream';
import { gridOf, RegistryActionParamsAdvisor, recovers, seededRandom, type SyntheticComponent } from '@x0/action-params';
import { publishMessage, type Bus } from '@x0/bus';
import {
  ActionResult,
  ActionStatus,
  Anomaly,
  DEAD_LETTER_CODEC,
  EVENT_CODECS,
  INFERENCE_REPORT_CODEC,
  Outcome,
  STREAMS,
  Severity,
  TrainerServiceClient,
  Verdict,
  dlqSubject,
  eventSubject,
  inferenceSubject,
  type EventPayloads,
  type EventType,
} from '@x0/contracts';
import { selectBackend } from '@x0/lora';
import { healthy, publishSeries, startTrainerUnderTest, type TrainerUnderTest } from './testing';
import { anomalyDetectorBase } from './trainer-service';

// Real nats-server, real gRPC and real training on a loaded 2-core machine: generous limits, no timing assertions.
jest.setTimeout(120_000);

const T0 = Date.now() - 3_600_000;

async function waitFor<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== null && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every stored event of one type, oldest first. */
async function storedEvents<K extends EventType>(bus: Bus, type: K): Promise<EventPayloads[K][]> {
  const consumer = await bus.js.consumers.get(STREAMS.events.name, { filter_subjects: `x0.events.${type}.>`, deliver_policy: DeliverPolicy.All });
  if ((await consumer.info()).num_pending === 0) return [];
  const out: EventPayloads[K][] = [];
  const messages = await consumer.consume();
  for await (const m of messages) {
    out.push(EVENT_CODECS[type].decode(m.data) as EventPayloads[K]);
    if (m.info.pending === 0) break;
  }
  await messages.close();
  return out;
}

// The shipped forecaster of @x0/anomaly is version 1: the champion every challenger has to beat.
const detectorBase = anomalyDetectorBase();

beforeAll(async () => {
  await selectBackend();
});

describe('trainer service - registry, shadow promotion and adapters (margin 5 %)', () => {
  let t: TrainerUnderTest;

  beforeAll(async () => {
    t = await startTrainerUnderTest({
      detectorBase,
      env: { TRAINER_CHECK_INTERVAL_MS: '250', TRAINER_MIN_DRIFT_SAMPLES: '1000000', TRAINER_OUTCOMES_PER_RETRAIN: '40', TRAINER_ADAPTER_EPOCHS: '60', TRAINER_DETECTOR_EPOCHS: '4' },
    });
  });
  afterAll(() => t?.stop());

  it('registry - shipped models are version 1 and champion; promote and rollback over gRPC; the statistics follow the champion', async () => {
    const served = async (model: string) => (await t.call('getStatistics', {})).models.find((m) => m.name === model)?.version;
    const { models } = await t.call('listModels', { model: '' });
    expect(models.map((m) => `${m.model}@${m.version}[${m.aliases}]`)).toEqual(['action-params@1[champion]', 'detector@1[champion]']);
    expect(models[1].signature).toMatchObject({ input_shape: '[24]', format: 'layers-model' });

    const base = await t.registry.loadModel('action-params', '1');
    await t.registry.register({ model: 'action-params', version: '1.1-test', artifacts: base, signature: { inputShape: [5] }, metrics: { log_loss: 0.5 } });
    base.dispose();
    const promoted = await t.call('promote', { model: 'action-params', version: '1.1-test', alias: '', reason: 'hand-tuned', actor: 'alice' });
    expect(promoted.aliases).toEqual(['champion']);
    expect((await t.call('getModel', { model: 'action-params', ref: 'champion' })).version).toBe('1.1-test');
    await waitFor('x0 stats to show the promoted champion', async () => (await served('action-params')) === '1.1-test', 10_000);
    const back = await t.call('rollback', { model: 'action-params', alias: '', reason: 'worse', actor: 'Bob Smith' });
    expect(back.version).toBe('1');
    await waitFor('x0 stats to show the champion rolled back to', async () => (await served('action-params')) === '1', 10_000);
    expect(await served('detector')).toBe('1');
    const history = (await t.registry.alias('action-params', 'champion'))!.history.map((h) => `${h.type} ${h.version}: [${h.actor}] ${h.reason}`);
    expect(history).toEqual(['promote 1: [] shipped model, registered on first start', 'promote 1.1-test: [alice] hand-tuned', 'rollback 1: [Bob Smith] worse']);

    await expect(t.call('getModel', { model: 'detector', ref: 'nope' })).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
    await expect(t.call('promote', { model: 'detector', version: '', alias: '', reason: '', actor: '' })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: "'version' must not be empty",
    });
    // The detector has per-component adapters too (detector--<component>): its component is checked the same way.
    await expect(t.call('train', { model: 'detector', component: 'web 1', reason: '', actor: '' })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: `'component' must not contain " " (got "web 1")`,
    });
    // Checked before anything is stored: no job is left queued, and a repeat is refused the same way.
    for (let i = 0; i < 2; i++) {
      await expect(t.call('train', { model: 'action-params', component: 'bad comp', reason: '', actor: '' })).rejects.toMatchObject({
        code: grpc.status.INVALID_ARGUMENT,
        details: `'component' must not contain " " (got "bad comp")`,
      });
    }
    expect((await t.call('listJobs', { model: '', limit: 10 })).jobs).toEqual([]);
    // A misspelt model is NOT_FOUND (as GetModel answers), not an empty list; a known one without jobs is empty.
    await expect(t.call('listJobs', { model: 'nosuch', limit: 10 })).rejects.toMatchObject({
      code: grpc.status.NOT_FOUND,
      details: "model 'nosuch' not found: the trainer trains detector, action-params",
    });
    await expect(t.call('listJobs', { model: 'action-params--web-1', limit: 10 })).rejects.toMatchObject({
      code: grpc.status.NOT_FOUND,
      details: "model 'action-params--web-1' not found: the jobs of web-1's adapter are listed under action-params (component web-1)",
    });
    expect((await t.call('listJobs', { model: 'action-params', limit: 10 })).jobs).toEqual([]);
  });

  it('retraining - a manual job on degraded data produces a challenger that wins the shadow evaluation and is promoted', async () => {
    // Baseline like the forecaster's training data, then a component starts flapping every 2 samples.
    const n = 500;
    const flap = healthy(n, 9, 80).map((v, i) => (i < 200 ? v : v * (i % 2 === 0 ? 1.6 : 0.5)));
    await publishSeries(t.bus, 'db-1', { latency_ms: flap, cpu: healthy(n, 10, 0.3) }, T0);
    await publishSeries(t.bus, 'web-1', { latency_ms: healthy(n, 11, 80), cpu: healthy(n, 12, 0.3) }, T0);

    const job = await t.call('train', { model: 'detector', component: '', reason: 'test', actor: 'ci' });
    expect(job).toMatchObject({ model: 'detector', state: 'queued', trigger: 'manual', reason: 'test', actor: 'ci', notBeforeMs: 0 });
    const done = await waitFor('the job to finish', async () => {
      const j = await t.call('getJob', { id: job.id });
      return j.state === 'succeeded' || j.state === 'failed' ? j : undefined;
    });
    expect(done.error).toBe('');
    expect(done).toMatchObject({ state: 'succeeded', stage: 'done', progress: 1, version: '2', parentVersion: '1', decision: 'promoted' });
    expect(done.decisionReason).toMatch(/^challenger huber [0-9.]+ beats champion 1 [0-9.]+ by the margin of 5% \(improvement [0-9.]+%\) on \d+ held-out samples$/);
    expect(done.metrics['shadow_huber_challenger']).toBeLessThan(done.metrics['shadow_huber_champion'] * 0.95);

    const v2 = await t.call('getModel', { model: 'detector', ref: 'champion' });
    expect(v2).toMatchObject({ version: '2', aliases: ['challenger', 'champion'] });
    expect(v2.lineage).toMatchObject({ parent_version: '1', job: job.id, trigger: 'manual' });
    expect(JSON.parse(v2.lineage['shadow'])).toMatchObject({ decision: 'promote', margin: 0.05 });
    const moves = (await t.registry.alias('detector', 'champion'))!.history;
    expect(moves[moves.length - 1].reason).toBe(`shadow evaluation: ${done.decisionReason}`);

    const events = (await storedEvents(t.bus, 'training')).filter((e) => e.job!.id === job.id).map((e) => e.job!);
    expect(events[0]).toMatchObject({ state: 'queued', progress: 0 });
    expect(events.map((e) => e.stage)).toEqual(expect.arrayContaining(['replay', 'train', 'shadow', 'register', 'done']));
    expect(events[events.length - 1]).toMatchObject({ state: 'succeeded', decision: 'promoted', version: '2' });
    const progress = events.map((e) => e.progress);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
  });

  it('adapters - outcomes of a component that needs big steps trigger an adapter job; once promoted, execute suggests big steps without a restart', async () => {
    await t.call('promote', { model: 'action-params', version: '1', alias: '', reason: '', actor: '' });
    const advisor = new RegistryActionParamsAdvisor({ registry: t.registry });
    await advisor.start();
    const incident = { score: 0.8, severity: 2 };
    const before = advisor.suggest('stubborn', 'scale_up', incident)!;
    expect(before.adapterVersion).toBe('');
    expect(before.value).toBeLessThan(5);

    const stubborn: SyntheticComponent = { name: 'stubborn', needs: { scale_up: 5, throttle: 40 } };
    const rand = seededRandom(3);
    for (let i = 0; i < 40; i++) {
      const delta = gridOf('scale_up')[i % 5];
      const ok = recovers(stubborn, 'scale_up', delta, 2, rand);
      const meta = (id: string) => ({ id, component: 'stubborn', timeMs: T0 + i * 60_000 + (id.startsWith('o') ? 30_000 : 0), source: 'test' });
      const incidentCtx = { anomalyId: `an-s-${i}`, component: 'stubborn', score: 0.8, severity: Severity.SEVERITY_MEDIUM, action: 'scale_up' };
      const action = ActionResult.fromPartial({ meta: meta(`act-s-${i}`), incident: incidentCtx, planId: `pl-${i}`, action: 'scale_up', status: ActionStatus.ACTION_STATUS_SUCCEEDED, params: { delta: String(delta) } });
      const outcome = Outcome.fromPartial({ meta: meta(`out-s-${i}`), incident: incidentCtx, actionId: `act-s-${i}`, verdict: ok ? Verdict.VERDICT_RECOVERED : Verdict.VERDICT_NOT_RECOVERED, recovered: ok, timeToRecoverMs: ok ? 3000 : 0 });
      await publishMessage(t.bus.js, { subject: eventSubject('action', 'stubborn'), data: EVENT_CODECS.action.encode(action), id: action.meta!.id });
      await publishMessage(t.bus.js, { subject: eventSubject('outcome', 'stubborn'), data: EVENT_CODECS.outcome.encode(outcome), id: outcome.meta!.id });
    }
    const job = await waitFor('the outcomes job to finish', async () => {
      const jobs = (await t.call('listJobs', { model: 'action-params', limit: 10 })).jobs;
      return jobs.find((j) => j.component === 'stubborn' && (j.state === 'succeeded' || j.state === 'failed'));
    });
    expect(job).toMatchObject({ trigger: 'outcomes', state: 'succeeded', decision: 'promoted', version: '1', error: '' });
    expect(job.reason).toBe('40 new verified outcomes of parametrised actions on stubborn');
    const adapter = await t.call('getModel', { model: 'action-params--stubborn', ref: 'champion' });
    expect(adapter.lineage).toMatchObject({ component: 'stubborn', trigger: 'outcomes' });
    expect(adapter.signature).toMatchObject({ format: 'x0-lora-adapter', adapter_rank: '1' });

    // The serving side picks the adapter up from the alias watch (no restart) and scales harder.
    const after = await waitFor('the advisor to load the adapter', () => {
      const s = advisor.suggest('stubborn', 'scale_up', incident)!;
      return s.adapterVersion === '1' ? s : undefined;
    });
    expect(after.value).toBe(5);
    expect(advisor.suggest('gentle', 'scale_up', incident)!.value).toBe(before.value);
    await advisor.stop();
  });
});

describe('trainer service - performance monitor and a challenger that loses (margin 95 %)', () => {
  let t: TrainerUnderTest;

  beforeAll(async () => {
    t = await startTrainerUnderTest({
      detectorBase,
      env: { TRAINER_CHECK_INTERVAL_MS: '200', TRAINER_MIN_DRIFT_SAMPLES: '1000000', TRAINER_MIN_SAMPLES: '10', TRAINER_SHADOW_MARGIN: '0.95', TRAINER_DETECTOR_EPOCHS: '2' },
      before: async (bus) => {
        await publishSeries(bus, 'web-1', { latency_ms: healthy(400, 21, 80), cpu: healthy(400, 22, 0.3) }, T0);
      },
    });
  });
  afterAll(() => t?.stop());

  it('shadow - a challenger that is not better by the margin stays challenger, with the reason recorded', async () => {
    const job = await t.call('train', { model: 'detector', component: '', reason: '', actor: 'ci' });
    expect(job.reason).toBe('requested by ci');
    const done = await waitFor('the job to finish', async () => {
      const j = await t.call('getJob', { id: job.id });
      return j.state === 'succeeded' || j.state === 'failed' ? j : undefined;
    });
    expect(done).toMatchObject({ state: 'succeeded', version: '2', decision: 'challenger' });
    expect(done.decisionReason).toMatch(/^challenger huber [0-9.]+ does not beat champion 1 [0-9.]+ by the margin of 95% \((improvement|regression) [0-9.]+%\) on \d+ held-out samples$/);
    expect((await t.call('getModel', { model: 'detector', ref: 'champion' })).version).toBe('1');
    const v2 = await t.call('getModel', { model: 'detector', ref: 'challenger' });
    expect(v2.version).toBe('2');
    expect(JSON.parse(v2.lineage['shadow'])).toEqual({ decision: 'keep', reason: done.decisionReason, margin: 0.95 });
    expect((await t.registry.alias('detector', 'challenger'))!.history.at(-1)!.reason).toBe(done.decisionReason);
    const last = (await storedEvents(t.bus, 'training')).filter((e) => e.job!.id === job.id).at(-1)!.job!;
    expect(last).toMatchObject({ decision: 'challenger', decisionReason: done.decisionReason });
  });

  it('accuracy - operator labels refuting the anomalies raise an alert event and a retraining job', async () => {
    for (let i = 0; i < 12; i++) {
      const a = Anomaly.fromPartial({ meta: { id: `an-${i}`, component: 'api-1', timeMs: Date.now(), source: 'monitor' }, score: 0.95, modelVersion: 'stat-v1+mlp-forecaster-1' });
      await publishMessage(t.bus.js, { subject: eventSubject('anomaly', 'api-1'), data: EVENT_CODECS.anomaly.encode(a), id: a.meta!.id });
    }
    await expect(t.call('label', { anomalyId: 'an-unknown', anomaly: true, actor: 'alice', reason: '', component: '' })).rejects.toMatchObject({
      code: grpc.status.NOT_FOUND,
      details: "anomaly 'an-unknown' not found: the trainer has not seen it; pass its component to label it anyway",
    });
    await waitFor('the trainer to index the anomalies', async () => {
      try {
        return await t.call('label', { anomalyId: 'an-0', anomaly: true, actor: 'alice', reason: 'real outage', component: '' });
      } catch {
        return undefined;
      }
    });
    for (let i = 1; i < 12; i++) {
      const r = await t.call('label', { anomalyId: `an-${i}`, anomaly: i === 1, actor: 'alice', reason: '', component: '' });
      expect(r).toMatchObject({ component: 'api-1', published: true });
    }
    expect(await t.call('label', { anomalyId: 'an-5', anomaly: false, actor: 'alice', reason: '', component: '' })).toMatchObject({ published: false });

    const alert = await waitFor('an accuracy alert', async () => (await storedEvents(t.bus, 'model_alert')).find((a) => a.type === 'accuracy_low'));
    // The performance check runs every 200 ms while the labels arrive: it may catch the model
    // once TRAINER_MIN_SAMPLES (10) labels are in, before the last two (2 real of n: 2/n < 0.7).
    expect(alert).toMatchObject({ model: 'detector', version: '1', threshold: 0.7 });
    const n = alert.samples;
    expect(n).toBeGreaterThanOrEqual(10);
    expect(n).toBeLessThanOrEqual(12);
    expect(alert.value).toBeCloseTo(2 / n, 6);
    expect(alert.jobId).not.toBe('');
    const job = await t.call('getJob', { id: alert.jobId });
    expect(job).toMatchObject({ model: 'detector', trigger: 'degradation', parentEventId: alert.meta!.id });
    expect(job.reason).toMatch(new RegExp(`^detector: accuracy ${(2 / n).toFixed(3).replace('.', '\\.')} < 0\\.7 over the last ${n} labelled predictions`));
    const labels = await storedEvents(t.bus, 'label');
    expect(labels).toHaveLength(12);
    expect(labels[0]).toMatchObject({ anomalyId: 'an-0', anomaly: true, actor: 'alice', origin: 'operator', reason: 'real outage', model: 'detector' });
    const perf = await waitFor('all 12 labels counted', async () => {
      const p = await t.call('getModelPerformance', { model: 'detector' });
      return p.accuracy?.samples === 12 ? p : undefined;
    });
    expect(perf.accuracy).toMatchObject({ samples: 12, judged: true, breached: true });
  });

  it('labels after a restart - the anomaly index lives in KV, so a restarted trainer still finds the component', async () => {
    await t.restart();
    const r = await t.call('label', { anomalyId: 'an-7', anomaly: true, actor: 'bob', reason: 'checked again', component: '' });
    expect(r).toMatchObject({ component: 'api-1', published: true });
  });

  it('outcome labels - a recovery confirms its anomaly with a label event', async () => {
    const o = Outcome.fromPartial({
      meta: { id: 'out-r-1', component: 'api-1', timeMs: Date.now(), source: 'execute' },
      incident: { anomalyId: 'an-3', component: 'api-1', action: 'restart' },
      actionId: 'act-r-1',
      verdict: Verdict.VERDICT_RECOVERED,
      recovered: true,
      timeToRecoverMs: 4200,
    });
    await publishMessage(t.bus.js, { subject: eventSubject('outcome', 'api-1'), data: EVENT_CODECS.outcome.encode(o), id: 'out-r-1' });
    const label = await waitFor('the outcome label', async () => (await storedEvents(t.bus, 'label')).find((l) => l.origin === 'outcome'));
    expect(label).toMatchObject({ anomalyId: 'an-3', anomaly: true, actor: 'outcome', model: 'detector', reason: 'recovered 4.2 s after restart (outcome out-r-1)' });
    expect(label.meta).toMatchObject({ parentId: 'an-3', component: 'api-1', source: 'trainer' });
  });

  it('latency and errors - inference reports over the thresholds raise alerts; failed dead letters count as failures', async () => {
    const report = (failures: number) =>
      INFERENCE_REPORT_CODEC.encode({
        service: 'execute',
        instance: 'e-1',
        model: 'action-params',
        version: '1',
        timeMs: Date.now(),
        inferences: 40,
        failures,
        latency: { p50Ms: 150, p95Ms: 180, p99Ms: 190, maxMs: 200, count: 40 },
        latencySamplesMs: Array.from({ length: 40 }, (_, i) => 140 + i),
      });
    for (let i = 0; i < 3; i++) {
      const dl = DEAD_LETTER_CODEC.encode({ meta: { id: `dl-${i}`, component: 'x', timeMs: Date.now(), parentId: '', source: 'execute' }, service: 'execute', subject: 'x0.events.plan.x', reason: 'failed 5 times: model error', payload: Buffer.alloc(0), headers: {}, streamSeq: i, deliveries: 5, kind: 'failed' });
      await publishMessage(t.bus.js, { subject: dlqSubject('execute'), data: dl, id: `dl-${i}` });
    }
    await new Promise((r) => setTimeout(r, 500));
    t.bus.nc.publish(inferenceSubject('action-params'), report(2));
    const alerts = await waitFor('latency and error alerts', async () => {
      const all = (await storedEvents(t.bus, 'model_alert')).filter((a) => a.model === 'action-params');
      return all.length >= 2 ? all : undefined;
    });
    const latency = alerts.find((a) => a.type === 'latency_high')!;
    expect(latency.value).toBeGreaterThan(100);
    const errors = alerts.find((a) => a.type === 'error_rate_high')!;
    expect(errors.value).toBeCloseTo(5 / 45, 1);
    expect(errors.message).toMatch(/^action-params: error rate 0\.1\d+ > 0\.1 over the last 4\d inferences$/);
  });
});

describe('trainer service - answers gRPC while a job trains', () => {
  let t: TrainerUnderTest;
  let client: TrainerServiceClient;

  beforeAll(async () => {
    t = await startTrainerUnderTest({
      detectorBase,
      env: { TRAINER_CHECK_INTERVAL_MS: '1000', TRAINER_MIN_DRIFT_SAMPLES: '1000000', TRAINER_DETECTOR_EPOCHS: '2' },
      // Enough history that training and the shadow evaluation each take seconds of tfjs work (~40k training windows).
      before: async (bus) => {
        for (let c = 0; c < 6; c++) {
          await publishSeries(bus, `svc-${c}`, { latency_ms: healthy(2400, 30 + c, 80), cpu: healthy(2400, 40 + c, 0.3), rps: healthy(2400, 50 + c, 200) }, T0, 60);
        }
      },
    });
    client = new TrainerServiceClient(`127.0.0.1:${t.handle.grpcPort}`, grpc.credentials.createInsecure());
  });
  afterAll(async () => {
    client?.close();
    await t?.stop();
  });

  it('responsiveness - GetStatistics answers within 2 s throughout a detector job (training yields to the event loop; unyielded, a stage blocked ~6 s)', async () => {
    const statistics = () =>
      new Promise<number>((resolve, reject) => {
        const started = performance.now();
        client.getStatistics({}, new grpc.Metadata(), { deadline: Date.now() + 2000 }, (err) => (err ? reject(err) : resolve(performance.now() - started)));
      });
    const job = await t.call('train', { model: 'detector', component: '', reason: 'responsiveness', actor: 'ci' });
    const stages = new Set<string>();
    const latencies: number[] = [];
    for (;;) {
      const j = await t.call('getJob', { id: job.id });
      if (j.state === 'succeeded' || j.state === 'failed') {
        expect(j).toMatchObject({ state: 'succeeded', error: '' });
        break;
      }
      if (j.state === 'running') stages.add(j.stage);
      latencies.push(await statistics());
      await new Promise((r) => setTimeout(r, 50));
    }
    expect([...stages]).toEqual(expect.arrayContaining(['train']));
    expect(latencies.length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...latencies)).toBeLessThan(2000);
  });
});
