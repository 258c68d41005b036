import { InvalidArgumentError } from '@x0/core';
import { Anomaly, Severity } from '@x0/contracts';
import { diagnose, EVIDENCE_UNAVAILABLE } from './diagnose';

const anomaly = (metrics: Array<[string, number, number, number]>, score = 0.9) =>
  Anomaly.fromPartial({
    meta: { id: 'an_1', parentId: 'mb_1', component: 'web-1', timeMs: 1000, source: 'monitor' },
    score,
    severity: Severity.SEVERITY_HIGH,
    metrics: metrics.map(([metric, value, expected, s]) => ({ metric, value, expected, score: s })),
    signature: [0.1, 0.2],
    kind: 'web',
  });

describe('diagnose', () => {
  it('bad metrics - a non-finite value, expected value or score, or an empty metric name, is rejected naming the field (cpu=NaN was diagnosed gc_pauses)', () => {
    const cases: Array<[[string, number, number, number], string]> = [
      [['cpu', 0.9, 0.3, NaN], `'metrics[1].score' must be finite, got NaN (metric "cpu")`],
      [['cpu', NaN, 0.3, 0.9], `'metrics[1].value' must be finite, got NaN (metric "cpu")`],
      [['cpu', 0.9, Infinity, 0.9], `'metrics[1].expected' must be finite, got Infinity (metric "cpu")`],
      [[' ', 0.9, 0.3, 0.9], `'metrics[1].metric' must not be empty`],
    ];
    for (const [bad, message] of cases) {
      const a = anomaly([['latency_ms', 500, 100, 0.8], bad]);
      expect(() => diagnose(a, EVIDENCE_UNAVAILABLE)).toThrow(InvalidArgumentError);
      expect(() => diagnose(a, EVIDENCE_UNAVAILABLE)).toThrow(message);
    }
  });

  it('without knowledge: cause from the metrics, incident context carried, ids derived', () => {
    const d = diagnose(anomaly([['cpu_usage', 0.98, 0.4, 0.95]]), undefined, 5000);
    expect(d.probableCause).toBe('cpu_saturation');
    expect(d.meta).toEqual({ id: d.incident!.diagnosisId, parentId: 'an_1', component: 'web-1', timeMs: 5000, source: 'analyze' });
    expect(d.incident).toMatchObject({ anomalyId: 'an_1', batchId: 'mb_1', kind: 'web', cause: 'cpu_saturation', metrics: ['cpu_usage'] });
    expect(d.confidence).toBeGreaterThan(0.8);
    expect(d.candidates).toEqual([]);
    expect(d.summary).toContain('no similar past incident');
    expect(diagnose(anomaly([['cpu_usage', 0.98, 0.4, 0.95]])).meta!.id).toBe(d.meta!.id);
  });

  it('similar incidents - one whose similarity is not above 0 is not similar: it neither counts, votes, is cited nor backs an action', () => {
    const evidence = {
      incidents: [
        { id: 'i1', similarity: 0.9, cause: 'cpu_saturation', action: 'scale_up', recovered: true },
        { id: 'i2', similarity: -0.006, cause: 'memory_leak', action: 'restart', recovered: true },
        { id: 'i3', similarity: 0, cause: 'memory_leak', action: 'restart', recovered: true },
      ],
      runbooks: [],
    };
    const d = diagnose(anomaly([['cpu_usage', 0.98, 0.4, 0.95]]), evidence, 5000);
    expect(d.summary).toBe('cpu saturation on web-1 (cpu_usage off baseline); 1 similar past incident(s)');
    expect(d.citations.map((c) => c.id)).toEqual(['i1']);
    expect(d.candidates.map((c) => c.action)).toEqual(['scale_up']);
    // The same as with the one similar incident alone: the others took no share of the votes.
    expect(d.confidence).toBe(diagnose(anomaly([['cpu_usage', 0.98, 0.4, 0.95]]), { incidents: [evidence.incidents[0]], runbooks: [] }, 5000).confidence);
  });

  it('knowledge did not answer: the summary says the evidence was not consulted, not that there is no similar past incident', () => {
    const d = diagnose(anomaly([['cpu_usage', 0.98, 0.4, 0.95]]), EVIDENCE_UNAVAILABLE, 5000);
    expect(d.probableCause).toBe('cpu_saturation');
    expect(d.summary).not.toContain('no similar past incident');
    expect(d.summary).toBe('cpu saturation on web-1 (cpu_usage off baseline); evidence unavailable (knowledge did not answer): past incidents and runbooks not consulted');
  });

  it('similar incidents can overrule a weak metric guess and rank actions by what worked', () => {
    const d = diagnose(anomaly([['value', 5, 1, 0.9]]), {
      incidents: [
        { id: 'i1', similarity: 0.95, cause: 'memory_leak', action: 'restart', recovered: true },
        { id: 'i2', similarity: 0.9, cause: 'memory_leak', action: 'restart', recovered: true },
        { id: 'i3', similarity: 0.8, cause: 'memory_leak', action: 'scale_up', recovered: false },
      ],
      runbooks: [],
    });
    expect(d.probableCause).toBe('memory_leak');
    expect(d.candidates.map((c) => [c.action, c.similarIncidents, c.successes])).toEqual([
      ['restart', 2, 2],
      ['scale_up', 1, 0],
    ]);
    expect(d.citations.map((c) => c.id)).toEqual(['i1', 'i2', 'i3']);
  });

  it('runbooks alone give candidate actions and citations on a brand-new system', () => {
    const d = diagnose(anomaly([['heap_used_bytes', 9, 2, 0.9]]), {
      incidents: [],
      runbooks: [{ id: 'rb-1', title: 'Memory leak', text: 'Restart the process...', score: 0.7, cause: 'memory_leak', actions: ['restart', 'scale_up'] }],
    });
    expect(d.probableCause).toBe('memory_leak');
    expect(d.candidates.map((c) => c.action)).toEqual(['restart', 'scale_up']);
    expect(d.candidates[0].rationale).toBe('no similar incident used it; recommended by the runbook');
    expect(d.citations[0]).toMatchObject({ kind: 'runbook', id: 'rb-1' });
  });

  it('an action that failed on every similar incident is not listed first among actions of equal support (the runbook alone)', () => {
    // A lasting dependency outage: throttle was tried three times and did not help; the runbook names all three.
    const failed = (id: string) => ({ id, similarity: 0.98, cause: 'dependency_down', action: 'throttle', recovered: false });
    const d = diagnose(anomaly([['error_rate', 0.4, 0.005, 1], ['rps', 26, 495, 1]]), {
      incidents: [failed('i1'), failed('i2'), failed('i3')],
      runbooks: [{ id: 'rb-1', title: 'Dependency down', text: 'Fail over...', score: 0.7, cause: 'dependency_down', actions: ['failover', 'throttle', 'restart'] }],
    });
    expect(d.candidates.map((c) => [c.action, c.similarIncidents, c.successes, c.support])).toEqual([
      ['failover', 0, 0, 0.2],
      ['restart', 0, 0, 0.2],
      ['throttle', 3, 0, 0.2],
    ]);
  });

  describe('a re-announced incident', () => {
    const START = Date.parse('2026-11-27T07:00:00Z');
    // Announcement 5 of a lasting dependency outage that opened 13 min 20 s earlier as an_1.
    const reannounced = () =>
      Anomaly.fromPartial({
        ...anomaly([['error_rate', 0.4, 0.005, 1], ['rps', 26, 495, 1]]),
        meta: { id: 'an_5', parentId: 'mb_5', component: 'demo-queue', timeMs: START + 800_000, source: 'monitor' },
        incidentId: 'an_1',
        incidentStartMs: START,
        announcement: 5,
      });
    const runbook = { id: 'rb-1', title: 'Dependency down', text: 'Fail over...', score: 0.7, cause: 'dependency_down', actions: ['throttle', 'failover'] };

    it('summary - names the incident it continues, how long it is open, the announcement and what was tried on it', () => {
      const d = diagnose(reannounced(), { incidents: [], runbooks: [runbook], tried: [{ action: 'throttle', attempts: 3, recovered: 0 }] });
      expect(d.incident).toMatchObject({ anomalyId: 'an_5', incidentId: 'an_1', incidentStartMs: START, announcement: 5 });
      expect(d.summary).toBe(
        'dependency down on demo-queue (rps, error_rate off baseline); continues incident an_1 (open 13m20s, announcement 5); tried throttle ×3, not recovered; no similar past incident; runbook: Dependency down',
      );
      // Throttle failed three times on this very incident: failover (equal support, untried) first.
      expect(d.candidates.map((c) => [c.action, c.rationale])).toEqual([
        ['failover', 'no similar incident used it; recommended by the runbook'],
        ['throttle', 'no similar incident used it; recommended by the runbook; not recovered ×3 on this incident'],
      ]);
    });

    it('summary - nothing recorded yet, a recovery among the attempts, knowledge not answering', () => {
      expect(diagnose(reannounced(), { incidents: [], runbooks: [], tried: [] }).summary).toContain('; continues incident an_1 (open 13m20s, announcement 5); no outcome recorded on it yet;');
      expect(
        diagnose(reannounced(), {
          incidents: [],
          runbooks: [],
          tried: [
            { action: 'throttle', attempts: 2, recovered: 1 },
            { action: 'failover', attempts: 1, recovered: 0 },
          ],
        }).summary,
      ).toContain('; tried throttle ×2 (1 recovered), failover ×1;');
      expect(diagnose(reannounced()).summary).toContain('; continues incident an_1 (open 13m20s, announcement 5); no similar past incident');
      // The announcement that opened the incident continues nothing.
      const first = Anomaly.fromPartial({ ...reannounced(), meta: { ...reannounced().meta!, id: 'an_1' }, announcement: 1 });
      expect(diagnose(first, { incidents: [], runbooks: [], tried: [] }).summary).not.toContain('continues');
    });

    it('evidence - records of its own incident are not similar past incidents: no vote, no citation, no confidence gained', () => {
      const own = (id: string) => ({ id, similarity: 0.99, cause: 'dependency_down', action: 'throttle', recovered: false });
      const alone = diagnose(reannounced(), { incidents: [], runbooks: [] });
      // A knowledge service that does not leave them out itself sends at least the opening announcement's record.
      const d = diagnose(reannounced(), { incidents: [own('an_1'), own('an_5')], runbooks: [] });
      expect(d.citations).toEqual([]);
      expect(d.summary).toContain('no similar past incident');
      expect(d.confidence).toBe(alone.confidence);
    });
  });
});
