import type { Bus } from '@x0/bus';
import { Approval, Outcome, Plan, PlanStatus, Verdict } from '@x0/contracts';
import { DecisionEngine, type Policy } from '@x0/decision';
import { Guardrails, type GuardrailsConfigInput } from '@x0/guardrails';
import type { Logger, ServiceStats } from '@x0/service-kit';
import { DecisionClock, PlanRuntime } from './plan-runtime';
import type { PlanStore } from './plan-store';
import { makeDiagnosis } from './testing';

const MIN = 60_000;

/** What a test's store holds and how its guardrails are set. */
interface Stored {
  approvals?: Map<string, Approval>;
  outcomes?: Map<string, Outcome>;
  unreadable?: string[];
  guardrails?: GuardrailsConfigInput;
  /** A real engine (with policies), for tests that plan; default: one without policies. */
  engine?: DecisionEngine;
}

/** A PlanRuntime over stored plans (no bus: restore reads only the store; recording is a no-op); warnings kept. */
function runtime(plans: Plan[], now: () => number, stored: Stored = {}) {
  const guardrails = new Guardrails({ config: stored.guardrails ?? { stabilisation: { enabled: false } }, clock: now });
  const store = {
    since: async () => ({ plans, approvals: stored.approvals ?? new Map(), outcomes: stored.outcomes ?? new Map(), unreadable: stored.unreadable ?? [] }),
    recordApproval: async () => undefined,
    recordOutcome: async () => undefined,
  } as unknown as PlanStore;
  const engine = stored.engine ?? ({ policies: () => [] } as unknown as DecisionEngine);
  const warnings: Array<{ key: string; reason: string }> = [];
  const logger = { info: () => undefined, debug: () => undefined, warn: (o: { key: string; reason: string }) => warnings.push(o) } as unknown as Logger;
  const rt = new PlanRuntime({ bus: {} as Bus, logger, stats: {} as ServiceStats, engine, guardrails, clock: new DecisionClock(), explainCache: 10, store, maxDiagnosisAgeMs: 0, maxFeedbackAgeMs: 10 * MIN });
  const handlers = rt as unknown as { onApproval(a: Approval): Promise<unknown>; onOutcome(o: Outcome): Promise<unknown> };
  return { rt, guardrails, warnings, handlers };
}

const plan = (id: string, component: string, status: PlanStatus, timeMs: number) =>
  Plan.fromPartial({ meta: { id, component, timeMs, source: 'plan' }, status, action: 'failover', policyId: 'db-failover', incident: { kind: 'db' } });

describe('PlanRuntime.restore', () => {
  it('a restored plan awaiting approval holds its slot as long as the approval lives (approval.timeoutS > inFlightTimeoutS)', async () => {
    const t0 = 1_000_000_000;
    let now = t0 + 11 * MIN;
    const { rt, guardrails } = runtime(
      [plan('pl_1', 'db-1', PlanStatus.PLAN_STATUS_PENDING_APPROVAL, t0), plan('pl_2', 'db-2', PlanStatus.PLAN_STATUS_DISPATCH, t0)],
      () => now,
    );
    // Stored plans that still hold a slot are restored: the window covers approval.timeoutS (15 min)
    // and inFlightTimeoutS (10 min) after an approval at its last moment; here two cool-offs of the
    // global breaker (15 min) are longer still.
    expect(rt.restoreWindowMs()).toBe(30 * MIN);
    const restored = await rt.restore(now - rt.restoreWindowMs());
    expect(restored.map((a) => [a.planId, a.heldForApproval])).toEqual([['pl_1', true], ['pl_2', false]]);
    const failover = (component: string) => ({ component, kind: 'db', policyId: 'db-failover', action: 'failover', risk: 'high' as const });
    // 11 min after pl_1 was put to an operator: not asked a second time.
    expect(guardrails.evaluate(failover('db-1')).lines).toContain('approval: blocked — failover on db-1 was put to an operator 11m ago and is not finished');
    // A dispatched action without an outcome stops counting after inFlightTimeoutS (10 min).
    expect(guardrails.evaluate(failover('db-2')).lines).toContain('approval: needs_approval — risk high ≥ high; expires in 15m');
    now = t0 + 15 * MIN;
    expect(guardrails.evaluate(failover('db-1')).verdict).toBe('needs_approval');
    expect(guardrails.status().inFlight).toEqual({});
  });

  it('a withdrawn approval (its incident ended) frees the plan\'s slot, as a rejection does, and lifts its cooldown; an unknown decision is refused', async () => {
    const t0 = Date.now() - MIN;
    const pl1 = plan('pl_1', 'db-1', PlanStatus.PLAN_STATUS_PENDING_APPROVAL, t0);
    const { rt, guardrails, handlers } = runtime([pl1], () => Date.now());
    await rt.restore(Date.now() - rt.restoreWindowMs());
    const failover = { component: 'db-1', kind: 'db', policyId: 'db-failover', action: 'failover', risk: 'high' as const };
    const slot = () => guardrails.evaluate(failover).lines.find((l) => l.startsWith('blast_radius'));
    const cooldown = () => guardrails.evaluate(failover).lines.find((l) => l.startsWith('cooldown'));
    expect(cooldown()).toMatch(/^cooldown: blocked — failover on db-1 put to an operator 1m ago and not approved/);
    expect(slot()).toBe('blast_radius(db): ok — 1 of 1 allowed in flight, db-1 already among them (another action on it adds none)');
    const decided = (decision: string) =>
      Approval.fromPartial({ meta: { id: `ap_${decision}`, component: 'db-1', timeMs: Date.now(), source: 'execute' }, incident: { action: 'failover', planId: 'pl_1' }, planId: 'pl_1', decision, actor: 'system' });
    expect(await handlers.onApproval(decided('maybe'))).toMatchObject({ type: 'invalid', reason: `'decision' must be approved, rejected, expired or withdrawn, got "maybe"` });
    expect(slot()).toMatch(/^blast_radius\(db\): ok — 1 of 1/);
    expect(await handlers.onApproval(decided('withdrawn'))).toEqual({ type: 'ok' });
    expect(slot()).toMatch(/^blast_radius\(db\): ok — 0\/1 in flight/);
    // It never ran and nobody said no: the component's next incident may propose it at once.
    expect(cooldown()).toBe('cooldown: ok');
  });

  it('a rejected approval frees the slot but keeps the cooldown (the operator is not asked again at once); a restored withdrawn plan leaves none', async () => {
    const t0 = Date.now() - MIN;
    const failover = (component: string) => ({ component, kind: 'db', policyId: 'db-failover', action: 'failover', risk: 'high' as const });
    const cooldownOf = (g: { evaluate(c: ReturnType<typeof failover>): { lines: string[] } }, component: string) => g.evaluate(failover(component)).lines.find((l) => l.startsWith('cooldown'));
    const live = runtime([plan('pl_1', 'db-1', PlanStatus.PLAN_STATUS_PENDING_APPROVAL, t0)], () => Date.now());
    await live.rt.restore(Date.now() - live.rt.restoreWindowMs());
    const rejected = Approval.fromPartial({ meta: { id: 'ap_1', component: 'db-1', timeMs: Date.now(), source: 'execute' }, incident: { action: 'failover', planId: 'pl_1' }, planId: 'pl_1', decision: 'rejected', actor: 'alice' });
    expect(await live.handlers.onApproval(rejected)).toEqual({ type: 'ok' });
    expect(cooldownOf(live.guardrails, 'db-1')).toMatch(/^cooldown: blocked — failover on db-1 put to an operator 1m ago and not approved/);

    const approvals = new Map([['pl_2', Approval.fromPartial({ meta: { id: 'ap_2', component: 'db-2', timeMs: t0 + 1000, source: 'execute' }, incident: { action: 'failover', planId: 'pl_2' }, planId: 'pl_2', decision: 'withdrawn', actor: 'system' })]]);
    const restarted = runtime([plan('pl_2', 'db-2', PlanStatus.PLAN_STATUS_PENDING_APPROVAL, t0), plan('pl_3', 'db-3', PlanStatus.PLAN_STATUS_PENDING_APPROVAL, t0)], () => Date.now(), { approvals });
    await restarted.rt.restore(Date.now() - restarted.rt.restoreWindowMs());
    expect(cooldownOf(restarted.guardrails, 'db-2')).toBe('cooldown: ok');
    expect(cooldownOf(restarted.guardrails, 'db-3')).toMatch(/^cooldown: blocked — failover on db-3 put to an operator 1m ago/);
  });

  it('a stored plan without a component or action is skipped with a warning; the others are restored', async () => {
    const now = 1_000_000_000;
    const broken = Plan.fromPartial({ meta: { id: 'pl_bad', component: 'db-9', timeMs: now, source: 'plan' }, status: PlanStatus.PLAN_STATUS_DISPATCH, action: '' });
    const { rt, guardrails, warnings } = runtime([broken, plan('pl_ok', 'db-1', PlanStatus.PLAN_STATUS_DISPATCH, now)], () => now);
    const restored = await rt.restore(now - MIN);
    expect(restored.map((a) => a.planId)).toEqual(['pl_ok']);
    expect(warnings).toEqual([{ key: 'pl_bad', reason: 'plan without a component or action' }]);
    expect(guardrails.status().inFlight).toEqual({ db: 1 });
  });

  it('an approved plan holds its slot inFlightTimeoutS from the approval, live and when restored', async () => {
    // The runtime ignores approvals older than maxFeedbackAgeMs by the wall clock: t0 is real time.
    const t0 = Date.now() - 14 * MIN;
    let now = t0 + 14 * MIN;
    const approved = (p: Plan, atMs: number) =>
      Approval.fromPartial({ meta: { id: `ap_${p.meta!.id}`, component: p.meta!.component, timeMs: atMs, source: 'execute' }, incident: { action: 'failover', planId: p.meta!.id }, planId: p.meta!.id, decision: 'approved', actor: 'alice' });
    const failover = (component: string) => ({ component, kind: 'db', policyId: 'db-failover', action: 'failover', risk: 'high' as const });
    const pl1 = plan('pl_1', 'db-1', PlanStatus.PLAN_STATUS_PENDING_APPROVAL, t0);
    const pl2 = plan('pl_2', 'db-2', PlanStatus.PLAN_STATUS_PENDING_APPROVAL, t0);
    // pl_1 approved before a restart (14 min in), pl_2 approved just now, delivered after it.
    const { rt, guardrails, handlers } = runtime([pl1, pl2], () => now, { approvals: new Map([['pl_1', approved(pl1, t0 + 14 * MIN)]]) });
    const restored = await rt.restore(now - rt.restoreWindowMs());
    expect(restored.map((a) => [a.planId, a.approvedAtMs])).toEqual([['pl_1', t0 + 14 * MIN], ['pl_2', undefined]]);
    await handlers.onApproval(approved(pl2, t0 + 14 * MIN));
    // 20 min after they were put to an operator (beyond approval.timeoutS): both still running.
    now = t0 + 20 * MIN;
    expect(guardrails.evaluate(failover('db-1')).lines).toContain('approval: blocked — failover on db-1 was put to an operator 20m ago and is not finished');
    expect(guardrails.evaluate(failover('db-2')).verdict).toBe('block');
    now = t0 + 24 * MIN;
    expect(guardrails.evaluate(failover('db-1')).verdict).toBe('needs_approval');
    expect(guardrails.evaluate(failover('db-2')).verdict).toBe('needs_approval');
  });

  it('breakers and stabilisation are rebuilt from the recorded outcomes and the plans; unusable entries are skipped with a warning', async () => {
    // onOutcome ignores outcomes older than maxFeedbackAgeMs by the wall clock: t0 is real time.
    const t0 = Date.now() - 5 * MIN;
    const now = t0 + 5 * MIN;
    const restart = (id: string, component: string, timeMs: number) =>
      Plan.fromPartial({ meta: { id, component, timeMs, source: 'plan' }, status: PlanStatus.PLAN_STATUS_DISPATCH, action: 'restart', policyId: 'web-restart', incident: { kind: 'web' } });
    const outcome = (p: Plan, verdict: Verdict, timeMs: number) =>
      Outcome.fromPartial({
        meta: { id: `oc_${p.meta!.id}`, component: p.meta!.component, timeMs, source: 'execute' },
        incident: { kind: p.incident!.kind, planId: p.meta!.id, policyId: p.policyId, action: p.action },
        verdict,
      });
    const [pl1, pl2, pl3] = [restart('pl_1', 'web-1', t0), restart('pl_2', 'web-2', t0 + MIN), plan('pl_3', 'db-1', PlanStatus.PLAN_STATUS_DISPATCH, t0)];
    // db-1 announced again after its recovery: a plan blocked (by the flap window, as it was then).
    const pl4 = Plan.fromPartial({ meta: { id: 'pl_4', component: 'db-1', timeMs: t0 + 4 * MIN, source: 'plan' }, status: PlanStatus.PLAN_STATUS_BLOCKED, incident: { kind: 'db' } });
    const outcomes = new Map([
      ['pl_1', outcome(pl1, Verdict.VERDICT_NOT_RECOVERED, t0 + 2 * MIN)],
      ['pl_2', outcome(pl2, Verdict.VERDICT_ACTION_FAILED, t0 + 3 * MIN)],
      ['pl_3', outcome(pl3, Verdict.VERDICT_RECOVERED, t0 + MIN / 2)],
      ['pl_x', Outcome.fromPartial({ meta: { id: 'oc_x', component: 'web-3', timeMs: t0 }, incident: { planId: 'pl_x', action: 'restart' }, verdict: Verdict.VERDICT_NOT_RECOVERED })],
    ]);
    const { rt, guardrails, warnings, handlers } = runtime([pl1, pl2, pl3, pl4], () => now, {
      outcomes,
      unreadable: ['pl_9.outcome'],
      guardrails: {
        circuitBreaker: { policy: { failures: 3, coolOffS: 600 }, global: { failures: 2, coolOffS: 900 } },
        stabilisation: { minConsecutive: 1, minPersistS: 0, flapWindowS: 600 },
      },
    });
    expect(rt.restoreWindowMs()).toBe(30 * MIN);
    await rt.restore(now - rt.restoreWindowMs());
    expect(warnings).toEqual([
      { key: 'pl_9.outcome', reason: 'does not decode' },
      { key: 'pl_x.outcome', reason: 'outcome without a component, policy, action or time' },
    ]);
    const lines = guardrails.evaluate({ component: 'db-1', kind: 'db', policyId: 'db-failover', action: 'failover', risk: 'low', cooldownS: 0 }).lines;
    expect(lines).toContain('circuit_breaker(global): blocked — open after 2 consecutive failed outcomes; half-open in 13m');
    expect(lines).toContain('stabilisation: blocked — flapping: recovered 4m30s ago and anomalous again; no automatic action for 5m30s');
    const policyLine = () => guardrails.evaluate({ component: 'web-1', kind: 'web', policyId: 'web-restart', action: 'restart', risk: 'low', cooldownS: 0 }).lines.find((l) => l.startsWith('circuit_breaker(policy'));
    expect(policyLine()).toBe('circuit_breaker(policy web-restart): ok — 2/3 consecutive failures');
    // pl_2's outcome delivered again after the restart (recorded, not acked): counted once.
    await handlers.onOutcome(outcomes.get('pl_2')!);
    expect(policyLine()).toBe('circuit_breaker(policy web-restart): ok — 2/3 consecutive failures');
  });
});

describe('PlanRuntime - actions that failed on an incident', () => {
  const makePolicy = (p: Pick<Policy, 'id' | 'action' | 'priority' | 'cooldownS'>): Policy => ({
    params: {},
    risk: 'low',
    enabled: true,
    dryRun: false,
    executor: 'agent',
    description: '',
    conditions: { component: '*', kinds: [], minSeverity: 'low', causes: [] },
    ...p,
  });
  const policies = [
    makePolicy({ id: 'dependency-throttle', action: 'throttle', priority: 100, cooldownS: 0 }),
    makePolicy({ id: 'dependency-failover', action: 'failover', priority: 20, cooldownS: 0 }),
  ];
  const guardrails: GuardrailsConfigInput = { stabilisation: { enabled: false } };
  const throttlePlan = (id: string, incidentId: string, timeMs: number) =>
    Plan.fromPartial({
      meta: { id, component: 'demo-queue', timeMs, source: 'plan' },
      status: PlanStatus.PLAN_STATUS_DISPATCH,
      action: 'throttle',
      policyId: 'dependency-throttle',
      incident: { kind: 'queue', anomalyId: incidentId, incidentId, announcement: 1, planId: id, policyId: 'dependency-throttle', action: 'throttle' },
    });
  const failed = (p: Plan, timeMs: number) =>
    Outcome.fromPartial({ meta: { id: `oc_${p.meta!.id}`, component: 'demo-queue', timeMs, source: 'execute' }, incident: p.incident, verdict: Verdict.VERDICT_NOT_RECOVERED });
  /** The monitor's re-announcement of incident `incidentId`: a new anomaly, the same incident. */
  const reannounced = (incidentId: string, timeMs: number) =>
    makeDiagnosis('demo-queue', { kind: 'queue', cause: 'dependency_down', incidentId, announcement: 2, timeMs, incidentStartMs: timeMs - 2 * MIN });
  const planFor = (rt: PlanRuntime, incidentId: string, planId: string) => rt.planner.plan({ ...rt.request(reannounced(incidentId, Date.now())), planId });

  it('a failed outcome: the re-announced incident gets the next action, and says why; another incident does not', async () => {
    const t0 = Date.now() - 3 * MIN;
    const engine = new DecisionEngine({ policies });
    const { rt, handlers } = runtime([], () => Date.now(), { guardrails, engine });
    await rt.restore(t0 - rt.restoreWindowMs());
    expect(planFor(rt, 'an_1', 'pl_1').action).toBe('throttle');
    await handlers.onOutcome(failed(throttlePlan('pl_1', 'an_1', t0), t0 + MIN));
    const d = planFor(rt, 'an_1', 'pl_2');
    expect(d).toMatchObject({ status: 'dispatch', action: 'failover' });
    expect(d.explanation.ranking[0].rejectedBecause).toBe('throttle already tried on this incident ×1 (not recovered)');
    expect(planFor(rt, 'an_7', 'pl_3').action).toBe('throttle');
  });

  it('a failed outcome recorded before a restart: after it, the incident still does not get that action again', async () => {
    const t0 = Date.now() - 3 * MIN;
    const pl1 = throttlePlan('pl_1', 'an_1', t0);
    const pl2 = throttlePlan('pl_2', 'an_1', t0 + MIN); // the same action again on the same incident (before this fix): ×2
    const outcomes = new Map([
      ['pl_1', failed(pl1, t0 + MIN / 2)],
      ['pl_2', failed(pl2, t0 + 2 * MIN)],
    ]);
    const engine = new DecisionEngine({ policies });
    const { rt, handlers } = runtime([pl1, pl2], () => Date.now(), { guardrails, engine, outcomes });
    await rt.restore(Date.now() - rt.restoreWindowMs());
    const d = planFor(rt, 'an_1', 'pl_3');
    expect(d).toMatchObject({ status: 'dispatch', action: 'failover' });
    expect(d.explanation.ranking[0].rejectedBecause).toBe('throttle already tried on this incident ×2 (not recovered)');
    // pl_2's outcome delivered again after the restart: counted once.
    await handlers.onOutcome(outcomes.get('pl_2')!);
    expect(planFor(rt, 'an_1', 'pl_4').explanation.ranking[0].rejectedBecause).toBe('throttle already tried on this incident ×2 (not recovered)');
  });

  it('the memory lasts the guardrails\' restore window: an older failure is not rebuilt', async () => {
    const engine = new DecisionEngine({ policies });
    const { rt } = runtime([], () => Date.now(), { guardrails, engine });
    expect(rt.planner.attempts.retentionMs).toBe(30 * MIN);
    const old = Date.now() - 31 * MIN;
    const pl1 = throttlePlan('pl_1', 'an_1', old);
    const { rt: restarted } = runtime([pl1], () => Date.now(), { guardrails, engine, outcomes: new Map([['pl_1', failed(pl1, old)]]) });
    await restarted.restore(Date.now() - restarted.restoreWindowMs());
    expect(restarted.planner.attempts.size).toBe(0);
    expect(planFor(restarted, 'an_1', 'pl_2').action).toBe('throttle');
  });

  it('the global breaker counts one incident\'s failures once, live and after a restart', async () => {
    const t0 = Date.now() - 3 * MIN;
    const plans = [0, 1, 2].map((i) => throttlePlan(`pl_${i}`, 'an_1', t0 + i * 1000));
    const outcomes = new Map(plans.map((p, i) => [p.meta!.id, failed(p, t0 + (i + 1) * MIN / 2)]));
    const config: GuardrailsConfigInput = { stabilisation: { enabled: false }, circuitBreaker: { global: { failures: 2 } } };
    const globalLine = (g: Guardrails) => g.evaluate({ component: 'demo-web', policyId: 'web-restart', action: 'restart', risk: 'low' }).lines.find((l) => l.startsWith('circuit_breaker(global)'));
    const live = runtime([], () => Date.now(), { guardrails: config });
    for (const oc of outcomes.values()) await live.handlers.onOutcome(oc);
    expect(globalLine(live.guardrails)).toBe('circuit_breaker(global): ok — 1/2 consecutive failures (3 failed outcomes, one count per incident)');
    const restarted = runtime(plans, () => Date.now(), { guardrails: config, outcomes });
    await restarted.rt.restore(Date.now() - restarted.rt.restoreWindowMs());
    expect(globalLine(restarted.guardrails)).toBe('circuit_breaker(global): ok — 1/2 consecutive failures (3 failed outcomes, one count per incident)');
  });
});

describe('PlanRuntime - an action put to an operator again on the same incident', () => {
  const makePolicy = (p: Pick<Policy, 'id' | 'action' | 'priority' | 'risk'>): Policy => ({
    params: {},
    enabled: true,
    dryRun: false,
    executor: 'agent',
    description: '',
    cooldownS: 0,
    conditions: { component: '*', kinds: [], minSeverity: 'low', causes: [] },
    ...p,
  });
  const policies = [
    makePolicy({ id: 'dependency-failover', action: 'failover', priority: 100, risk: 'high' }),
    makePolicy({ id: 'dependency-throttle', action: 'throttle', priority: 20, risk: 'low' }),
  ];
  const guardrails: GuardrailsConfigInput = { stabilisation: { enabled: false } };
  const failoverPlan = (id: string, incidentId: string, timeMs: number) =>
    Plan.fromPartial({
      meta: { id, component: 'demo-queue', timeMs, source: 'plan' },
      status: PlanStatus.PLAN_STATUS_PENDING_APPROVAL,
      action: 'failover',
      policyId: 'dependency-failover',
      incident: { kind: 'queue', anomalyId: incidentId, incidentId, announcement: 1, planId: id, policyId: 'dependency-failover', action: 'failover' },
    });
  const decided = (planId: string, incidentId: string, decision: string, actor: string, timeMs: number) =>
    Approval.fromPartial({
      meta: { id: `ap_${planId}`, component: 'demo-queue', timeMs, source: 'execute' },
      incident: { kind: 'queue', anomalyId: incidentId, incidentId, planId, action: 'failover' },
      planId,
      decision,
      actor,
    });
  const planFor = (rt: PlanRuntime, incidentId: string, planId: string) =>
    rt.planner.plan({ ...rt.request(makeDiagnosis('demo-queue', { kind: 'queue', cause: 'dependency_down', incidentId, announcement: 5, timeMs: Date.now() })), planId });

  it('an expired request: the next one says it is a repeat, names the expired one and how long the incident has waited (rebuilt at a restart)', async () => {
    const t0 = Date.now() - 18 * MIN;
    const pl1 = failoverPlan('pl_1', 'an_1', t0);
    const engine = new DecisionEngine({ policies });
    const { rt } = runtime([pl1], () => Date.now(), { guardrails, engine, approvals: new Map([['pl_1', decided('pl_1', 'an_1', 'expired', 'system', t0 + 15 * MIN)]]) });
    await rt.restore(Date.now() - rt.restoreWindowMs());
    const d = planFor(rt, 'an_1', 'pl_2');
    expect(d).toMatchObject({ status: 'pending_approval', action: 'failover' });
    expect(d.explanation.summary).toMatch(/^asked again: pl_1 for failover on this incident expired unanswered 3m ago; chose failover/);
    expect(d.explanation.evidence).toContain(`waiting for an operator on incident an_1 for 18m in all (first asked ${new Date(t0).toISOString()})`);
  });

  it('a rejected request: the action is not put to an operator again for the same incident (live and after a restart); another incident is asked', async () => {
    const engine = new DecisionEngine({ policies });
    const { rt, handlers } = runtime([], () => Date.now(), { guardrails, engine });
    await rt.restore(Date.now() - rt.restoreWindowMs());
    const first = planFor(rt, 'an_1', 'pl_1');
    expect(first).toMatchObject({ status: 'pending_approval', action: 'failover' });
    const rejection = decided('pl_1', 'an_1', 'rejected', 'alice', Date.now());
    await handlers.onApproval(rejection);
    const again = planFor(rt, 'an_1', 'pl_2');
    expect(again).toMatchObject({ status: 'dispatch', action: 'throttle' });
    expect(again.explanation.ranking[0].rejectedBecause).toBe('failover rejected by alice on this incident 0s ago (pl_1; not asked again)');
    expect(again.explanation.summary).toMatch(/^chose throttle \(dependency-throttle\), rank 2, because failover rejected by alice on this incident 0s ago/);
    expect(planFor(rt, 'an_9', 'pl_3')).toMatchObject({ status: 'pending_approval', action: 'failover' });

    const stored = [failoverPlan('pl_1', 'an_1', first.decidedMs!)];
    const restarted = runtime(stored, () => Date.now(), { guardrails, engine: new DecisionEngine({ policies }), approvals: new Map([['pl_1', rejection]]) });
    await restarted.rt.restore(Date.now() - restarted.rt.restoreWindowMs());
    expect(planFor(restarted.rt, 'an_1', 'pl_4')).toMatchObject({ status: 'dispatch', action: 'throttle' });
  });
});
