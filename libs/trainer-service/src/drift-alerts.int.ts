import { openKeyValue, toKvKey, type Bus } from '@x0/bus';
import { readEvents, waitFor } from '@x0/bus/testing';
import { selectBackend } from '@x0/lora';
import { TRAINER_ALERTS_BUCKET } from './raised-alerts';
import { publishDriftRows, startDriftTrainer, type TrainerUnderTest } from './testing';

jest.setTimeout(120_000);

const T0 = Date.now() - 3_600_000;

const publishRows = (bus: Bus, from: number, to: number, flap: boolean) => publishDriftRows(bus, 'db-1', T0, { from, to, flap, seed: 1 });

describe('trainer service - drift alerts across a restart', () => {
  let t: TrainerUnderTest;

  beforeAll(async () => {
    await selectBackend();
    // The drift job waits a day: this test is about alerts, not training.
    t = await startDriftTrainer((bus) => publishRows(bus, 0, 600, false));
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
