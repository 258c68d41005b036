import type { Bus } from '@x0/bus';
import { publishEvent, readEvents, waitFor } from '@x0/bus/testing';
import { Anomaly, COMPONENT_HEALTH_CODEC, Outcome, Severity, statusSubject } from '@x0/contracts';
import { selectBackend } from '@x0/lora';
import { publishDriftRows, startDriftTrainer, type TrainerUnderTest } from './testing';

jest.setTimeout(120_000);

const T0 = Date.now() - 3_600_000;
const at = (row: number) => T0 + row * 1000;

const publishRows = (bus: Bus, from: number, to: number, flap: boolean) => publishDriftRows(bus, 'db-2', T0, { from, to, flap, seed: 7 });

/** The monitor's live status of db-2 at a row's time: an open incident (`anomalyId`) or none. */
async function publishStatus(bus: Bus, row: number, anomalyId: string): Promise<void> {
  const severity = anomalyId ? Severity.SEVERITY_HIGH : Severity.SEVERITY_UNSPECIFIED;
  bus.nc.publish(statusSubject('db-2'), COMPONENT_HEALTH_CODEC.encode({ component: 'db-2', timeMs: at(row), score: anomalyId ? 0.9 : 0.01, severity, phase: 'scoring', openAnomalyId: anomalyId, openIncidentId: anomalyId }));
  await bus.nc.flush();
}

/** Drift of db-2 is judged on the normal rows after the incident, not breached, and no drift alert is raised in five more checks. */
async function expectNoDriftAfter(t: TrainerUnderTest): Promise<void> {
  const p = await waitFor(async () => {
    const perf = await t.call('getModelPerformance', { model: 'detector' });
    return perf.drift?.judged && perf.drift.samples >= 300 ? perf : undefined;
  }, 30_000, 'drift judged on the rows after the incident');
  expect(p.drift).toMatchObject({ breached: false });
  await new Promise((r) => setTimeout(r, 1000));
  expect((await readEvents(t.bus, 'model_alert', 'db-2')).filter((a) => a.type === 'input_drift')).toEqual([]);
}

describe('trainer service - input drift and incidents', () => {
  let t: TrainerUnderTest;

  beforeAll(async () => {
    await selectBackend();
    // The drift job waits a day: this test is about alerts, not training.
    t = await startDriftTrainer((bus) => publishRows(bus, 0, 600, false));
  });
  afterAll(() => t?.stop());


  it('incident - samples while the monitor reports an open incident are not drift: no alert during it, none after it', async () => {
    // The first check takes what X0_METRICS holds as the reference.
    await new Promise((r) => setTimeout(r, 1000));
    // An incident opens at row 600: the fault (latency flapping, which alone raises a drift
    // alert: drift-alerts.int.ts) lasts until the monitor reports it over at row 1000.
    await publishStatus(t.bus, 600, 'an_incident');
    await publishRows(t.bus, 600, 1000, true);
    await new Promise((r) => setTimeout(r, 1000)); // five checks with the incident open
    await publishStatus(t.bus, 1000, '');
    // After it (and the margin), the component is normal again and is judged on those rows.
    await publishRows(t.bus, 1100, 1500, false);
    await expectNoDriftAfter(t);
  });
});

describe('trainer service - incidents from before a start', () => {
  let t: TrainerUnderTest;

  /** The monitor announced an incident of db-2 at row 600 and again every 120 rows; a recovery ended it at row 1000. */
  async function storedIncident(bus: Bus): Promise<void> {
    for (const [k, row] of [600, 720, 840, 960].entries()) {
      const meta = { id: `an_db2_${row}`, component: 'db-2', timeMs: at(row), source: 'monitor' };
      await publishEvent(bus, 'anomaly', Anomaly.fromPartial({ meta, score: 0.9, severity: Severity.SEVERITY_HIGH, incidentId: 'an_db2_600', incidentStartMs: at(600), announcement: k + 1 }));
    }
    const incident = { anomalyId: 'an_db2_960', incidentId: 'an_db2_600', component: 'db-2', action: 'restart' };
    await publishEvent(bus, 'outcome', Outcome.fromPartial({ meta: { id: 'out-db2', component: 'db-2', timeMs: at(1000), source: 'verifier' }, incident, recovered: true }));
  }

  beforeAll(async () => {
    await selectBackend();
    // Everything happened while no trainer ran: no live status told it of the incident.
    t = await startDriftTrainer(async (bus) => {
      await publishRows(bus, 0, 600, false);
      await publishRows(bus, 600, 1000, true);
      await storedIncident(bus);
      await publishRows(bus, 1000, 1100, false);
    });
  });
  afterAll(() => t?.stop());

  it('start - the incident in the stored events is left out of the drift reference: the normal rows after it are no drift', async () => {
    // The first check takes what X0_METRICS holds as the reference, less the incident's rows;
    // with the outage in it, normal rows would differ from the reference.
    await new Promise((r) => setTimeout(r, 1000));
    await publishRows(t.bus, 1100, 1500, false);
    await expectNoDriftAfter(t);
  });
});

describe('trainer service - an incident that lasts past TRAINER_INCIDENT_MAX_S', () => {
  let t: TrainerUnderTest;

  beforeAll(async () => {
    await selectBackend();
    t = await startDriftTrainer((bus) => publishRows(bus, 0, 600, false), { TRAINER_INCIDENT_MAX_S: '60' });
  });
  afterAll(() => t?.stop());

  it('max - a component that keeps flapping under one open incident is judged again a minute after it began, and its drift is raised', async () => {
    await new Promise((r) => setTimeout(r, 1000)); // the reference: rows 0–600
    // The monitor keeps the incident open (its status names it every 50 rows) while latency flaps to row 1000.
    for (let row = 600; row < 1000; row += 50) {
      await publishStatus(t.bus, row, 'an_lasting');
      await publishRows(t.bus, row, row + 50, true);
    }
    await publishStatus(t.bus, 1000, 'an_lasting');
    const alert = await waitFor(async () => (await readEvents(t.bus, 'model_alert', 'db-2')).find((a) => a.type === 'input_drift'), 30_000, 'a drift alert on db-2');
    expect(alert).toMatchObject({ model: 'detector', type: 'input_drift' });
  });
});
