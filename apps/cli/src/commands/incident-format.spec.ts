import { Incident, Severity, Verdict } from '@x0/contracts';
import { formatIncident, groupIncidents, incidentOutcome, incidentRows, incidentsFooter, signatureSummary } from './incident-format';
import { table } from './output';

const DETECTED = Date.parse('2026-11-27T07:11:54Z');

describe('x0 incidents formatting', () => {
  it('show - named fields, UTC times, severity and verdict as words, the signature summarised', () => {
    const incident = Incident.fromPartial({
      id: 'an_1',
      context: {
        anomalyId: 'an_1',
        batchId: 'mb_1',
        component: 'demo-db',
        kind: 'db',
        severity: Severity.SEVERITY_HIGH,
        score: 0.931,
        signature: Array.from({ length: 64 }, (_, k) => (k - 32) / 32),
        metrics: ['latency_ms', 'error_rate'],
        cause: 'dependency_down',
        diagnosisId: 'dg_1',
        planId: 'pl_1',
        policyId: 'dependency-failover',
        action: 'failover',
        actionId: 'ac_1',
        detectedMs: DETECTED,
      },
      verdict: Verdict.VERDICT_RECOVERED,
      recovered: true,
      timeToRecoverMs: 12_345,
      recordedMs: DETECTED + 20_000,
      outcomeId: 'oc_1',
    });
    expect(formatIncident(incident)).toBe(
      [
        'incident   an_1',
        'component  demo-db (db), severity high, score 0.931',
        'detected   2026-11-27 07:11:54 UTC',
        'metrics    latency_ms, error_rate',
        'cause      dependency_down',
        'action     failover (policy dependency-failover)',
        'outcome    recovered in 12.3 s after failover',
        'recorded   2026-11-27 07:12:14 UTC',
        'signature  64 values in [-1.000, 0.969] (x0 incidents show --json for all)',
        'ids',
        '  anomaly    an_1',
        '  batch      mb_1',
        '  diagnosis  dg_1',
        '  plan       pl_1',
        '  action     ac_1',
        '  outcome    oc_1',
      ].join('\n'),
    );
  });

  it('outcome - the words outcome events use: an unset verdict is unknown, not unspecified', () => {
    expect(incidentOutcome(Incident.fromPartial({ verdict: Verdict.VERDICT_UNSPECIFIED }))).toBe('unknown');
    expect(incidentOutcome(Incident.fromPartial({ verdict: Verdict.VERDICT_NOT_RECOVERED }))).toBe('not recovered');
    expect(incidentOutcome(Incident.fromPartial({ verdict: Verdict.VERDICT_DRY_RUN }))).toBe('dry run (not verified)');
    expect(signatureSummary([])).toBe('-');
  });

  it('list footer - says what a row is: an incident with its recorded outcomes, none while it is open without an outcome', () => {
    expect(incidentsFooter(0)).toBe(
      'no recorded incident (a row is an incident with the outcomes recorded on it; one still open without an outcome has none yet (x0 pending, x0 audit); x0 incidents show <incident> for each outcome)',
    );
    expect(incidentsFooter(2, 5)).toMatch(/^2 incident\(s\) from 5 recorded outcome\(s\) \(a row is an incident/);
  });
});

describe('x0 incidents - a lasting fault re-announced by the monitor', () => {
  const START = Date.parse('2026-11-27T07:00:00Z');
  const MIN = 60_000;
  /** The recorded outcome of announcement n of incident an_1 (an_1 opened it at START). */
  const attempt = (n: number, action: string, atMin: number, recovered = false) =>
    Incident.fromPartial({
      id: `an_${n}`,
      context: { anomalyId: `an_${n}`, component: 'demo-queue', cause: 'dependency_down', action, incidentId: 'an_1', incidentStartMs: START, announcement: n, detectedMs: START + (n - 1) * 3 * MIN },
      verdict: recovered ? Verdict.VERDICT_RECOVERED : Verdict.VERDICT_NOT_RECOVERED,
      recovered,
      timeToRecoverMs: recovered ? 12_345 : 0,
      outcomeMs: START + atMin * MIN,
      recordedMs: START + atMin * MIN + 300,
    });
  // Newest first, as ListIncidents answers; an older record (no incident id) in between.
  const older = Incident.fromPartial({
    id: 'an_web',
    context: { anomalyId: 'an_web', component: 'demo-web', cause: 'cpu_saturation', action: 'scale_up', detectedMs: START + 2 * MIN },
    verdict: Verdict.VERDICT_RECOVERED,
    recovered: true,
    timeToRecoverMs: 4_000,
    recordedMs: START + 3 * MIN,
  });
  const records = [attempt(6, 'failover', 16, true), attempt(4, 'throttle', 11), older, attempt(3, 'throttle', 8), attempt(1, 'throttle', 2)];

  it('list - one row per incident: when it started, what was tried, the latest outcome and how long it lasted from its start', () => {
    const groups = groupIncidents(records);
    expect(groups.map((g) => [g.incidentId, g.records.map((r) => r.id)])).toEqual([
      ['an_1', ['an_1', 'an_3', 'an_4', 'an_6']],
      ['an_web', ['an_web']],
    ]);
    expect(table(incidentRows(groups))).toBe(
      [
        'STARTED              COMPONENT   CAUSE            TRIED                  LAST OUTCOME                RECOVERED AFTER         INCIDENT',
        '2026-11-27 07:00:00  demo-queue  dependency_down  throttle ×3, failover  recovered (announcement 6)  16m00s                  an_1',
        '2026-11-27 07:02:00  demo-web    cpu_saturation   scale_up               recovered                   4.0 s after the action  an_web',
      ].join('\n'),
    );
  });

  it('show - a re-announcement says when its incident started, which announcement it is, and the incident\'s other outcomes', () => {
    const text = formatIncident(records[0], records.filter((r) => r.id !== 'an_web'));
    expect(text.split('\n').slice(0, 4)).toEqual([
      'incident   an_6 (announcement 6 of incident an_1)',
      'component  demo-queue, severity none, score 0.000',
      'started    2026-11-27 07:00:00 UTC (incident an_1)',
      'detected   2026-11-27 07:15:00 UTC (announcement 6, 15m00s after the start)',
    ]);
    expect(text).toContain('\noutcome    recovered in 12.3 s after failover, 16m00s after the incident started\n');
    expect(text).toContain(
      [
        'attempts   4 recorded outcome(s) of incident an_1, oldest first',
        '  2026-11-27 07:02:00  #1   throttle    not recovered  an_1',
        '  2026-11-27 07:08:00  #3   throttle    not recovered  an_3',
        '  2026-11-27 07:11:00  #4   throttle    not recovered  an_4',
        '* 2026-11-27 07:16:00  #6   failover    recovered in 12.3 s  an_6',
        'ids',
        '  incident   an_1',
        '  anomaly    an_6',
      ].join('\n'),
    );
  });
});
