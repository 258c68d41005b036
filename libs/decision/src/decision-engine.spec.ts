import { InvalidArgumentError } from '@x0/core';
import { DecisionEngine, type DecisionEngineOptions } from './decision-engine';
import type { DecisionInput } from './explanation';
import { makePolicy } from './testing';

const NOW = Date.UTC(2025, 5, 1);
const H = 3_600_000;

function engine(options: DecisionEngineOptions = {}) {
  return new DecisionEngine({ clock: () => NOW, ...options });
}
const input = (over: Partial<DecisionInput> = {}): DecisionInput => ({ component: 'web-1', kind: 'web', severity: 'high', cause: 'cpu_saturation', ...over });
const outcome = (policyId: string, recovered: boolean, component = 'web-1', timeMs = NOW) => ({ policyId, action: 'restart', component, recovered, timeMs });

describe('decision-engine', () => {
  it('score - a policy with no history: 0.5·0.5 (prior mean) + 0.3·priority/100 + 0.2·0 (never succeeded)', () => {
    const e = engine({ policies: [makePolicy({ priority: 80 })] });
    const [s] = e.rank(input()).candidates;
    expect(s.successRate).toBe(0.5);
    expect(s.priority).toBe(0.8);
    expect(s.recency).toBe(0);
    expect(s.score).toBeCloseTo(0.49, 12);
  });

  it('successRate - Beta(1,1) posterior mean of this component’s outcomes', () => {
    const e = engine({ policies: [makePolicy({ id: 'p' })] });
    for (const ok of [true, true, true, false]) e.recordOutcome(outcome('p', ok));
    expect(e.rank(input()).candidates[0].successRate).toBeCloseTo(4 / 6, 12);
  });

  it('successRate - outcomes on other components count with weight 0.5', () => {
    const e = engine({ policies: [makePolicy({ id: 'p' })] });
    e.recordOutcome(outcome('p', true, 'web-2'));
    e.recordOutcome(outcome('p', true, 'web-2'));
    const here = e.rank(input()).candidates[0];
    expect(here.successRate).toBeCloseTo((1 + 0.5 * 2) / (2 + 0.5 * 2), 12);
    expect(here.observations).toEqual({ successes: 0, failures: 0, otherSuccesses: 1, otherFailures: 0, evidenceSuccesses: 0, evidenceTrials: 0 });
    expect(e.rank(input({ component: 'web-2' })).candidates[0].successRate).toBeCloseTo(3 / 4, 12);
  });

  it('successRate - prior and weights are configurable', () => {
    const e = engine({ policies: [makePolicy({ id: 'p' })], scoring: { prior: { alpha: 2, beta: 8 }, otherComponentsWeight: 0 } });
    e.recordOutcome(outcome('p', true, 'web-2'));
    expect(e.rank(input()).candidates[0].successRate).toBeCloseTo(0.2, 12);
  });

  it('recency - halves every half-life since the last success anywhere; failures do not refresh it', () => {
    const e = engine({ policies: [makePolicy({ id: 'p' })] });
    e.recordOutcome(outcome('p', true, 'web-9', NOW - 24 * H));
    e.recordOutcome(outcome('p', false, 'web-9', NOW - H));
    expect(e.rank(input()).candidates[0].recency).toBeCloseTo(0.5, 12);
    const e2 = engine({ policies: [makePolicy({ id: 'p' })], scoring: { recencyHalfLifeS: 3600 } });
    e2.recordOutcome(outcome('p', true, 'web-1', NOW - 2 * H));
    expect(e2.rank(input()).candidates[0].recency).toBeCloseTo(0.25, 12);
    e2.recordOutcome(outcome('p', true, 'web-1', NOW + H));
    expect(e2.rank(input()).candidates[0].recency).toBe(1);
  });

  it('evidence - similar incidents are pseudo-observations weighted by support', () => {
    const e = engine({ policies: [makePolicy({ id: 'p' })] });
    const [s] = e.rank(input({ evidence: [{ action: 'restart', similarIncidents: 8, successes: 7, support: 0.5 }] })).candidates;
    // 4 pseudo-trials, 3.5 pseudo-successes on top of Beta(1,1).
    expect(s.successRate).toBeCloseTo(4.5 / 6, 12);
    expect(s.evidence).toBeCloseTo(4.5 / 6 - 0.5, 12);
    expect(s.observations.evidenceTrials).toBeCloseTo(4, 12);
  });

  it('evidence - capped at maxIncidents, keeping the observed rate', () => {
    const e = engine({ policies: [makePolicy({ id: 'p' })] });
    const [s] = e.rank(input({ evidence: [{ action: 'restart', similarIncidents: 1000, successes: 250, support: 1 }] })).candidates;
    expect(s.successRate).toBeCloseTo((1 + 5) / (2 + 20), 12);
  });

  it('evidence - favours the action that worked on similar incidents', () => {
    const policies = [makePolicy({ id: 'restart', action: 'restart', priority: 60 }), makePolicy({ id: 'scale', action: 'scale_up', priority: 50 })];
    const e = engine({ policies });
    expect(e.decide(input()).chosen?.policy.id).toBe('restart');
    const d = e.decide(input({ evidence: [{ action: 'scale_up', similarIncidents: 10, successes: 10, support: 1, rationale: 'inc-42 scaled' }] }));
    expect(d.chosen?.policy.id).toBe('scale');
    expect(d.explanation.evidence).toContain('similar incidents: scale_up recovered 10 of 10 (support 1.000) → 10.000 pseudo-observations; inc-42 scaled');
  });

  it('conditions - component glob, kinds, severity, cause (missing = unknown), enabled', () => {
    const policies = [
      makePolicy({ id: 'glob', conditions: { component: 'db-?' } }),
      makePolicy({ id: 'kind', conditions: { kinds: ['db'] } }),
      makePolicy({ id: 'sev', conditions: { minSeverity: 'high' } }),
      makePolicy({ id: 'cause', conditions: { causes: ['disk_full'] } }),
      makePolicy({ id: 'unknown', conditions: { causes: ['unknown'] } }),
      makePolicy({ id: 'off', enabled: false }),
      makePolicy({ id: 'any' }),
    ];
    const e = engine({ policies });
    const ids = (i: DecisionInput) => e.rank(i).candidates.map((c) => c.policy.id).sort();
    expect(ids(input({ severity: 'medium' }))).toEqual(['any']);
    expect(ids(input({ component: 'db-1', kind: 'db', severity: 'high', cause: 'disk_full' }))).toEqual(['any', 'cause', 'glob', 'kind', 'sev']);
    expect(ids(input({ component: 'db-12', severity: 'low', cause: '' }))).toEqual(['any', 'unknown']);
    const reasons = e.decide(input({ severity: 'medium' })).explanation.notApplicable;
    expect(reasons).toEqual([
      { policyId: 'glob', action: 'restart', reason: "component web-1 does not match 'db-?'" },
      { policyId: 'kind', action: 'restart', reason: 'kind web not in [db]' },
      { policyId: 'sev', action: 'restart', reason: 'severity medium below high' },
      { policyId: 'cause', action: 'restart', reason: 'cause cpu_saturation not in [disk_full]' },
      { policyId: 'unknown', action: 'restart', reason: 'cause cpu_saturation not in [unknown]' },
      { policyId: 'off', action: 'restart', reason: 'disabled' },
    ]);
  });

  it('availableActions - only actions the component can perform are candidates', () => {
    const e = engine({ policies: [makePolicy({ id: 'r', action: 'restart', priority: 90 }), makePolicy({ id: 's', action: 'scale_up' })] });
    expect(e.decide(input({ availableActions: ['scale_up'] })).chosen?.policy.id).toBe('s');
    const none = e.decide(input({ availableActions: [] }));
    expect(none.chosen).toBeUndefined();
    expect(none.explanation.summary).toBe('no action: none of 2 policies apply to web-1 (2 action not available on web-1)');
    expect(none.explanation.evidence).toContain('available actions: (none)');
  });

  it('decide - no policy at all says so', () => {
    expect(engine().decide(input()).explanation.summary).toBe('no action: none of 0 policies apply to web-1');
  });

  it('decide - the explanation breaks every alternative into its three terms', () => {
    const e = engine({ policies: [makePolicy({ id: 'a', priority: 90 }), makePolicy({ id: 'b', action: 'scale_up', priority: 40 })] });
    e.recordOutcome({ ...outcome('b', true), action: 'scale_up' });
    const d = e.decide(input({ confidence: 0.83 }));
    expect(d.chosen?.policy.id).toBe('b');
    const [first, second] = d.explanation.ranking;
    expect(first).toMatchObject({ policyId: 'b', action: 'scale_up', rejectedBecause: '' });
    expect(first.contributions.successRate + first.contributions.priority + first.contributions.recency).toBeCloseTo(first.score, 12);
    expect(first.contributions).toEqual({ successRate: 0.5 * (2 / 3), priority: 0.3 * 0.4, recency: 0.2 });
    expect(second.rejectedBecause).toBe(`lower score (0.520 < 0.653)`);
    expect(d.explanation.summary).toBe('chose scale_up (b): 0.653 = 0.5·0.667 success + 0.3·0.400 priority + 0.2·1.000 recency; 1 alternative');
    expect(d.explanation.evidence[0]).toBe('diagnosis: web-1 (web), severity high, cause cpu_saturation (confidence 0.830)');
    expect(d.explanation.guardrails).toEqual([]);
  });

  it('decide - a long ranking lists the best alternatives and counts the rest', () => {
    const policies = Array.from({ length: 30 }, (_, i) => makePolicy({ id: `p${i}`, priority: i, conditions: { causes: i < 25 ? [] : ['disk_full'] } }));
    const d = engine({ policies, explain: { maxAlternatives: 3, maxNotApplicable: 2 } }).decide(input());
    expect(d.ranking).toHaveLength(25);
    expect(d.explanation.ranking.map((r) => r.policyId)).toEqual(['p24', 'p23', 'p22']);
    expect(d.explanation.notApplicable.map((n) => n.policyId)).toEqual(['p25', 'p26']);
    expect(d.explanation.omitted).toEqual({ alternatives: 22, notApplicable: 3 });
    expect(d.explanation.summary).toMatch(/; 24 alternatives$/);
    expect(() => engine({ explain: { maxAlternatives: 0 } })).toThrow("'explain.maxAlternatives' must be ≥ 1");
  });

  it('rank - ties are broken by priority, then id', () => {
    const e = engine({
      policies: [makePolicy({ id: 'b', priority: 50 }), makePolicy({ id: 'a', priority: 50 }), makePolicy({ id: 'c', priority: 50, action: 'x' })],
      scoring: { weights: { successRate: 1, priority: 0, recency: 0 } },
    });
    expect(e.rank(input()).candidates.map((c) => c.policy.id)).toEqual(['a', 'b', 'c']);
  });

  it('setPolicies - validates and refuses duplicate ids', () => {
    expect(() => engine({ policies: [makePolicy({ id: 'a' }), makePolicy({ id: 'a' })] })).toThrow("'policies[1].id' duplicates policies[0] ('a')");
    expect(() => engine({ policies: [makePolicy({ priority: 200 })] })).toThrow("'policies[0].priority' must be ≤ 100");
  });

  it('setPolicies - a set an older release stored is taken whole (the value checks belong to where policies are written)', () => {
    const legacy = makePolicy({ id: 'old', priority: 50.5, cooldownS: 1e12, conditions: { causes: ['cpu_saturaton'] } });
    expect(engine({ policies: [legacy, makePolicy({ id: 'new' })] }).policies().map((p) => p.id)).toEqual(['old', 'new']);
  });

  it('rank - rejects malformed input naming the field', () => {
    const e = engine({ policies: [makePolicy()] });
    expect(() => e.rank(input({ component: '' }))).toThrow(new InvalidArgumentError('component', 'must be non-empty'));
    expect(() => e.rank(input({ severity: 'bad' as never }))).toThrow(`'severity' must be one of low, medium, high, got "bad"`);
    expect(() => e.rank(input({ evidence: [{ action: 'restart', similarIncidents: 2, successes: 3, support: 1 }] }))).toThrow(
      "'evidence[0].successes' must be between 0 and similarIncidents",
    );
    expect(() => e.rank(input({ evidence: [{ action: 'restart', similarIncidents: 2, successes: 1, support: 2 }] }))).toThrow("'evidence[0].support' must be in [0, 1]");
    expect(() => e.rank(input({ evidence: [{ action: 'restart', similarIncidents: 1, successes: 1, support: 1 }, { action: '', similarIncidents: 0, successes: 0, support: 0 }] }))).toThrow(
      "'evidence[1].action' must be non-empty",
    );
    expect(() => e.rank(input({ evidence: [{ action: 'restart', similarIncidents: 2.5, successes: 1, support: 1 }] }))).toThrow("'evidence[0].similarIncidents' must be a whole number ≥ 0, got 2.5");
  });

  it('scoring config - errors name the field', () => {
    expect(() => engine({ scoring: { prior: { alpha: 0 } } })).toThrow("'scoring.prior.alpha' must be > 0");
    expect(() => engine({ scoring: { weights: { successRate: 0, priority: 0, recency: 0 } } })).toThrow("'scoring.weights' must not all be 0");
    expect(() => engine({ scoring: { halfLife: 1 } as never })).toThrow("'scoring.halfLife' is not a known field");
  });

  it('exportStats/importStats - a new engine continues where the old one stopped', () => {
    const e = engine({ policies: [makePolicy({ id: 'p' })] });
    e.recordOutcome(outcome('p', false));
    const e2 = engine({ policies: [makePolicy({ id: 'p' })] });
    e2.importStats(JSON.parse(JSON.stringify(e.exportStats())));
    expect(e2.rank(input()).candidates[0].score).toBe(e.rank(input()).candidates[0].score);
  });
});
