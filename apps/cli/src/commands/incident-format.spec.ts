import { Incident, Severity, Verdict } from '@x0/contracts';
import { formatIncident, incidentOutcome, incidentsFooter, signatureSummary } from './incident-format';

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
        'outcome    recovered in 12.3 s',
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

  it('list footer - says what a row is: none while an incident is open without an outcome, one per action tried on a lasting fault', () => {
    expect(incidentsFooter(0)).toBe(
      'no recorded incident (an incident is recorded when the outcome of its action is known: a lasting fault has a row per action tried on it, one still open without an outcome has none yet (x0 pending, x0 audit))',
    );
    expect(incidentsFooter(3)).toMatch(/^3 recorded incident\(s\) \(an incident is recorded when the outcome of its action is known: a lasting fault has a row per action tried on it/);
  });
});
