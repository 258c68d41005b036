import { Anomaly, Outcome, Verdict } from '@x0/contracts';
import { incidentSpansFromEvents, overlapsSpans } from './incident-spans';

const announce = (id: string, component: string, timeMs: number, incidentId = '', incidentStartMs = 0) =>
  Anomaly.fromPartial({ meta: { id, component, timeMs }, incidentId, incidentStartMs });
const recovered = (component: string, incidentId: string, timeMs: number, ok = true) =>
  Outcome.fromPartial({ meta: { id: `out-${timeMs}`, component, timeMs }, incident: { anomalyId: `an-last`, incidentId, component }, recovered: ok, verdict: ok ? Verdict.VERDICT_RECOVERED : Verdict.VERDICT_NOT_RECOVERED });

describe('incidentSpansFromEvents', () => {
  const o = { tailMs: 120_000 };

  it('announcements of one incident make one span, from its start to the latest announcement plus the tail', () => {
    const spans = incidentSpansFromEvents(
      [announce('an_1', 'db-1', 100_000), announce('an_2', 'db-1', 220_000, 'an_1', 100_000), announce('an_3', 'db-1', 340_000, 'an_1', 100_000)],
      [],
      o,
    );
    expect(spans).toEqual([{ component: 'db-1', incidentId: 'an_1', startMs: 100_000, endMs: 460_000}]);
  });

  it('a re-announcement whose first one is older than the replay still starts at the incident start', () => {
    const [span] = incidentSpansFromEvents([announce('an_9', 'db-1', 500_000, 'an_1', 100_000)], [], o);
    expect(span).toMatchObject({ incidentId: 'an_1', startMs: 100_000, endMs: 620_000 });
  });

  it('a recovery after the latest announcement ends it; a failed outcome, or one before the latest announcement, does not', () => {
    const anomalies = [announce('an_1', 'db-1', 100_000), announce('an_2', 'db-1', 220_000, 'an_1', 100_000)];
    expect(incidentSpansFromEvents(anomalies, [recovered('db-1', 'an_1', 230_000)], o)[0].endMs).toBe(230_000);
    expect(incidentSpansFromEvents(anomalies, [recovered('db-1', 'an_1', 230_000, false)], o)[0].endMs).toBe(340_000);
    expect(incidentSpansFromEvents(anomalies, [recovered('db-1', 'an_1', 150_000)], o)[0].endMs).toBe(340_000);
    // An outcome that names only the anomaly (an older verifier) belongs to the incident that anomaly opened.
    const older = Outcome.fromPartial({ meta: { id: 'o', component: 'db-1', timeMs: 250_000 }, incident: { anomalyId: 'an_1', component: 'db-1' }, recovered: true });
    expect(incidentSpansFromEvents([announce('an_1', 'db-1', 100_000)], [older], o)[0].endMs).toBe(220_000);
  });

  it('maxIncidentMs - a span ends at most that long after its start, however long it was announced', () => {
    const anomalies = [announce('an_1', 'db-1', 9_000_000), announce('an_2', 'db-1', 9_950_000, 'an_1', 9_000_000)];
    expect(incidentSpansFromEvents(anomalies, [], { ...o, maxIncidentMs: 600_000 })).toEqual([{ component: 'db-1', incidentId: 'an_1', startMs: 9_000_000, endMs: 9_600_000 }]);
  });

  it('anomalies without a component or time are skipped; one without incident_id is its own incident', () => {
    const spans = incidentSpansFromEvents([announce('an_1', '', 100_000), announce('an_2', 'db-1', 0), announce('an_3', 'db-1', 100_000), announce('an_4', 'db-1', 900_000)], [], o);
    expect(spans.map((s) => s.incidentId)).toEqual(['an_3', 'an_4']);
  });
});

describe('overlapsSpans', () => {
  it('tests overlap per component, with the margin on both sides', () => {
    const inIncident = overlapsSpans([{ component: 'db-1', incidentId: 'an_1', startMs: 100_000, endMs: 200_000 }], 10_000);
    expect([
      inIncident('db-1', 0, 89_999),
      inIncident('db-1', 0, 90_000),
      inIncident('db-1', 150_000, 150_000),
      inIncident('db-1', 210_000, 300_000),
      inIncident('db-1', 210_001, 300_000),
      inIncident('db-2', 150_000, 150_000),
    ]).toEqual([false, true, true, true, false, false]);
  });
});
