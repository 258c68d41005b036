import { Guardrails, type GuardrailsConfigInput } from '@x0/guardrails';
import { DecisionEngine } from './decision-engine';
import { Planner, type PlanRequest } from './planner';
import type { Policy } from './policy';
import { makePolicy, manualClock } from './testing';

const quiet: GuardrailsConfigInput = {
  stabilisation: { enabled: false },
  rateLimit: { component: { enabled: false }, global: { enabled: false } },
  blastRadius: { enabled: false },
};

function setup(policies: Policy[], config: GuardrailsConfigInput = quiet) {
  const clock = manualClock();
  const engine = new DecisionEngine({ policies, clock: clock.fn });
  const guardrails = new Guardrails({ config, clock: clock.fn });
  return { clock, engine, guardrails, planner: new Planner({ engine, guardrails }) };
}
const req = (over: Partial<PlanRequest> = {}): PlanRequest => ({ component: 'web-1', kind: 'web', severity: 'high', cause: 'cpu_saturation', ...over });
const restart = makePolicy({ id: 'restart', action: 'restart', priority: 90, params: { graceful: 'true' }, executor: 'k8s' });
const scale = makePolicy({ id: 'scale', action: 'scale_up', priority: 50, params: { delta: '1' } });

describe('planner', () => {
  it('plan - dispatches the best policy with its params, executor and the guardrail lines', () => {
    const { planner } = setup([restart, scale]);
    const d = planner.plan(req());
    expect(d).toMatchObject({ status: 'dispatch', action: 'restart', params: { graceful: 'true' }, executor: 'k8s', dryRun: false });
    expect(d.policy?.id).toBe('restart');
    expect(d.explanation.guardrails).toContain('cooldown: ok');
    expect(d.explanation.ranking.map((r) => [r.policyId, r.rejectedBecause])).toEqual([
      ['restart', ''],
      ['scale', 'lower score than restart'],
    ]);
  });

  it('plan - high risk waits for approval; dry-run policies dispatch as dry runs', () => {
    expect(setup([makePolicy({ risk: 'high' })]).planner.plan(req()).status).toBe('pending_approval');
    const d = setup([makePolicy({ dryRun: true })]).planner.plan(req());
    expect(d).toMatchObject({ status: 'dispatch', dryRun: true });
    expect(d.verdict?.verdict).toBe('dry_run');
  });

  it('plan - while a high-risk action awaits an operator, the incident again gets the next action that needs none', () => {
    const rollback = makePolicy({ id: 'rollback', action: 'rollback', priority: 90, risk: 'high', cooldownS: 1 });
    const { planner, clock } = setup([rollback, scale], { ...quiet, approval: { enabled: true, minRisk: 'high' } });
    expect(planner.plan(req())).toMatchObject({ status: 'pending_approval', action: 'rollback' });
    clock.now += 20_000; // the incident is announced again, nobody has answered yet
    const d = planner.plan(req());
    expect(d).toMatchObject({ status: 'dispatch', action: 'scale_up' });
    expect(d.explanation.ranking[0].rejectedBecause).toBe('blocked: approval — rollback on web-1 was put to an operator 20s ago and is not finished');
  });

  it('plan - the admitted action is held by its plan: an outcome of an earlier plan does not free it', () => {
    const rollback = makePolicy({ id: 'rollback', action: 'rollback', priority: 90, risk: 'high', cooldownS: 0 });
    const { planner, clock } = setup([rollback], { ...quiet, approval: { enabled: true, minRisk: 'high' } });
    expect(planner.plan(req({ planId: 'pl_2' }))).toMatchObject({ status: 'pending_approval', action: 'rollback' });
    clock.now += 5_000;
    planner.recordOutcome({ policyId: 'rollback', action: 'rollback', component: 'web-1', recovered: true, timeMs: clock.now, planId: 'pl_1' });
    expect(planner.preview(req()).status).toBe('blocked');
    planner.recordOutcome({ policyId: 'rollback', action: 'rollback', component: 'web-1', recovered: true, timeMs: clock.now, planId: 'pl_2' });
    expect(planner.preview(req()).status).toBe('pending_approval');
  });

  it('plan - nothing applies: no_action with the reason', () => {
    const d = setup([restart]).planner.plan(req({ availableActions: ['throttle'] }));
    expect(d.status).toBe('no_action');
    expect(d.explanation.summary).toBe('no action: none of 1 policy applies to web-1 (1 action not available on web-1)');
  });

  it('plan - a block of one action (cooldown) falls back to the next-ranked action', () => {
    const { planner } = setup([restart, scale]);
    planner.plan(req());
    const d = planner.plan(req());
    expect(d).toMatchObject({ status: 'dispatch', action: 'scale_up' });
    expect(d.explanation.ranking[0].rejectedBecause).toBe('blocked: cooldown — restart on web-1 0s ago, cooldown 5m');
    expect(d.explanation.ranking[1].rejectedBecause).toBe('');
    expect(d.explanation.summary).toMatch(/^chose scale_up \(scale\), rank 2, because better-ranked actions were blocked; ranked first: restart \(restart\): 0\.\d{3} = /);
    expect(d.explanation.summary.match(/\bchose\b/g)).toHaveLength(1);
  });

  it('plan - a block of the component (rate limit) stops at the best candidate', () => {
    const { planner } = setup([restart, scale], { ...quiet, rateLimit: { component: { max: 1, windowS: 60 }, global: { enabled: false } } });
    planner.plan(req());
    const d = planner.plan(req());
    expect(d.status).toBe('blocked');
    expect(d.policy?.id).toBe('restart');
    expect(d.explanation.ranking[0].rejectedBecause).toMatch(/^blocked: cooldown — .*; rate_limit\(component\) — 1 actions in 1m, limit 1/);
    expect(d.explanation.ranking[1].rejectedBecause).toBe('lower score (0.400 < 0.520)');
    expect(d.explanation.guardrails).toContain('rate_limit(component): blocked — 1 actions in 1m, limit 1; next slot in 1m');
    expect(d.explanation.summary).toMatch(/^blocked: restart \(restart\) on web-1 stopped by guardrails; ranked first: restart \(restart\): 0\.520 = /);
    expect(d.explanation.summary).not.toContain('chose');
  });

  it('plan - a fallback beyond the explained alternatives is still explained', () => {
    const policies = ['a', 'b', 'c'].map((id, i) => makePolicy({ id, action: `act_${id}`, priority: 90 - i * 10 }));
    const clock = manualClock();
    const engine = new DecisionEngine({ policies, clock: clock.fn, explain: { maxAlternatives: 1 } });
    const planner = new Planner({ engine, guardrails: new Guardrails({ config: quiet, clock: clock.fn }) });
    planner.plan(req());
    planner.plan(req());
    const d = planner.plan(req());
    expect(d.action).toBe('act_c');
    expect(d.explanation.ranking.map((r) => [r.policyId, r.rejectedBecause.split(' — ')[0]])).toEqual([
      ['a', 'blocked: cooldown'],
      ['b', 'blocked: cooldown'],
      ['c', ''],
    ]);
    expect(d.explanation.omitted.alternatives).toBe(0);
  });

  it('preview - the same answer without counting anything', () => {
    const { planner } = setup([restart, scale]);
    expect(planner.preview(req()).action).toBe('restart');
    expect(planner.preview(req()).action).toBe('restart');
    expect(planner.plan(req()).action).toBe('restart');
    expect(planner.preview(req()).action).toBe('scale_up');
  });

  it('preview - counts the request as an anomaly for stabilisation, like plan(), without recording it', () => {
    const { planner } = setup([restart], { ...quiet, stabilisation: { minConsecutive: 1 } });
    expect(planner.preview(req()).status).toBe('dispatch');
    expect(planner.preview(req()).explanation.guardrails).toContain('stabilisation: ok — 1 anomaly over 0s');
  });

  it('plan - counts as an anomaly observation for stabilisation', () => {
    const { planner } = setup([restart], { ...quiet, stabilisation: { minConsecutive: 2, minPersistS: 0 } });
    expect(planner.plan(req()).explanation.guardrails).toContain('stabilisation: blocked — 1 anomaly over 0s; need 2 in a row');
    expect(planner.plan(req()).status).toBe('dispatch');
  });

  it('recordOutcome - teaches the engine and trips the breaker; dry runs teach nothing', () => {
    const { planner, engine, clock } = setup([restart, scale], { ...quiet, cooldown: { enabled: false }, circuitBreaker: { policy: { failures: 2 } } });
    planner.recordOutcome({ policyId: 'restart', action: 'restart', component: 'web-1', recovered: false, timeMs: clock.now, dryRun: true });
    expect(engine.exportStats().policies).toEqual({});
    for (let i = 0; i < 2; i++) planner.recordOutcome({ policyId: 'restart', action: 'restart', component: 'web-9', recovered: false, timeMs: clock.now });
    expect(engine.exportStats().policies['restart']).toMatchObject({ successes: 0, failures: 2 });
    const d = planner.plan(req());
    expect(d.action).toBe('scale_up');
    expect(d.explanation.ranking.find((r) => r.policyId === 'restart')?.rejectedBecause).toMatch(/circuit_breaker\(policy restart\) — open after 2 consecutive failed outcomes/);
  });
});
