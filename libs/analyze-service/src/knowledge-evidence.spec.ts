import { UnavailableError } from '@x0/core';
import { Anomaly, Severity, type EvidenceResponse } from '@x0/contracts';
import { diagnose } from './diagnose';
import { toEvidence } from './knowledge-evidence';

const runbook = { id: 'rb-1', title: 'CPU saturation — Symptoms', source: 'cpu-saturation.md', text: 'scale_up', score: 1, cause: 'cpu_saturation', actions: ['scale_up'] };
const answer = (error: string, runbooks = [runbook]): EvidenceResponse => ({ incidents: [], runbooks, error, tried: [] });

const anomaly = Anomaly.fromPartial({
  meta: { id: 'an_1', parentId: 'mb_1', component: 'walk-comp', timeMs: 1000, source: 'test' },
  score: 0.9,
  severity: Severity.SEVERITY_HIGH,
  metrics: [{ metric: 'cpu', value: 0.95, expected: 0.3, score: 0.9 }],
  signature: [0.1, 0.2, 0.3],
  kind: 'web',
});

describe('toEvidence', () => {
  it('partial answer - the part knowledge could not search is named in the diagnosis, not read as "no similar past incident"', () => {
    const ev = toEvidence(answer("incidents: 'request.vector' must have 64 elements, got 3"));
    expect(ev.failed).toEqual({ incidents: "'request.vector' must have 64 elements, got 3" });
    expect(diagnose(anomaly, ev).summary).toBe(
      "cpu saturation on walk-comp (cpu off baseline); past incidents not searched (knowledge: 'request.vector' must have 64 elements, got 3); runbook: CPU saturation — Symptoms",
    );
  });

  it('partial answer - both parts failed: each is named', () => {
    const ev = toEvidence(answer('incidents: store stopped; runbooks: embeddings endpoint answered 404', []));
    expect(ev.failed).toEqual({ incidents: 'store stopped', runbooks: 'embeddings endpoint answered 404' });
    expect(diagnose(anomaly, ev).summary).toBe(
      'cpu saturation on walk-comp (cpu off baseline); past incidents not searched (knowledge: store stopped); runbooks not searched (knowledge: embeddings endpoint answered 404)',
    );
    expect(toEvidence(answer('runbooks: embeddings endpoint answered 404', [])).failed).toEqual({ runbooks: 'embeddings endpoint answered 404' });
  });

  it('whole answer an error (the request could not be read) - unavailable, as no answer is; no error - nothing failed', () => {
    expect(() => toEvidence(answer('not an EvidenceRequest: invalid wire type', []))).toThrow(new UnavailableError('no evidence from knowledge: not an EvidenceRequest: invalid wire type'));
    expect(toEvidence(answer('')).failed).toBeUndefined();
    expect(diagnose(anomaly, toEvidence(answer(''))).summary).toContain('; no similar past incident; runbook: CPU saturation — Symptoms');
  });
});
