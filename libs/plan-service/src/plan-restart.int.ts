/**
 * A plan service restarted during an incident, against a real nats-server: the guardrails are
 * rebuilt from the plans it stored (KV x0_plans) and what it recorded about how they ended, so
 * an action awaiting an operator is not put to one again, cooldowns hold, outcomes and
 * approvals that arrive while it is down end the restored actions, open circuit breakers stay
 * open and a flapping component is still held back.
 */
import { Kvm } from '@nats-io/kv';
import { Approval, Outcome, PlanStatus, Severity, Verdict, type Explanation, type Plan, type RankRequest } from '@x0/contracts';
import { call, outcomeOf, restartablePlanService } from './plan-harness';
import { PLANS_BUCKET } from './plan-store';
import { makeDiagnosis, publishEvent, readEvents, waitFor } from './testing';

const POLICIES = `
version: 1
defaults: { executor: agent, cooldown_s: 0 }
policies:
  - { id: db-failover, action: failover, priority: 90, risk: high, conditions: { causes: [dependency_down] } }
  - { id: db-restart, action: restart, priority: 40, conditions: { causes: [dependency_down] } }
  - { id: cpu-scale-up, action: scale_up, priority: 80, cooldown_s: 600, conditions: { causes: [cpu_saturation] } }
`;

describe('plan service - restart during an incident', () => {
  const svc = restartablePlanService('plan-restart', { policies: POLICIES, guardrails: 'stabilisation: { flapWindowS: 0 }\nblastRadius: { maxFraction: 1 }\n' });
  const { start, stop } = svc;
  const rank = (req: Partial<RankRequest>) =>
    call<RankRequest, Explanation>(svc.client, svc.client.rank, { component: '', kind: '', severity: Severity.SEVERITY_HIGH, cause: '', candidates: [], ...req });
  const planFor = (diagnosisId: string) => waitFor(async () => (await readEvents(svc.bus, 'plan')).find((p) => p.meta!.parentId === diagnosisId), 10_000, `plan of ${diagnosisId}`);
  /** The monitor's re-announcement of a still-open incident: a new anomaly, so a new diagnosis. */
  const announce = async (component: string) => {
    const d = makeDiagnosis(component, { kind: 'db', cause: 'dependency_down' });
    await publishEvent(svc.bus, 'diagnosis', d);
    return planFor(d.meta!.id);
  };
  const decide = (plan: Plan, decision: string, actor: string) =>
    publishEvent(
      svc.bus,
      'approval',
      Approval.fromPartial({
        meta: { id: `ap_${plan.meta!.id}_${decision}`, parentId: plan.meta!.id, component: plan.meta!.component, timeMs: Date.now(), source: 'execute' },
        incident: plan.incident,
        planId: plan.meta!.id,
        decision,
        actor,
        reason: 'primary is gone',
      }),
    );
  const explain = (planId: string) => call<{ planId: string }, Plan>(svc.client, svc.client.explain, { planId });
  const failoverAsked = async (component: string) => (await readEvents(svc.bus, 'plan', component)).filter((p) => p.status === PlanStatus.PLAN_STATUS_PENDING_APPROVAL);

  it('restart - an action awaiting approval is not put to an operator again; the planner takes the next action; cooldowns hold', async () => {
    const asked = await announce('db-1');
    expect(asked).toMatchObject({ status: PlanStatus.PLAN_STATUS_PENDING_APPROVAL, action: 'failover' });
    const scale = makeDiagnosis('web-1');
    await publishEvent(svc.bus, 'diagnosis', scale);
    expect((await planFor(scale.meta!.id)).action).toBe('scale_up');

    await stop();
    await start();

    const again = await announce('db-1');
    expect(again).toMatchObject({ status: PlanStatus.PLAN_STATUS_DISPATCH, action: 'restart' });
    expect(again.explanation!.ranking[0]).toMatchObject({ policyId: 'db-failover' });
    expect(again.explanation!.ranking[0].rejectedBecause).toMatch(/^blocked: approval — failover on db-1 was put to an operator \d+(ms|s) ago and is not finished$/);
    expect((await failoverAsked('db-1')).map((p) => p.meta!.id)).toEqual([asked.meta!.id]);
    const r = await rank({ component: 'web-1', kind: 'web', cause: 'cpu_saturation' });
    expect(r.guardrails.find((l) => l.startsWith('cooldown:'))).toMatch(/^cooldown: blocked — scale_up on web-1 \d+(ms|s) ago, cooldown 10m$/);
  });

  it('restart - an approved action holds its slot until its outcome; a recorded outcome ends it across a restart; Explain shows the decision', async () => {
    const [asked] = await failoverAsked('db-1');
    expect((await explain(asked.meta!.id)).approval).toBeUndefined(); // still waiting
    await decide(asked, 'approved', 'alice');
    const explained = await waitFor(async () => {
      const p = await explain(asked.meta!.id);
      return p.approval ? p : undefined;
    }, 10_000, 'the approval recorded');
    expect(explained.approval).toMatchObject({ planId: asked.meta!.id, decision: 'approved', actor: 'alice', reason: 'primary is gone' });
    expect({ ...explained, approval: undefined }).toEqual(asked);
    await stop();
    await start();
    // Explain after the restart: the decision comes from the store.
    expect((await explain(asked.meta!.id)).approval).toMatchObject({ decision: 'approved', actor: 'alice' });
    expect((await announce('db-1')).action).toBe('restart');

    await publishEvent(
      svc.bus,
      'outcome',
      Outcome.fromPartial({
        meta: { id: 'oc_db1', parentId: 'ac_db1', component: 'db-1', timeMs: Date.now(), source: 'execute' },
        incident: asked.incident,
        actionId: 'ac_db1',
        verdict: Verdict.VERDICT_RECOVERED,
        recovered: true,
      }),
    );
    await waitFor(async () => (await rank({ component: 'db-1', kind: 'db', cause: 'dependency_down' })).summary.includes('would hold failover for approval') || undefined, 10_000, 'the outcome to end the failover');
    await stop();
    await start();
    // Ended before the restart: a new incident may ask for it again.
    expect(await announce('db-1')).toMatchObject({ status: PlanStatus.PLAN_STATUS_PENDING_APPROVAL, action: 'failover' });
  });

  it('restart - a rejection published while the plan service was down ends the restored action (the durable delivers it after the rebuild)', async () => {
    const asked = await announce('db-2');
    expect(asked).toMatchObject({ status: PlanStatus.PLAN_STATUS_PENDING_APPROVAL, action: 'failover' });
    await stop();
    await decide(asked, 'rejected', 'bob');
    await start();
    await waitFor(async () => (await rank({ component: 'db-2', kind: 'db', cause: 'dependency_down' })).summary.includes('would hold failover for approval') || undefined, 10_000, 'the rejection to end the failover');
    expect((await explain(asked.meta!.id)).approval).toMatchObject({ decision: 'rejected', actor: 'bob' });
  });

  it('restart - the restored slot is its plan\'s: a late decision on an earlier plan, delivered after the rebuild, does not free it', async () => {
    const first = await announce('db-3');
    await decide(first, 'rejected', 'bob');
    await waitFor(async () => (await rank({ component: 'db-3', kind: 'db', cause: 'dependency_down' })).summary.includes('would hold failover for approval') || undefined, 10_000, 'the rejection to end the failover');
    const asked = await announce('db-3');
    expect(asked).toMatchObject({ status: PlanStatus.PLAN_STATUS_PENDING_APPROVAL, action: 'failover' });
    await stop();
    await decide(first, 'expired', 'system'); // the earlier plan's decision once more, late
    await start();
    const stats = () => call<object, { latency?: { count: number } }>(svc.client, svc.client.getStatistics, {});
    await waitFor(async () => ((await stats()).latency!.count >= 1 ? true : undefined), 10_000, 'the late decision handled');
    const again = await announce('db-3');
    expect(again).toMatchObject({ status: PlanStatus.PLAN_STATUS_DISPATCH, action: 'restart' });
    expect((await failoverAsked('db-3')).map((p) => p.meta!.id)).toEqual([first.meta!.id, asked.meta!.id]);
  });
});

describe('plan service - circuit breakers and flapping across a restart', () => {
  const svc = restartablePlanService('plan-restart-breakers', {
    policies: `
version: 1
defaults: { executor: agent, cooldown_s: 0 }
policies:
  - { id: web-restart, action: restart, priority: 50, conditions: { causes: [cpu_saturation] } }
  - { id: db-restart, action: restart, priority: 40, conditions: { causes: [dependency_down] } }
`,
    guardrails: 'circuitBreaker: { policy: { failures: 2 }, global: { failures: 2 } }\nstabilisation: { flapWindowS: 600 }\nblastRadius: { maxFraction: 1 }\n',
  });
  const { start, stop } = svc;
  const rank = (component: string, kind: string, cause: string) =>
    call<RankRequest, Explanation>(svc.client, svc.client.rank, { component, kind, severity: Severity.SEVERITY_HIGH, cause, candidates: [] });
  const announce = async (component: string, kind: string, cause: string) => {
    const d = makeDiagnosis(component, { kind, cause });
    await publishEvent(svc.bus, 'diagnosis', d);
    return waitFor(async () => (await readEvents(svc.bus, 'plan', component)).find((p) => p.meta!.parentId === d.meta!.id), 10_000, `plan of ${d.meta!.id}`);
  };
  const outcome = (plan: Plan, verdict: Verdict) => publishEvent(svc.bus, 'outcome', outcomeOf(plan, verdict, verdict === Verdict.VERDICT_RECOVERED));
  /** The guardrail lines Rank gives for the breakers and the stabilisation check. */
  const guards = async () => {
    const web = (await rank('web-3', 'web', 'cpu_saturation')).guardrails;
    const db = (await rank('db-1', 'db', 'dependency_down')).guardrails;
    return {
      policy: web.find((l) => l.startsWith('circuit_breaker(policy')),
      global: web.find((l) => l.startsWith('circuit_breaker(global)')),
      flapping: db.find((l) => l.startsWith('stabilisation')),
    };
  };

  it('restart - open breakers (per policy and global) stay open and a flapping component is still held back', async () => {
    const db = await announce('db-1', 'db', 'dependency_down');
    const web1 = await announce('web-1', 'web', 'cpu_saturation');
    const web2 = await announce('web-2', 'web', 'cpu_saturation');
    for (const p of [db, web1, web2]) expect(p).toMatchObject({ status: PlanStatus.PLAN_STATUS_DISPATCH, action: 'restart' });
    // db-1 recovers (its flap window starts); then web-restart fails twice: both breakers open.
    await outcome(db, Verdict.VERDICT_RECOVERED);
    await waitFor(async () => ((await guards()).flapping?.includes('flapping') ? true : undefined), 10_000, 'db-1 flapping');
    await outcome(web1, Verdict.VERDICT_NOT_RECOVERED);
    await outcome(web2, Verdict.VERDICT_ACTION_FAILED);
    const before = await waitFor(async () => {
      const g = await guards();
      return g.policy?.includes('blocked') && g.global?.includes('blocked') ? g : undefined;
    }, 10_000, 'the breakers open');
    expect(before.policy).toMatch(/^circuit_breaker\(policy web-restart\): blocked — open after 2 consecutive failed outcomes; half-open in \d+m\d*s?$/);

    // An entry the rebuild cannot read (another release's, or damaged) is skipped, with a warning.
    await (await new Kvm(svc.bus.js).open(PLANS_BUCKET)).put('pl_damaged.outcome', new Uint8Array([0x0a, 0xff]));
    await stop();
    await start();

    const after = await guards();
    expect(after.policy).toMatch(/^circuit_breaker\(policy web-restart\): blocked — open after 2 consecutive failed outcomes; half-open in \d+m/);
    expect(after.global).toMatch(/^circuit_breaker\(global\): blocked — open after 2 consecutive failed outcomes; half-open in \d+m/);
    expect(after.flapping).toMatch(/^stabilisation: blocked — flapping: recovered \d+(ms|s) ago and anomalous again; no automatic action for \d+m/);
    // The next diagnosis is blocked, as it would have been without the restart.
    expect(await announce('web-4', 'web', 'cpu_saturation')).toMatchObject({ status: PlanStatus.PLAN_STATUS_BLOCKED });
  });
});

describe('plan service - an action that failed on an incident, across a restart', () => {
  const svc = restartablePlanService('plan-restart-incident', {
    policies: `
version: 1
defaults: { executor: agent, cooldown_s: 0 }
policies:
  - { id: dependency-throttle, action: throttle, priority: 90, conditions: { causes: [dependency_down] } }
  - { id: dependency-restart, action: restart, priority: 30, conditions: { causes: [dependency_down] } }
`,
    guardrails: 'stabilisation: { enabled: false }\nblastRadius: { maxFraction: 1 }\n',
  });
  const { start, stop } = svc;
  /** An announcement of incident `incidentId` on `component` (its own anomaly; the first one opens the incident). */
  const announce = async (component: string, incidentId?: string) => {
    const d = makeDiagnosis(component, { kind: 'queue', cause: 'dependency_down', ...(incidentId ? { incidentId, announcement: 2 } : {}) });
    await publishEvent(svc.bus, 'diagnosis', d);
    return waitFor(async () => (await readEvents(svc.bus, 'plan', component)).find((p) => p.meta!.parentId === d.meta!.id), 10_000, `plan of ${d.meta!.id}`);
  };
  /** Publishes a failed outcome of `plan` and waits until the plan service has recorded it. */
  const failed = async (plan: Plan, verdict: Verdict) => {
    await publishEvent(svc.bus, 'outcome', outcomeOf(plan, verdict));
    const kv = await new Kvm(svc.bus.js).open(PLANS_BUCKET);
    await waitFor(async () => ((await kv.get(`${plan.meta!.id}.outcome`))?.value.length ? true : undefined), 10_000, 'the outcome recorded');
    // The planner hears of it right after the write is acknowledged.
    await new Promise((r) => setTimeout(r, 300));
  };

  it('incident - a re-announced incident whose first action failed gets a different action, also after a restart; another incident may still get it', async () => {
    // Incident A: throttle does nothing; the re-announcement gets restart, and says why.
    const a1 = await announce('q-1');
    const incidentA = a1.incident!.incidentId;
    expect(incidentA).toBe(a1.incident!.anomalyId);
    expect(a1).toMatchObject({ status: PlanStatus.PLAN_STATUS_DISPATCH, action: 'throttle' });
    await failed(a1, Verdict.VERDICT_NOT_RECOVERED);
    const a2 = await announce('q-1', incidentA);
    expect(a2).toMatchObject({ status: PlanStatus.PLAN_STATUS_DISPATCH, action: 'restart' });
    expect(a2.incident).toMatchObject({ incidentId: incidentA, announcement: 2 });
    expect(a2.explanation!.ranking.map((r) => [r.policyId, r.rejectedBecause])).toEqual([
      ['dependency-throttle', 'throttle already tried on this incident ×1 (not recovered)'],
      ['dependency-restart', ''],
    ]);
    expect(a2.explanation!.summary).toMatch(/^chose restart \(dependency-restart\), rank 2, because throttle already tried on this incident ×1 \(not recovered\); ranked first: /);

    // Incident B (another component): throttle fails; then the plan service restarts.
    const b1 = await announce('q-2');
    expect(b1.action).toBe('throttle');
    await failed(b1, Verdict.VERDICT_ACTION_FAILED);
    await failed(a2, Verdict.VERDICT_NOT_RECOVERED);
    await stop();
    await start();

    const b2 = await announce('q-2', b1.incident!.incidentId);
    expect(b2).toMatchObject({ status: PlanStatus.PLAN_STATUS_DISPATCH, action: 'restart' });
    expect(b2.explanation!.ranking[0].rejectedBecause).toBe('throttle already tried on this incident ×1 (action failed)');
    // Incident A: both actions failed on it — said plainly, nothing done.
    const a3 = await announce('q-1', incidentA);
    expect(a3).toMatchObject({ status: PlanStatus.PLAN_STATUS_NO_ACTION, action: '' });
    expect(a3.explanation!.summary).toBe(
      `no action: nothing left to try on incident ${incidentA} — every applicable action already failed on it: throttle already tried on this incident ×1 (not recovered); restart already tried on this incident ×1 (not recovered)`,
    );
    // A new incident of q-1 may get throttle again.
    expect((await announce('q-1')).action).toBe('throttle');
  });
});
