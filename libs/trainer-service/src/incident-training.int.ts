import { publishEvent } from '@x0/bus/testing';
import { Anomaly, Outcome, Severity } from '@x0/contracts';
import { selectBackend } from '@x0/lora';
import { healthy, publishSeries, startTrainerUnderTest, finishedJob, type TrainerUnderTest } from './testing';
import { anomalyDetectorBase } from './trainer-service';

// Real nats-server, real gRPC and real training: generous limits, no timing assertions.
jest.setTimeout(120_000);

const T0 = Date.now() - 3_600_000;
const at = (row: number) => T0 + row * 1000;
const L = anomalyDetectorBase().weights.windowLength;

describe('trainer service - what a job trains on', () => {
  let t: TrainerUnderTest;

  beforeAll(async () => {
    await selectBackend();
    t = await startTrainerUnderTest({ detectorBase: anomalyDetectorBase(), env: { TRAINER_CHECK_INTERVAL_MS: '250', TRAINER_MIN_DRIFT_SAMPLES: '1000000', TRAINER_DETECTOR_EPOCHS: '2' } });
  });
  afterAll(() => t?.stop());

  it('job - the samples of an announced incident (from its start minus the margin to its recovery plus the margin) are in neither the training nor the held-out set', async () => {
    const n = 500;
    // db-1 flaps from row 300 to 400: an outage the monitor announced at row 300, re-announced at
    // 320 and 340 (one incident), which a recovery ended at row 400.
    const flap = healthy(n, 9, 80).map((v, i) => (i >= 300 && i < 400 ? v * (i % 2 === 0 ? 1.6 : 0.5) : v));
    await publishSeries(t.bus, 'db-1', { latency_ms: flap, cpu: healthy(n, 10, 0.3) }, T0);
    await publishSeries(t.bus, 'web-1', { latency_ms: healthy(n, 11, 80), cpu: healthy(n, 12, 0.3) }, T0);
    for (const [k, row] of [300, 320, 340].entries()) {
      const id = `an_db1_${row}`;
      const anomaly = Anomaly.fromPartial({ meta: { id, component: 'db-1', timeMs: at(row), source: 'monitor' }, score: 0.9, severity: Severity.SEVERITY_HIGH, incidentId: 'an_db1_300', incidentStartMs: at(300), announcement: k + 1 });
      await publishEvent(t.bus, 'anomaly', anomaly);
    }
    const incident = { anomalyId: 'an_db1_340', incidentId: 'an_db1_300', component: 'db-1', action: 'restart' };
    await publishEvent(t.bus, 'outcome', Outcome.fromPartial({ meta: { id: 'out-db1', component: 'db-1', timeMs: at(400), source: 'verifier' }, incident, recovered: true }));

    const job = await t.call('train', { model: 'detector', component: '', reason: 'test', actor: 'ci' });
    const done = await finishedJob(t, job.id, 90_000);
    expect(done.error).toBe('');
    // Rows 240 (300 minus the 60 s margin) to 460 (400 plus it) of db-1 are the incident: the
    // examples whose L inputs or target touch them, per metric, are targets 240 … 460 + L.
    const perMetric = 460 + L - 240 + 1;
    expect(done.metrics['incidents_excluded']).toBe(1);
    expect(done.metrics['incident_windows_excluded']).toBe(2 * perMetric);
    // Every other example of both components is used: (n − L) per metric.
    expect(done.metrics['train_windows'] + done.metrics['holdout_windows']).toBe(4 * (n - L) - 2 * perMetric);
    const version = await t.call('getModel', { model: 'detector', ref: done.version });
    expect(version.lineage).toMatchObject({ incidentTailMs: '120000', incidentMarginMs: '60000' });
  });

  it('too little data - an action-params job with no outcome of a parametrised action fails saying how many there were and what to do', async () => {
    const job = await t.call('train', { model: 'action-params', component: '', reason: 'test', actor: 'ci' });
    const done = await finishedJob(t, job.id, 60_000);
    expect(done).toMatchObject({ state: 'failed' });
    expect(done.error).toBe(
      'only 0 training outcomes of parametrised actions for all components in the data window (0 in all, 0 held out), at least 10 are needed: let the loop act (scale_up/throttle with params; dry runs do not count), or widen TRAINER_DATA_WINDOW_S',
    );
  });
});
