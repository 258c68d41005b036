import { DeliverPolicy } from '@nats-io/jetstream';
import { DEFAULT_STREAM_LIMITS, provisionStreams, publishMessage } from '@x0/bus';
import { waitFor } from '@x0/bus/testing';
import { Anomaly, EVENT_CODECS, Outcome, STREAMS, Verdict, eventSubject, type Label } from '@x0/contracts';
import { selectBackend } from '@x0/lora';
import { feedbackDrained, labelWhenIndexed, startTrainerUnderTest, type TrainerUnderTest } from './testing';
import { anomalyDetectorBase } from './trainer-service';

// Real nats-server and gRPC on a loaded machine: generous limits, no timing assertions.
jest.setTimeout(120_000);

/** Every stored label event, oldest first. */
async function storedLabels(t: TrainerUnderTest): Promise<Label[]> {
  const consumer = await t.bus.js.consumers.get(STREAMS.events.name, { filter_subjects: 'x0.events.label.>', deliver_policy: DeliverPolicy.All });
  if ((await consumer.info()).num_pending === 0) return [];
  const out: Label[] = [];
  const messages = await consumer.consume();
  for await (const m of messages) {
    out.push(EVENT_CODECS.label.decode(m.data));
    if (m.info.pending === 0) break;
  }
  await messages.close();
  return out;
}

/** Publishes an anomaly as a monitor serving detector `forecaster` would (modelVersion `stat-v1+mlp-forecaster-<v>`). */
async function publishAnomaly(t: TrainerUnderTest, id: string, component: string, forecaster: string, score = 0.95): Promise<void> {
  const a = Anomaly.fromPartial({ meta: { id, component, timeMs: Date.now(), source: 'monitor' }, score, modelVersion: `stat-v1+mlp-forecaster-${forecaster}` });
  await publishMessage(t.bus.js, { subject: eventSubject('anomaly', component), data: EVENT_CODECS.anomaly.encode(a), id });
}

describe('trainer labels - attribution to the version that raised the anomaly', () => {
  let t: TrainerUnderTest;

  const anomaly = (id: string, forecaster: string) => publishAnomaly(t, id, 'api-1', forecaster);
  const label = (anomalyId: string, real: boolean, actor = 'alice') => labelWhenIndexed(t, anomalyId, real, actor);

  const accuracy = async () => (await t.call('getModelPerformance', { model: 'detector' })).accuracy!;

  beforeAll(async () => {
    await selectBackend();
    t = await startTrainerUnderTest({
      detectorBase: anomalyDetectorBase(),
      env: { TRAINER_CHECK_INTERVAL_MS: '200', TRAINER_MIN_DRIFT_SAMPLES: '1000000', TRAINER_MIN_SAMPLES: '4' },
    });
    const v1 = await t.registry.loadModel('detector', '1');
    await t.registry.register({ model: 'detector', version: '2', artifacts: v1, signature: { inputShape: [24] } });
    v1.dispose();
    await t.call('promote', { model: 'detector', version: '2', alias: '', reason: 'test', actor: 'ci' });
    await waitFor(async () => (await t.call('getModelPerformance', { model: 'detector' })).version === '2', 30_000, 'the monitor to follow champion 2');
  });
  afterAll(() => t?.stop());

  it("attribution - false alarms of version 1 do not move champion 2's accuracy; its own labels do", async () => {
    for (let i = 0; i < 6; i++) await anomaly(`an-v1-${i}`, '1');
    for (let i = 0; i < 4; i++) await anomaly(`an-v2-${i}`, '2');
    for (let i = 0; i < 6; i++) await label(`an-v1-${i}`, false);
    for (let i = 0; i < 4; i++) await label(`an-v2-${i}`, true);
    // Labels are consumed in stream order: once version 2's are counted, version 1's were seen.
    const acc = await waitFor(async () => ((await accuracy()).samples >= 4 ? accuracy() : undefined), 30_000, "champion 2's labels");
    expect(acc).toMatchObject({ value: 1, samples: 4, judged: true, breached: false });
  });

  it('attribution - after a rollback to the shipped version, anomalies of the bundled forecaster (b1) count for it', async () => {
    await t.call('rollback', { model: 'detector', alias: '', reason: 'test', actor: 'ci' });
    await waitFor(async () => (await t.call('getModelPerformance', { model: 'detector' })).version === '1', 30_000, 'the monitor to follow champion 1');
    await anomaly('an-b1-0', 'b1');
    await anomaly('an-v2-late', '2');
    await label('an-v2-late', false);
    await label('an-b1-0', false);
    const acc = await waitFor(async () => ((await accuracy()).samples >= 1 ? accuracy() : undefined), 30_000, "champion 1's label");
    expect(acc).toMatchObject({ value: 0, samples: 1 });
  });
});

describe('trainer labels - one operator label in force per anomaly', () => {
  let t: TrainerUnderTest;

  const anomaly = (id: string) => publishAnomaly(t, id, 'db-1', '1', 0.9);
  const label = (anomalyId: string, real: boolean, actor: string) => labelWhenIndexed(t, anomalyId, real, actor);

  const labelsOf = async (anomalyId: string) => (await storedLabels(t)).filter((l) => l.anomalyId === anomalyId);
  const accuracy = async () => (await t.call('getModelPerformance', { model: 'detector' })).accuracy!;

  beforeAll(async () => {
    await selectBackend();
    t = await startTrainerUnderTest({
      detectorBase: anomalyDetectorBase(),
      env: { TRAINER_CHECK_INTERVAL_MS: '200', TRAINER_MIN_DRIFT_SAMPLES: '1000000', TRAINER_MIN_SAMPLES: '2' },
    });
    // JetStream's duplicate window (10 min in production) shrunk, so "later" is 300 ms here.
    await provisionStreams(t.bus.jsm, { ...DEFAULT_STREAM_LIMITS, duplicateWindowMs: 100 });
  });
  afterAll(() => t?.stop());

  it('idempotence - the same verdict again, after the duplicate window or by another operator, publishes nothing', async () => {
    await anomaly('an-same');
    const first = await label('an-same', false, 'alice');
    expect(first).toMatchObject({ published: true, actor: 'alice', component: 'db-1', replacedLabelId: '' });
    await new Promise((r) => setTimeout(r, 300));
    expect(await label('an-same', false, 'alice')).toEqual({ ...first, published: false });
    expect(await label('an-same', false, 'bob')).toEqual({ ...first, published: false });
    await t.restart();
    expect(await label('an-same', false, 'alice')).toEqual({ ...first, published: false });
    await feedbackDrained(t);
    expect((await labelsOf('an-same')).map((l) => [l.meta!.id, l.actor, l.anomaly])).toEqual([[first.labelId, 'alice', false]]);
  });

  it('corrections - the other verdict replaces the label in force; accuracy counts each anomaly once, with its latest verdict', async () => {
    for (const id of ['an-fix', 'an-ok', 'an-out']) await anomaly(id);
    const wrong = await label('an-fix', false, 'alice');
    const fixed = await label('an-fix', true, 'alice');
    expect(fixed).toMatchObject({ published: true, actor: 'alice', replacedLabelId: wrong.labelId, replacedActor: 'alice' });
    expect(fixed.labelId).not.toBe(wrong.labelId);
    const back = await label('an-fix', false, 'bob');
    expect(back).toMatchObject({ published: true, actor: 'bob', replacedLabelId: fixed.labelId, replacedActor: 'alice' });
    await new Promise((r) => setTimeout(r, 300));
    const again = await label('an-fix', true, 'alice');
    // Back to a verdict given before, after the duplicate window: a new id, so it is not de-duplicated away.
    expect(again).toMatchObject({ published: true, replacedLabelId: back.labelId });
    expect(new Set([wrong.labelId, fixed.labelId, back.labelId, again.labelId]).size).toBe(4);
    expect(await label('an-fix', true, 'carol')).toMatchObject({ published: false, labelId: again.labelId, actor: 'alice' });
    const events = await labelsOf('an-fix');
    expect(events.map((l) => [l.actor, l.anomaly, l.replaces])).toEqual([
      ['alice', false, ''],
      ['alice', true, wrong.labelId],
      ['bob', false, fixed.labelId],
      ['alice', true, back.labelId],
    ]);

    await label('an-ok', true, 'alice');
    // An outcome confirms an-out; the operator then refutes it: the operator's verdict replaces the outcome's.
    const o = Outcome.fromPartial({
      meta: { id: 'out-1', component: 'db-1', timeMs: Date.now(), source: 'execute' },
      incident: { anomalyId: 'an-out', component: 'db-1', action: 'restart' },
      actionId: 'act-1',
      verdict: Verdict.VERDICT_RECOVERED,
      recovered: true,
      timeToRecoverMs: 1000,
    });
    await publishMessage(t.bus.js, { subject: eventSubject('outcome', 'db-1'), data: EVENT_CODECS.outcome.encode(o), id: 'out-1' });
    await waitFor(async () => (await labelsOf('an-out')).length > 0, 30_000, 'the outcome label');
    await label('an-out', false, 'alice');
    await feedbackDrained(t);
    // an-fix real, an-ok real, an-out false alarm, and an-same's false alarm from before the restart.
    expect(await accuracy()).toMatchObject({ samples: 4, value: 2 / 4 });
  });
});
