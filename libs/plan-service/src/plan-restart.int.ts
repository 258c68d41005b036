/**
 * A plan service restarted during an incident, against a real nats-server: the guardrails are
 * rebuilt from the plans it stored (KV x0_plans) and what it recorded about how they ended, so
 * an action awaiting an operator is not put to one again, cooldowns hold, and outcomes and
 * approvals that arrive while it is down end the restored actions.
 */
import type { Bus } from '@x0/bus';
import { Approval, Outcome, PlanStatus, Severity, Verdict, type Explanation, type Plan, type PlannerServiceClient, type RankRequest } from '@x0/contracts';
import type { ServiceHandle } from '@x0/service-kit';
import { call, planTestBed, startPlanService, type PlanTestBed } from './plan-harness';
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
  let bed: PlanTestBed;
  let bus: Bus;
  let handle: ServiceHandle | undefined;
  let client: PlannerServiceClient | undefined;

  const start = async () => {
    ({ handle, client } = await startPlanService(bed));
  };
  const stop = async () => {
    client?.close();
    await handle?.stop();
    client = handle = undefined;
  };
  const rank = (req: Partial<RankRequest>) =>
    call<RankRequest, Explanation>(client!, client!.rank, { component: '', kind: '', severity: Severity.SEVERITY_HIGH, cause: '', candidates: [], ...req });
  const planFor = (diagnosisId: string) => waitFor(async () => (await readEvents(bus, 'plan')).find((p) => p.meta!.parentId === diagnosisId), 10_000, `plan of ${diagnosisId}`);
  /** The monitor's re-announcement of a still-open incident: a new anomaly, so a new diagnosis. */
  const announce = async (component: string) => {
    const d = makeDiagnosis(component, { kind: 'db', cause: 'dependency_down' });
    await publishEvent(bus, 'diagnosis', d);
    return planFor(d.meta!.id);
  };
  const decide = (plan: Plan, decision: string, actor: string) =>
    publishEvent(
      bus,
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
  const explain = (planId: string) => call<{ planId: string }, Plan>(client!, client!.explain, { planId });
  const failoverAsked = async (component: string) => (await readEvents(bus, 'plan', component)).filter((p) => p.status === PlanStatus.PLAN_STATUS_PENDING_APPROVAL);

  beforeAll(async () => {
    bed = await planTestBed('plan-restart', { policies: POLICIES, guardrails: 'stabilisation: { flapWindowS: 0 }\nblastRadius: { maxFraction: 1 }\n' });
    bus = bed.bus;
    await start();
  });

  afterAll(async () => {
    await stop();
    await bed?.close();
  });

  it('restart - an action awaiting approval is not put to an operator again; the planner takes the next action; cooldowns hold', async () => {
    const asked = await announce('db-1');
    expect(asked).toMatchObject({ status: PlanStatus.PLAN_STATUS_PENDING_APPROVAL, action: 'failover' });
    const scale = makeDiagnosis('web-1');
    await publishEvent(bus, 'diagnosis', scale);
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
      bus,
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
    const stats = () => call<object, { latency?: { count: number } }>(client!, client!.getStatistics, {});
    await waitFor(async () => ((await stats()).latency!.count >= 1 ? true : undefined), 10_000, 'the late decision handled');
    const again = await announce('db-3');
    expect(again).toMatchObject({ status: PlanStatus.PLAN_STATUS_DISPATCH, action: 'restart' });
    expect((await failoverAsked('db-3')).map((p) => p.meta!.id)).toEqual([first.meta!.id, asked.meta!.id]);
  });
});
