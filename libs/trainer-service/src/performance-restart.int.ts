import { openKeyValue, publishMessage, toKvKey, type Bus } from '@x0/bus';
import { readEvents, waitFor } from '@x0/bus/testing';
import { ActionResult, ActionStatus, Anomaly, EVENT_CODECS, Label, Outcome, Severity, Verdict, eventSubject } from '@x0/contracts';
import { selectBackend } from '@x0/lora';
import type { Alert } from '@x0/model-monitor';
import { TRAINER_ALERTS_BUCKET } from './raised-alerts';
import { feedbackDrained, labelWhenIndexed, startTrainerUnderTest, type TrainerUnderTest } from './testing';
import { anomalyDetectorBase } from './trainer-service';

// Real nats-server and gRPC on a loaded machine: generous limits, no timing assertions.
jest.setTimeout(120_000);

async function publishAnomaly(bus: Bus, id: string, component: string): Promise<void> {
  const a = Anomaly.fromPartial({ meta: { id, component, timeMs: Date.now(), source: 'monitor' }, score: 0.9, modelVersion: 'stat-v1+mlp-forecaster-1' });
  await publishMessage(bus.js, { subject: eventSubject('anomaly', component), data: EVENT_CODECS.anomaly.encode(a), id });
}

/** An outcome that recovered after an action on the anomaly: the trainer confirms the anomaly with a Label of origin `outcome`. */
async function publishRecovery(bus: Bus, anomalyId: string, component: string): Promise<void> {
  const id = `out-${anomalyId}`;
  const o = Outcome.fromPartial({
    meta: { id, component, timeMs: Date.now(), source: 'execute' },
    incident: { anomalyId, component, action: 'restart' },
    actionId: `act-${anomalyId}`,
    verdict: Verdict.VERDICT_RECOVERED,
    recovered: true,
    timeToRecoverMs: 1000,
  });
  await publishMessage(bus.js, { subject: eventSubject('outcome', component), data: EVENT_CODECS.outcome.encode(o), id });
}

/** A scale_up on `component` advised by action-params@1 (recovery probability 0.9), and its verified outcome. */
async function publishAdvisedOutcome(bus: Bus, id: string, component: string, recovered: boolean): Promise<void> {
  const meta = (eventId: string) => ({ id: eventId, component, timeMs: Date.now(), source: 'test' });
  const incident = { anomalyId: `an-${id}`, component, score: 0.8, severity: Severity.SEVERITY_MEDIUM, action: 'scale_up' };
  const params = { delta: '3', advised_by: 'action-params@1', advised_probability: '0.9' };
  const action = ActionResult.fromPartial({ meta: meta(`act-${id}`), incident, planId: `pl-${id}`, action: 'scale_up', status: ActionStatus.ACTION_STATUS_SUCCEEDED, params });
  const verdict = recovered ? Verdict.VERDICT_RECOVERED : Verdict.VERDICT_NOT_RECOVERED;
  const outcome = Outcome.fromPartial({ meta: meta(`out-${id}`), incident, actionId: `act-${id}`, verdict, recovered, timeToRecoverMs: recovered ? 3000 : 0 });
  await publishMessage(bus.js, { subject: eventSubject('action', component), data: EVENT_CODECS.action.encode(action), id: action.meta!.id });
  await publishMessage(bus.js, { subject: eventSubject('outcome', component), data: EVENT_CODECS.outcome.encode(outcome), id: outcome.meta!.id });
}

describe('trainer accuracy - across a restart', () => {
  let t: TrainerUnderTest;

  const performance = () => t.call('getModelPerformance', { model: 'detector' });
  const accuracyAlerts = async () => (await readEvents(t.bus, 'model_alert', 'detector')).filter((a) => a.type === 'accuracy_low');
  const label = (anomalyId: string, real: boolean) => labelWhenIndexed(t, anomalyId, real, 'alice');

  beforeAll(async () => {
    await selectBackend();
    t = await startTrainerUnderTest({
      detectorBase: anomalyDetectorBase(),
      env: { TRAINER_CHECK_INTERVAL_MS: '200', TRAINER_MIN_DRIFT_SAMPLES: '1000000', TRAINER_MIN_SAMPLES: '5' },
    });
  });
  afterAll(() => t?.stop());

  it('restart - the accuracy window is rebuilt from the stored labels (operator and outcome), so accuracy_low stays in force without being raised again', async () => {
    for (let i = 0; i < 6; i++) await publishAnomaly(t.bus, `an-${i}`, 'db-1');
    // an-0: confirmed by its outcome, then refuted by the operator (the operator's verdict counts).
    await publishRecovery(t.bus, 'an-0', 'db-1');
    await feedbackDrained(t);
    for (let i = 0; i < 5; i++) await label(`an-${i}`, false);
    // an-5: confirmed by its outcome only.
    await publishRecovery(t.bus, 'an-5', 'db-1');
    const [alert] = await waitFor(async () => ((await accuracyAlerts()).length > 0 ? accuracyAlerts() : undefined), 30_000, 'an accuracy_low alert');
    expect(alert).toMatchObject({ model: 'detector', version: '1', type: 'accuracy_low' });
    await feedbackDrained(t);
    const before = await performance();
    expect(before.accuracy).toMatchObject({ samples: 6, value: 1 / 6, judged: true, breached: true });
    expect(before.alerts).toEqual(['accuracy_low']);

    await t.restart();
    const after = await performance();
    expect(after.accuracy).toMatchObject({ samples: 6, value: 1 / 6, judged: true, breached: true });
    expect(after.alerts).toEqual(['accuracy_low']);
    await new Promise((r) => setTimeout(r, 1000)); // five checks
    expect((await accuracyAlerts()).map((a) => a.meta!.id)).toEqual([alert.meta!.id]);
    const kv = await openKeyValue(t.bus, TRAINER_ALERTS_BUCKET);
    expect((await kv.get('detector.accuracy_low'))?.json<{ alert: Alert }>().alert.id).toBe(alert.meta!.id);

    // Feedback after the restart adds to the rebuilt window, and the operator's verdicts still count.
    await publishAnomaly(t.bus, 'an-6', 'db-1');
    await publishRecovery(t.bus, 'an-6', 'db-1');
    await feedbackDrained(t);
    expect((await performance()).accuracy).toMatchObject({ samples: 7, value: 2 / 7, breached: true });
    expect((await performance()).alerts).toEqual(['accuracy_low']);
  });

  it("restart - the action-parameter model's accuracy is rebuilt from the outcomes of the actions it advised", async () => {
    const performanceOf = () => t.call('getModelPerformance', { model: 'action-params' });
    const alerts = async () => (await readEvents(t.bus, 'model_alert', 'action-params')).filter((a) => a.type === 'accuracy_low');
    // Five actions advised by version 1 as likely to help (p = 0.9) that did not: accuracy 0.
    for (let i = 0; i < 5; i++) await publishAdvisedOutcome(t.bus, `ap-${i}`, 'api-1', false);
    const [alert] = await waitFor(async () => ((await alerts()).length > 0 ? alerts() : undefined), 30_000, 'an accuracy_low alert of action-params');
    expect(alert).toMatchObject({ model: 'action-params', version: '1' });

    await t.restart();
    const after = await performanceOf();
    expect(after.accuracy).toMatchObject({ samples: 5, value: 0, judged: true, breached: true });
    expect(after.alerts).toEqual(['accuracy_low']);
    await new Promise((r) => setTimeout(r, 1000)); // five checks
    expect((await alerts()).map((a) => a.meta!.id)).toEqual([alert.meta!.id]);
  });
});

/** An operator's label of a detector anomaly raised by version 1 (the Label event as the Label RPC publishes it). */
async function publishLabel(bus: Bus, anomalyId: string, real: boolean): Promise<void> {
  const id = `lbl-${anomalyId}`;
  const l = Label.fromPartial({
    meta: { id, parentId: anomalyId, component: 'db-1', timeMs: Date.now(), source: 'trainer' },
    anomalyId,
    anomaly: real,
    actor: 'alice',
    origin: 'operator',
    model: 'detector',
    modelVersion: 'stat-v1+mlp-forecaster-1',
  });
  await publishMessage(bus.js, { subject: eventSubject('label', 'db-1'), data: EVENT_CODECS.label.encode(l), id });
}

describe('trainer accuracy - a restart replays only the feedback its window holds', () => {
  let t: TrainerUnderTest;
  /** Stored feedback events the latest rebuild of `model`'s accuracy window read (Statistics gauge). */
  const replayed = async (model: string) => (await t.call('getStatistics', {})).gauges[`trainer_accuracy_replayed_${model.replace(/-/g, '_')}`];
  const accuracy = async (model: string) => (await t.call('getModelPerformance', { model })).accuracy;
  const inBound = { samples: 5, value: 1, judged: true, breached: false };
  /** `model`'s window holds the 5 newest before and after a restart, which read fewer than the `older` stored before them. */
  const expectRebuiltFromNewest = async (model: string, older: number) => {
    await feedbackDrained(t);
    expect(await accuracy(model)).toMatchObject(inBound);

    await t.restart();
    expect(await accuracy(model)).toMatchObject(inBound);
    // Read from the newest back until the window was full (in blocks of the stream: a few more).
    expect(await replayed(model)).toBeGreaterThanOrEqual(5);
    expect(await replayed(model)).toBeLessThan(older);
  };

  beforeEach(async () => {
    await selectBackend();
    t = await startTrainerUnderTest({
      detectorBase: anomalyDetectorBase(),
      env: { TRAINER_CHECK_INTERVAL_MS: '200', TRAINER_MIN_DRIFT_SAMPLES: '1000000', TRAINER_MIN_SAMPLES: '5', TRAINER_ACCURACY_WINDOW: '5' },
    });
  });
  afterEach(() => t?.stop());

  it('restart - with more labels stored than the window holds, the window is rebuilt from the newest, and the older are not all read', async () => {
    // 30 false alarms, then 5 confirmed anomalies: a window of 5 holds only the confirmed ones.
    for (let i = 0; i < 30; i++) await publishLabel(t.bus, `old-${i}`, false);
    for (let i = 0; i < 5; i++) await publishLabel(t.bus, `new-${i}`, true);
    await expectRebuiltFromNewest('detector', 30);
  });

  it("restart - with more advised outcomes stored than the window holds, action-params' window is rebuilt from the newest, and the older are not all read", async () => {
    // 20 advised actions that did not help, then 5 that did.
    for (let i = 0; i < 20; i++) await publishAdvisedOutcome(t.bus, `old-${i}`, 'api-1', false);
    for (let i = 0; i < 5; i++) await publishAdvisedOutcome(t.bus, `new-${i}`, 'api-1', true);
    await expectRebuiltFromNewest('action-params', 20);
  });
});

describe('trainer performance - alerts in force', () => {
  let t: TrainerUnderTest;

  /** A record of an alert raised for detector version 1 before this trainer started. */
  const record = (monitor: string, type: Alert['type']) => {
    const alert: Alert = { id: `alr-${monitor}-${type}`, type, model: monitor, value: 0.5, threshold: 0.2, samples: 300, timeMs: Date.now() - 60_000, message: `${monitor}: test` };
    return [`${toKvKey(monitor)}.${type}`, JSON.stringify({ model: 'detector', version: '1', alert })] as const;
  };

  beforeAll(async () => {
    await selectBackend();
    t = await startTrainerUnderTest({
      detectorBase: anomalyDetectorBase(),
      env: { TRAINER_CHECK_INTERVAL_MS: '200', TRAINER_MIN_DRIFT_SAMPLES: '1000000', TRAINER_MIN_SAMPLES: '5' },
      before: async (bus) => {
        // Registers nothing yet: the trainer registers the shipped version 1 on its first start.
        const kv = await openKeyValue(bus, TRAINER_ALERTS_BUCKET);
        for (const [key, value] of [record('detector:demo-queue', 'input_drift'), record('detector:demo-web', 'input_drift'), record('detector', 'latency_high')]) await kv.put(key, value);
      },
    });
  });
  afterAll(() => t?.stop());

  it('alerts - every alert in force is listed, drift per component, also those carried over from before a restart', async () => {
    const p = await t.call('getModelPerformance', { model: 'detector' });
    expect(p.alerts).toEqual(['input_drift:demo-queue', 'input_drift:demo-web', 'latency_high']);
  });
});
