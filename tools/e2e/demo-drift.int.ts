/**
 * Drift injected by the demo itself (`x0 demo --drift demo-db:quiet`): the simulator's
 * demo-db loses nine tenths of its noise for good, the trainer's drift check finds it against
 * the reference taken from the backfilled history, raises a ModelAlert naming demo-db, and the
 * retraining job it triggers replays the window, trains a challenger and decides in shadow,
 * with the reason recorded. (trainer-drift.int.ts checks both shadow outcomes on drift made by
 * the test.)
 */
import { waitFor } from '@x0/bus/testing';
import { DemoSimulator } from '@x0/demo';
import { selectBackend } from '@x0/lora';
import { anomalyDetectorBase } from '@x0/trainer-service';
import { startTrainerUnderTest, type TrainerUnderTest } from '@x0/trainer-service/testing';
import { EventLog } from './event-log';

jest.setTimeout(120_000);

describe('trainer - drift injected by the demo', () => {
  let t: TrainerUnderTest;
  let log: EventLog;
  let sim: DemoSimulator | undefined;

  beforeAll(async () => {
    await selectBackend();
    t = await startTrainerUnderTest({
      detectorBase: anomalyDetectorBase(),
      env: { TRAINER_CHECK_INTERVAL_MS: '300', TRAINER_MIN_DRIFT_SAMPLES: '200', TRAINER_DRIFT_SETTLE_S: '3', TRAINER_DETECTOR_EPOCHS: '2' },
    });
    log = new EventLog(t.bus, Date.now() - 60_000);
  });

  afterAll(async () => {
    sim?.stop();
    await log?.stop();
    await t?.stop();
  });

  it('drift - x0 demo --drift demo-db:quiet raises an input-drift alert on demo-db alone, and its job decides in shadow, saying why', async () => {
    const drifts: string[] = [];
    // 60 s of healthy history first (the reference), then live samples at 50 Hz; demo-db goes quiet 2 s in.
    sim = new DemoSimulator({ bus: t.bus, seed: 11, rateHz: 50, backfillS: 60, faultEveryS: 3600, firstFaultAfterS: 3600, drift: { component: 'demo-db', kind: 'quiet', afterS: 2 }, onEvent: (e) => e.type === 'drift' && drifts.push(e.component) });
    await sim.start();

    const alert = await log.waitFor((es) => es.find((e) => e.type === 'model_alert'), 60_000, 'a model alert');
    expect(drifts).toEqual(['demo-db']);
    const a = alert.event as { model: string; type: string; message: string; jobId: string };
    expect(alert.component).toBe('demo-db');
    expect(a).toMatchObject({ model: 'detector', type: 'input_drift' });
    expect(a.jobId).not.toBe('');

    const job = await waitFor(
      async () => {
        const j = await t.call('getJob', { id: a.jobId });
        return ['succeeded', 'failed'].includes(j.state) ? j : undefined;
      },
      90_000,
      'the drift job to finish',
    );
    expect(job).toMatchObject({ model: 'detector', trigger: 'drift', state: 'succeeded', version: '2', parentVersion: '1' });
    expect(['promoted', 'challenger']).toContain(job.decision);
    expect(job.decisionReason).toMatch(/^challenger huber [0-9.]+ (beats|does not beat) champion 1 [0-9.]+ by the margin of 5% \((improvement|regression) [0-9.-]+%\) on \d+ held-out samples$/);
    expect(log.events.filter((e) => e.type === 'model_alert').map((e) => e.component)).toEqual(['demo-db']);
  });
});
