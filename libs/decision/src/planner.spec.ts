import { Guardrails, type GuardrailsConfigInput } from '@x0/guardrails';
import { DecisionEngine } from './decision-engine';
import { IncidentAttempts } from './incident-attempts';
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

  it('plan - an action that already failed on this incident is not chosen again for it; the plan says why', () => {
    const throttle = makePolicy({ id: 'dependency-throttle', action: 'throttle', priority: 100, cooldownS: 0 });
    const failover = makePolicy({ id: 'dependency-failover', action: 'failover', priority: 20, cooldownS: 0 });
    const { planner, clock } = setup([throttle, failover]);
    const incident = (over: Partial<PlanRequest> = {}) => req({ component: 'demo-queue', cause: 'dependency_down', incidentId: 'an_1', ...over });
    expect(planner.plan(incident({ planId: 'pl_1' })).action).toBe('throttle');
    clock.now += 60_000;
    planner.recordOutcome({ policyId: 'dependency-throttle', action: 'throttle', component: 'demo-queue', recovered: false, timeMs: clock.now, planId: 'pl_1', incidentId: 'an_1' });
    // The same outcome again (redelivered): counted once.
    planner.recordOutcome({ policyId: 'dependency-throttle', action: 'throttle', component: 'demo-queue', recovered: false, timeMs: clock.now, planId: 'pl_1', incidentId: 'an_1' });
    clock.now += 30_000; // re-announced: same incident
    const d = planner.plan(incident({ planId: 'pl_2' }));
    expect(d).toMatchObject({ status: 'dispatch', action: 'failover' });
    expect(d.explanation.ranking.map((r) => [r.policyId, r.rejectedBecause])).toEqual([
      ['dependency-throttle', 'throttle already tried on this incident ×1 (not recovered)'],
      ['dependency-failover', ''],
    ]);
    expect(d.explanation.summary).toMatch(
      /^chose failover \(dependency-failover\), rank 2, because throttle already tried on this incident ×1 \(not recovered\); ranked first: throttle \(dependency-throttle\): /,
    );
    // Another incident (demo-web's, or a later one of demo-queue) may still get throttle.
    expect(planner.preview(incident({ incidentId: 'an_2' })).action).toBe('throttle');
    expect(planner.preview(req({ component: 'demo-web', cause: 'dependency_down', incidentId: 'an_3' })).action).toBe('throttle');
  });

  it('plan - every candidate failed on the incident: no action, said plainly; a pending approval still blocks', () => {
    const throttle = makePolicy({ id: 'dependency-throttle', action: 'throttle', priority: 100, cooldownS: 0 });
    const failover = makePolicy({ id: 'dependency-failover', action: 'failover', priority: 20, risk: 'high', cooldownS: 0 });
    const { planner, clock } = setup([throttle, failover], { ...quiet, approval: { enabled: true, minRisk: 'high' } });
    const incident = (over: Partial<PlanRequest> = {}) => req({ component: 'demo-queue', cause: 'dependency_down', incidentId: 'an_1', ...over });
    const fail = (action: string, planId: string, actionFailed = false) =>
      planner.recordOutcome({ policyId: `dependency-${action}`, action, component: 'demo-queue', recovered: false, timeMs: clock.now, planId, incidentId: 'an_1', actionFailed });
    expect(planner.plan(incident({ planId: 'pl_1' })).action).toBe('throttle');
    fail('throttle', 'pl_1');
    clock.now += 30_000;
    const held = planner.plan(incident({ planId: 'pl_2' }));
    expect(held).toMatchObject({ status: 'pending_approval', action: 'failover' });
    clock.now += 30_000;
    // failover awaits an operator; throttle did nothing: blocked, with both reasons.
    const waiting = planner.plan(incident({ planId: 'pl_3' }));
    expect(waiting).toMatchObject({ status: 'blocked', action: 'failover' });
    expect(waiting.explanation.summary).toMatch(
      /^blocked: failover \(dependency-failover\) on demo-queue stopped by guardrails; not chosen again: throttle already tried on this incident ×1 \(not recovered\); ranked first: throttle /,
    );
    // The approved failover fails too: nothing left to try on this incident.
    fail('failover', 'pl_2', true);
    clock.now += 30_000;
    const none = planner.plan(incident({ planId: 'pl_4' }));
    expect(none).toMatchObject({ status: 'no_action', params: {} });
    expect(none.policy).toBeUndefined();
    expect(none.explanation.summary).toBe(
      'no action: nothing left to try on incident an_1 — every applicable action already failed on it: throttle already tried on this incident ×1 (not recovered); failover already tried on this incident ×1 (action failed)',
    );
  });

  it('plan - an incident is forgotten after the retention; counts and mixed verdicts', () => {
    const throttle = makePolicy({ id: 'dependency-throttle', action: 'throttle', priority: 100, cooldownS: 0 });
    const failover = makePolicy({ id: 'dependency-failover', action: 'failover', priority: 20, cooldownS: 0 });
    const clock = manualClock();
    const engine = new DecisionEngine({ policies: [throttle, failover], clock: clock.fn });
    const attempts = new IncidentAttempts({ retentionMs: 10 * 60_000, maxIncidents: 2 });
    const planner = new Planner({ engine, guardrails: new Guardrails({ config: quiet, clock: clock.fn }), attempts });
    attempts.record({ incidentId: 'an_1', action: 'throttle', verdict: 'not_recovered', atMs: clock.now, planId: 'pl_1' });
    attempts.record({ incidentId: 'an_1', action: 'throttle', verdict: 'action_failed', atMs: clock.now, planId: 'pl_2' });
    attempts.record({ incidentId: 'an_1', action: 'throttle', verdict: 'not_recovered', atMs: clock.now, planId: 'pl_3' });
    const r = () => req({ component: 'demo-queue', cause: 'dependency_down', incidentId: 'an_1' });
    expect(planner.preview(r()).explanation.ranking[0].rejectedBecause).toBe('throttle already tried on this incident ×3 (2 not recovered, 1 action failed)');
    clock.now += 10 * 60_000;
    expect(planner.preview(r()).action).toBe('throttle');
    expect(attempts.size).toBe(0);
    // At most maxIncidents: the one whose last failure is oldest goes first.
    for (const id of ['an_2', 'an_3', 'an_4']) attempts.record({ incidentId: id, action: 'throttle', verdict: 'not_recovered', atMs: clock.now });
    expect(attempts.size).toBe(2);
    expect(attempts.failed('an_2', 'throttle', clock.now)).toBeUndefined();
    expect(attempts.failed('an_4', 'throttle', clock.now)?.count).toBe(1);
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
