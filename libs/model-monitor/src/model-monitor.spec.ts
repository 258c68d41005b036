import { InvalidArgumentError } from '@x0/core';
import { ModelMonitor, type ModelMonitorOptions } from './model-monitor';
import { normalRows } from './testing';
import type { Alert, RetrainTrigger } from './types';

function setup(options: Partial<ModelMonitorOptions> = {}) {
  let now = 1_000_000;
  const alerts: Alert[] = [];
  const triggers: RetrainTrigger[] = [];
  const monitor = new ModelMonitor({
    model: 'detector-db1',
    clock: () => now,
    onAlert: (a) => alerts.push(a),
    onRetrain: (t) => triggers.push(t),
    ...options,
  });
  return { monitor, alerts, triggers, advance: (ms: number) => (now += ms), now: () => now };
}

function feedback(monitor: ModelMonitor, correct: number, wrong: number): void {
  for (let i = 0; i < correct; i++) monitor.recordFeedback({ predicted: true, actual: true });
  for (let i = 0; i < wrong; i++) monitor.recordFeedback({ predicted: true, actual: false });
}

describe('ModelMonitor thresholds', () => {
  it('accuracy - below 0.7 alerts once the minimum sample count is reached', () => {
    const { monitor, alerts, triggers } = setup();
    feedback(monitor, 17, 12); // 29 labels, accuracy 0.586: not judged yet
    expect(monitor.check().accuracy).toMatchObject({ samples: 29, breached: null });
    expect(alerts).toEqual([]);
    feedback(monitor, 0, 1); // 30 labels, 17/30 = 0.567
    const report = monitor.check();
    expect(report.accuracy).toEqual({ value: 17 / 30, threshold: 0.7, samples: 30, breached: true });
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ type: 'accuracy_low', model: 'detector-db1', value: 17 / 30, threshold: 0.7, samples: 30, timeMs: 1_000_000 });
    expect(alerts[0].message).toBe('detector-db1: accuracy 0.567 < 0.7 over the last 30 labelled predictions');
    expect(triggers).toHaveLength(1);
    expect(triggers[0].reasons).toEqual([alerts[0]]);
    expect(report.retrain).toEqual(triggers[0]);
  });

  it('accuracy - exactly 0.7 does not alert (the seed rule is accuracy < 0.7)', () => {
    const { monitor, alerts } = setup();
    feedback(monitor, 21, 9);
    expect(monitor.check().accuracy.breached).toBe(false);
    expect(alerts).toEqual([]);
  });

  it('error rate - above 0.1 alerts; failed inferences do not count toward latency', () => {
    const { monitor, alerts } = setup();
    for (let i = 0; i < 36; i++) monitor.recordInference({ latencyMs: 5 });
    for (let i = 0; i < 4; i++) monitor.recordInference({ latencyMs: 5000, ok: false });
    let report = monitor.check(); // 4/40 = 0.1: not above
    expect(report.errorRate).toEqual({ value: 0.1, threshold: 0.1, samples: 40, breached: false });
    expect(report.latencyP95Ms).toMatchObject({ value: 5, samples: 36, breached: false });
    monitor.recordInference({ latencyMs: 5, ok: false });
    report = monitor.check();
    expect(report.errorRate.breached).toBe(true);
    expect(alerts.map((a) => [a.type, a.value])).toEqual([['error_rate_high', 5 / 41]]);
  });

  it('latency - p95 above 100 ms alerts', () => {
    const { monitor, alerts } = setup();
    for (let i = 0; i < 40; i++) monitor.recordInference({ latencyMs: i < 37 ? 20 : 150 }); // p95 = 38th of 40 = 150
    expect(monitor.check().latencyP95Ms).toEqual({ value: 150, threshold: 100, samples: 40, breached: true });
    expect(alerts.map((a) => a.type)).toEqual(['latency_high']);
    expect(alerts[0].message).toBe('detector-db1: latency p95 150 ms > 100 ms over the last 40 inferences');
  });

  it('thresholds - custom thresholds and minimum samples apply', () => {
    const { monitor, alerts } = setup({ thresholds: { maxLatencyP95Ms: 10 }, minSamples: 5 });
    for (let i = 0; i < 5; i++) monitor.recordInference({ latencyMs: 11 });
    monitor.check();
    expect(alerts.map((a) => [a.type, a.threshold])).toEqual([['latency_high', 10]]);
  });

  it('windows - only the most recent N observations count', () => {
    const { monitor } = setup({ windowSize: 40 });
    feedback(monitor, 0, 40);
    feedback(monitor, 40, 0);
    expect(monitor.check().accuracy).toMatchObject({ value: 1, samples: 40, breached: false });
  });

  it('windows - feedbackWindowSize sizes the accuracy window alone', () => {
    const { monitor } = setup({ windowSize: 40, feedbackWindowSize: 30 });
    feedback(monitor, 0, 10);
    feedback(monitor, 30, 0);
    for (let i = 0; i < 40; i++) monitor.recordInference({ latencyMs: 1, ok: i >= 10 });
    const r = monitor.check();
    expect(r.accuracy).toMatchObject({ value: 1, samples: 30 });
    expect(r.errorRate).toMatchObject({ value: 0.25, samples: 40 });
    expect(() => new ModelMonitor({ model: 'm', feedbackWindowSize: 0 })).toThrow("'feedbackWindowSize' must be a positive integer, got 0");
  });

  it('accuracy - feedback with the key of a recorded prediction replaces it: each prediction counts once, with its latest verdict', () => {
    const { monitor } = setup({ minSamples: 2 });
    monitor.recordFeedback({ predicted: true, actual: true, key: 'an-1' });
    monitor.recordFeedback({ predicted: true, actual: true, key: 'an-2' });
    monitor.recordFeedback({ predicted: true, actual: false, key: 'an-1' }); // a corrected label
    monitor.recordFeedback({ predicted: true, actual: false, key: 'an-1' }); // the same label again
    expect(monitor.evaluate().accuracy).toMatchObject({ value: 0.5, samples: 2 });
    monitor.recordFeedback({ predicted: true, actual: false }); // no key: always a new record
    monitor.recordFeedback({ predicted: true, actual: false });
    expect(monitor.evaluate().accuracy).toMatchObject({ value: 0.25, samples: 4 });
  });
});

describe('ModelMonitor alerts and retraining', () => {
  it('edge - a breach alerts once, re-arms after recovery, and alerts again on the next crossing', () => {
    const { monitor, alerts } = setup({ windowSize: 30 });
    feedback(monitor, 10, 20);
    monitor.check();
    monitor.check();
    expect(alerts).toHaveLength(1);
    feedback(monitor, 30, 0);
    expect(monitor.check().accuracy.breached).toBe(false);
    feedback(monitor, 0, 30);
    monitor.check();
    expect(alerts.map((a) => a.type)).toEqual(['accuracy_low', 'accuracy_low']);
  });

  it('re-arm - a recovery reports the alert it ends in cleared', () => {
    const { monitor, alerts } = setup();
    feedback(monitor, 0, 30);
    expect(monitor.check().cleared).toEqual([]);
    feedback(monitor, 100, 0);
    expect(monitor.check().cleared).toEqual([alerts[0]]);
    expect(monitor.check().cleared).toEqual([]);
  });

  it('carried - an alert of an earlier run is not raised again while its metric stays breached', () => {
    const first = setup();
    feedback(first.monitor, 0, 30);
    first.monitor.check();
    const [raised] = first.alerts;

    const next = setup({ carried: [raised] });
    expect(next.monitor.check()).toMatchObject({ alerts: [], cleared: [] }); // not judged yet: still carried
    feedback(next.monitor, 0, 30);
    const report = next.monitor.check();
    expect(report.alerts).toEqual([]);
    expect(next.alerts).toEqual([]);
    // in force as if this run had raised it: it is a retraining reason
    expect(next.triggers.map((t) => t.reasons)).toEqual([[raised]]);
    feedback(next.monitor, 100, 0);
    expect(next.monitor.check().cleared).toEqual([raised]);
    feedback(next.monitor, 0, 100);
    expect(next.monitor.check().alerts.map((a) => a.type)).toEqual(['accuracy_low']); // a new crossing
  });

  it('carried - an alert whose metric has recovered by the first judgement is cleared, not raised', () => {
    const first = setup();
    feedback(first.monitor, 0, 30);
    first.monitor.check();
    const next = setup({ carried: first.alerts });
    feedback(next.monitor, 30, 0);
    expect(next.monitor.check()).toMatchObject({ alerts: [], cleared: first.alerts });
    expect(next.triggers).toEqual([]);
  });

  it('cooldown - a persisting breach triggers retraining again only after the cooldown', () => {
    const { monitor, triggers, advance } = setup({ retrainCooldownMs: 60_000 });
    feedback(monitor, 0, 30);
    monitor.check();
    advance(59_999);
    monitor.check();
    expect(triggers).toHaveLength(1);
    advance(1);
    monitor.check();
    expect(triggers).toHaveLength(2);
    expect(triggers[1].timeMs - triggers[0].timeMs).toBe(60_000);
    expect(triggers[1].id).not.toBe(triggers[0].id);
  });

  it('retrainOn - alerts outside the list do not trigger retraining', () => {
    const { monitor, alerts, triggers } = setup({ retrainOn: ['accuracy_low', 'input_drift'] });
    for (let i = 0; i < 30; i++) monitor.recordInference({ latencyMs: 500 });
    monitor.check();
    expect(alerts.map((a) => a.type)).toEqual(['latency_high']);
    expect(triggers).toEqual([]);
  });

  it('arguments - bad records and options are rejected naming the field', () => {
    const { monitor } = setup();
    expect(() => monitor.recordInference({ latencyMs: -1 })).toThrow(new InvalidArgumentError('latencyMs', 'must be a finite number >= 0, got -1'));
    expect(() => new ModelMonitor({ model: 'm', minSamples: 0 })).toThrow("'minSamples' must be a positive integer, got 0");
    monitor.setReference([[1, 2]]);
    expect(() => monitor.recordInference({ latencyMs: 1, features: [1] })).toThrow("'features' has 1 values, the reference has 2");
    expect(() => monitor.setReference([[1, 2], [3]])).toThrow("'reference[1]' has 1 values, expected 2");
  });
});

describe('ModelMonitor drift', () => {
  it('drift - unshifted inputs do not alert; a shifted feature does, naming it', () => {
    const { monitor, alerts } = setup();
    monitor.setReference(normalRows(1000, 4, 21));
    for (const row of normalRows(300, 4, 22)) monitor.recordInference({ latencyMs: 1, features: row });
    const calm = monitor.check();
    expect(calm.drift.breached).toBe(false);
    expect(calm.drift.value!).toBeLessThan(0.2);
    expect(alerts).toEqual([]);

    for (const row of normalRows(1000, 4, 23, [0, 0, 1, 0])) monitor.recordInference({ latencyMs: 1, features: row });
    const shifted = monitor.check();
    expect(shifted.drift.breached).toBe(true);
    expect(alerts).toHaveLength(1);
    expect(alerts[0].type).toBe('input_drift');
    expect(alerts[0].features!.map((f) => f.feature)).toEqual([2]);
    expect(alerts[0].value).toBe(shifted.drift.value);
    expect(alerts[0].message).toMatch(/^detector-db1: input drift on 1 feature\(s\) #2 \(PSI [0-9.]+, KS p [0-9.e-]+\) over the last 1000 inputs/);
  });

  it('drift - not judged below the minimum sample count; a new reference clears the recent rows', () => {
    const { monitor } = setup({ minDriftSamples: 200 });
    monitor.setReference(normalRows(1000, 2, 31));
    for (const row of normalRows(199, 2, 32, [3, 3])) monitor.recordInference({ latencyMs: 1, features: row });
    expect(monitor.check().drift).toMatchObject({ samples: 199, breached: null, value: null });
    monitor.recordInference({ latencyMs: 1, features: [3, 3] });
    expect(monitor.check().drift.breached).toBe(true);
    monitor.setReference(normalRows(1000, 2, 33, [3, 3]));
    expect(monitor.check().drift).toMatchObject({ samples: 0, breached: null });
  });

  it('recordFeatures - rows sampled apart from inferences count for drift only', () => {
    const { monitor } = setup({ minDriftSamples: 200, minSamples: 1 });
    monitor.setReference(normalRows(500, 2, 41));
    for (const row of normalRows(300, 2, 42, [2, 0])) monitor.recordFeatures(row);
    const report = monitor.check();
    expect(report.drift).toMatchObject({ samples: 300, breached: true });
    expect(report.errorRate.samples).toBe(0);
    expect(report.latencyP95Ms.samples).toBe(0);
    expect(() => monitor.recordFeatures([1])).toThrow("'features' has 1 values, the reference has 2");
  });
});
