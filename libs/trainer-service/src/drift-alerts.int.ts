import { seededRandom } from '@x0/action-params';
import { openKeyValue, publishMessage, toKvKey, type Bus } from '@x0/bus';
import { readEvents, waitFor } from '@x0/bus/testing';
import { METRIC_BATCH_CODEC, metricsSubject } from '@x0/contracts';
import { selectBackend } from '@x0/lora';
import { TRAINER_ALERTS_BUCKET } from './raised-alerts';
import { startTrainerUnderTest, type TrainerUnderTest } from './testing';
import { anomalyDetectorBase } from './trainer-service';

jest.setTimeout(120_000);

const T0 = Date.now() - 3_600_000;

/** Rows `from`..`to` of db-1 (1 s apart) in batches of 10; with `flap`, latency alternates high and low (new dynamics: drift). */
async function publishRows(bus: Bus, from: number, to: number, flap: boolean): Promise<void> {
  const rand = seededRandom(from + 1);
  for (let i = from; i < to; i += 10) {
    const samples = [];
    for (let k = i; k < Math.min(to, i + 10); k++) {
      const latency = 80 * (1 + 0.05 * (rand() - 0.5));
      samples.push({ metric: 'latency_ms', value: flap ? latency * (k % 2 === 0 ? 1.7 : 0.5) : latency, timeMs: T0 + k * 1000 });
      samples.push({ metric: 'cpu', value: 0.3 * (1 + 0.05 * (rand() - 0.5)), timeMs: T0 + k * 1000 });
    }
    const id = `db-1-${i}`;
    await publishMessage(bus.js, { subject: metricsSubject('db-1'), data: METRIC_BATCH_CODEC.encode({ id, component: 'db-1', timeMs: T0 + i * 1000, samples, labels: {} }), id });
  }
}

describe('trainer service - drift alerts across a restart', () => {
  let t: TrainerUnderTest;

  beforeAll(async () => {
    await selectBackend();
    t = await startTrainerUnderTest({
      detectorBase: anomalyDetectorBase(),
      // The drift job waits a day: this test is about alerts, not training.
      env: { TRAINER_CHECK_INTERVAL_MS: '200', TRAINER_MIN_DRIFT_SAMPLES: '200', TRAINER_DRIFT_SETTLE_S: '86400' },
      before: (bus) => publishRows(bus, 0, 600, false),
    });
  });
  afterAll(() => t?.stop());

  const alerts = async () => (await readEvents(t.bus, 'model_alert', 'db-1')).filter((a) => a.type === 'input_drift');
  /** Waits until the trainer has judged drift on `samples` or more recent rows of db-1. */
  const judged = (samples: number) =>
    waitFor(async () => {
      const p = await t.call('getModelPerformance', { model: 'detector' });
      return p.drift?.judged && p.drift.samples >= samples ? p : undefined;
    }, 30_000, `drift judged on ${samples} rows`);

  it('restart - a drift alert raised before the trainer restarted is not raised again while the drift lasts', async () => {
    // The first check takes what X0_METRICS holds as the reference (no training window for version 1).
    await new Promise((r) => setTimeout(r, 1000));
    await publishRows(t.bus, 600, 1000, true);
    const [first] = await waitFor(async () => ((await alerts()).length > 0 ? alerts() : undefined), 30_000, 'a drift alert');
    expect(first).toMatchObject({ model: 'detector', version: '1', type: 'input_drift' });
    const kv = await openKeyValue(t.bus, TRAINER_ALERTS_BUCKET);
    const stored = await waitFor(async () => (await kv.get(`${toKvKey('detector:db-1')}.input_drift`))?.json<{ model: string; version: string; alert: { id: string } }>(), 10_000, 'the alert record');
    expect(stored).toMatchObject({ model: 'detector', version: '1', alert: { id: first.meta!.id } });

    await t.restart();
    // The restarted trainer's reference is what X0_METRICS holds (the drift included); more of
    // the drift still differs from it, so the crossing is judged again, as the same one.
    await new Promise((r) => setTimeout(r, 1000));
    await publishRows(t.bus, 1000, 1400, true);
    const p = await judged(200);
    expect(p.drift).toMatchObject({ breached: true });
    await new Promise((r) => setTimeout(r, 1000)); // five more checks
    expect((await alerts()).map((a) => a.meta!.id)).toEqual([first.meta!.id]);
  });
});
