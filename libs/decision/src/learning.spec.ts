import { DecisionEngine } from './decision-engine';
import type { DecisionInput } from './explanation';
import { makePolicy } from './testing';

/** The library-level loop: decide, "execute", record the outcome, decide again. */
describe('learning', () => {
  const policies = [
    makePolicy({ id: 'restart-first', action: 'restart', priority: 90, conditions: { causes: ['cpu_saturation'] } }),
    makePolicy({ id: 'scale-works', action: 'scale_up', priority: 60, conditions: { causes: ['cpu_saturation'] } }),
  ];
  const works: Record<string, boolean> = { 'restart-first': false, 'scale-works': true };
  const input: DecisionInput = { component: 'api-1', kind: 'api', severity: 'high', cause: 'cpu_saturation' };

  it('learning - the ranking flips to the action that works after a few failed outcomes', () => {
    let now = Date.UTC(2025, 0, 1);
    const engine = new DecisionEngine({ policies, clock: () => now });
    const chosen: string[] = [];
    for (let i = 0; i < 6; i++) {
      const d = engine.decide(input);
      const id = d.chosen!.policy.id;
      chosen.push(id);
      engine.recordOutcome({ policyId: id, action: d.chosen!.policy.action, component: input.component, recovered: works[id], timeMs: now });
      now += 60_000;
    }
    // 0.52 → 0.437 → 0.395 for the failing restart; the scale-up starts at 0.43.
    expect(chosen).toEqual(['restart-first', 'restart-first', 'scale-works', 'scale-works', 'scale-works', 'scale-works']);
    const last = engine.decide(input).explanation.ranking;
    expect(last.map((r) => r.policyId)).toEqual(['scale-works', 'restart-first']);
    expect(last[1].successRate).toBeCloseTo(1 / 4, 12);
  });

  it('learning - what failed on one component counts less on another', () => {
    const engine = new DecisionEngine({ policies, clock: () => Date.UTC(2025, 0, 1) });
    for (let i = 0; i < 2; i++) engine.recordOutcome({ policyId: 'restart-first', action: 'restart', component: 'api-1', recovered: false, timeMs: 0 });
    expect(engine.decide(input).chosen?.policy.id).toBe('scale-works');
    // On api-2 the two failures weigh half: Beta(1, 1 + 0.5·2) → 1/3, still ahead.
    const other = engine.decide({ ...input, component: 'api-2' });
    expect(other.chosen?.policy.id).toBe('restart-first');
    expect(other.chosen?.successRate).toBeCloseTo(1 / 3, 12);
  });
});
