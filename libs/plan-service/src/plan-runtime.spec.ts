import type { Bus } from '@x0/bus';
import { Approval, Plan, PlanStatus } from '@x0/contracts';
import type { DecisionEngine } from '@x0/decision';
import { Guardrails } from '@x0/guardrails';
import type { Logger, ServiceStats } from '@x0/service-kit';
import { DecisionClock, PlanRuntime } from './plan-runtime';
import type { PlanStore } from './plan-store';

const MIN = 60_000;

/** A PlanRuntime over stored plans (no bus: restore reads only the store; recording is a no-op). */
function runtime(plans: Plan[], now: () => number, stored: { approvals?: Map<string, Approval> } = {}) {
  const guardrails = new Guardrails({ config: { stabilisation: { enabled: false } }, clock: now });
  const store = {
    since: async () => ({ plans, approvals: stored.approvals ?? new Map(), outcomes: new Map() }),
    recordApproval: async () => undefined,
  } as unknown as PlanStore;
  const engine = { policies: () => [] } as unknown as DecisionEngine;
  const logger = { info: () => undefined, debug: () => undefined, warn: () => undefined } as unknown as Logger;
  const rt = new PlanRuntime({ bus: {} as Bus, logger, stats: {} as ServiceStats, engine, guardrails, clock: new DecisionClock(), explainCache: 10, store, maxDiagnosisAgeMs: 0, maxFeedbackAgeMs: 10 * MIN });
  return { rt, guardrails };
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
    // and inFlightTimeoutS (10 min) after an approval at its last moment.
    expect(rt.restoreWindowMs()).toBe(25 * MIN);
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

  it('a stored plan without a component or action is skipped with a warning; the others are restored', async () => {
    const now = 1_000_000_000;
    const broken = Plan.fromPartial({ meta: { id: 'pl_bad', component: 'db-9', timeMs: now, source: 'plan' }, status: PlanStatus.PLAN_STATUS_DISPATCH, action: '' });
    const { rt, guardrails } = runtime([broken, plan('pl_ok', 'db-1', PlanStatus.PLAN_STATUS_DISPATCH, now)], () => now);
    const restored = await rt.restore(now - MIN);
    expect(restored.map((a) => a.planId)).toEqual(['pl_ok']);
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
    const { rt, guardrails } = runtime([pl1, pl2], () => now, { approvals: new Map([['pl_1', approved(pl1, t0 + 14 * MIN)]]) });
    const restored = await rt.restore(now - rt.restoreWindowMs());
    expect(restored.map((a) => [a.planId, a.approvedAtMs])).toEqual([['pl_1', t0 + 14 * MIN], ['pl_2', undefined]]);
    await (rt as unknown as { onApproval(a: Approval): Promise<unknown> }).onApproval(approved(pl2, t0 + 14 * MIN));
    // 20 min after they were put to an operator (beyond approval.timeoutS): both still running.
    now = t0 + 20 * MIN;
    expect(guardrails.evaluate(failover('db-1')).lines).toContain('approval: blocked — failover on db-1 was put to an operator 20m ago and is not finished');
    expect(guardrails.evaluate(failover('db-2')).verdict).toBe('block');
    now = t0 + 24 * MIN;
    expect(guardrails.evaluate(failover('db-1')).verdict).toBe('needs_approval');
    expect(guardrails.evaluate(failover('db-2')).verdict).toBe('needs_approval');
  });
});
