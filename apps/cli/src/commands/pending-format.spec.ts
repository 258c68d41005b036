import { toRecord } from '@x0/client';
import { Anomaly, Approval, EVENT_CODECS, Outcome, Plan, PlanStatus, Severity, Verdict, eventSubject } from '@x0/contracts';
import { askedBefore, meanwhile } from './pending-format';

let seq = 0;
const meta = (id: string, t: number, component = 'demo-queue') => ({ id, parentId: 'x', component, timeMs: t, source: 'test' });
const anomaly = (id: string, t: number, component = 'demo-queue', incidentId = '') =>
  toRecord({
    subject: eventSubject('anomaly', component),
    data: EVENT_CODECS.anomaly.encode(Anomaly.fromPartial({ meta: meta(id, t, component), severity: Severity.SEVERITY_HIGH, incidentId })),
    seq: ++seq,
  })!;
const outcome = (id: string, t: number, action: string, verdict: Verdict, planId = 'pl_x', component = 'demo-queue', incidentId = '') =>
  toRecord({
    subject: eventSubject('outcome', component),
    data: EVENT_CODECS.outcome.encode(
      Outcome.fromPartial({ meta: meta(id, t, component), incident: { component, action, planId, incidentId }, verdict, recovered: verdict === Verdict.VERDICT_RECOVERED }),
    ),
    seq: ++seq,
  })!;

describe('x0 pending - SINCE THEN', () => {
  const t0 = Date.UTC(2026, 10, 27, 18, 41, 21);
  const pending = [{ planId: 'pl_failover', component: 'demo-queue', requestedMs: t0 }];

  it('a lasting incident: how often it was re-announced since the plan was put to an operator, and what the loop tried meanwhile', () => {
    const records = [
      anomaly('an_0', t0 - 10), // the announcement the plan answers
      anomaly('an_1', t0 + 30_000),
      outcome('oc_1', t0 + 60_000, 'throttle', Verdict.VERDICT_NOT_RECOVERED),
      anomaly('an_2', t0 + 60_000),
      outcome('oc_2', t0 + 120_000, 'throttle', Verdict.VERDICT_NOT_RECOVERED),
      anomaly('an_3', t0 + 180_000),
      outcome('oc_3', t0 + 180_000, 'throttle', Verdict.VERDICT_NOT_RECOVERED),
      anomaly('an_other', t0 + 200_000, 'demo-web'),
      outcome('oc_other', t0 + 200_000, 'scale_up', Verdict.VERDICT_RECOVERED, 'pl_y', 'demo-web'),
    ];
    expect(meanwhile(pending, records, t0 + 192_000).get('pl_failover')).toBe('re-announced 3×, last 12s ago; throttle not recovered ×3');
  });

  it('a recovery meanwhile is shown (the approval may no longer be needed); nothing since then is "-"', () => {
    const records = [outcome('oc_1', t0 + 40_000, 'throttle', Verdict.VERDICT_RECOVERED)];
    expect(meanwhile(pending, records, t0 + 60_000).get('pl_failover')).toBe('throttle recovered');
    expect(meanwhile(pending, [anomaly('an_0', t0 - 10)], t0 + 60_000).get('pl_failover')).toBe('-');
  });

  it("another incident on the component is not the plan's incident going on: counted apart", () => {
    // The plan answers incident an_0; restart ended it; then two new incidents opened on the component (one re-announced).
    const mine = [{ planId: 'pl_failover', component: 'demo-queue', requestedMs: t0, incidentId: 'an_0' }];
    const records = [
      anomaly('an_0', t0 - 10, 'demo-queue', 'an_0'),
      anomaly('an_1', t0 + 30_000, 'demo-queue', 'an_0'),
      outcome('oc_1', t0 + 50_000, 'restart', Verdict.VERDICT_RECOVERED, 'pl_r', 'demo-queue', 'an_0'),
      anomaly('an_5', t0 + 120_000, 'demo-queue', 'an_5'),
      outcome('oc_5', t0 + 140_000, 'scale_up', Verdict.VERDICT_RECOVERED, 'pl_s', 'demo-queue', 'an_5'),
      anomaly('an_7', t0 + 200_000, 'demo-queue', 'an_7'),
      anomaly('an_8', t0 + 245_000, 'demo-queue', 'an_7'),
    ];
    expect(meanwhile(mine, records, t0 + 265_000).get('pl_failover')).toBe('re-announced 1×, last 4m ago; restart recovered; then 2 other incidents, last 20s ago (scale_up recovered)');
    // Without the plan's incident (the plan service did not answer), every anomaly on the component counts.
    expect(meanwhile(pending, records, t0 + 265_000).get('pl_failover')).toBe('re-announced 4×, last 20s ago; restart recovered; scale_up recovered');
  });
});

describe('x0 pending - ASKED BEFORE', () => {
  const t0 = Date.UTC(2026, 10, 27, 18, 41, 21);
  const MIN = 60_000;
  const plan = (id: string, t: number, incidentId: string, action = 'failover') =>
    toRecord({
      subject: eventSubject('plan', 'demo-queue'),
      data: EVENT_CODECS.plan.encode(
        Plan.fromPartial({ meta: meta(id, t), status: PlanStatus.PLAN_STATUS_PENDING_APPROVAL, action, incident: { component: 'demo-queue', incidentId, anomalyId: `an_${t}`, planId: id, action } }),
      ),
      seq: ++seq,
    })!;
  const approval = (planId: string, t: number, decision: string, actor: string) =>
    toRecord({
      subject: eventSubject('approval', 'demo-queue'),
      data: EVENT_CODECS.approval.encode(Approval.fromPartial({ meta: meta(`ap_${planId}`, t), planId, decision, actor, incident: { planId, action: 'failover' } })),
      seq: ++seq,
    })!;

  it('a repeat request names the earlier ones on its incident and how they ended, and how long the incident has waited for an operator in all', () => {
    const pending = [{ planId: 'pl_3', component: 'demo-queue', requestedMs: t0 + 31 * MIN, action: 'failover', incidentId: 'an_1' }];
    const records = [
      plan('pl_1', t0, 'an_1'),
      approval('pl_1', t0 + 15 * MIN, 'expired', 'system'),
      plan('pl_2', t0 + 16 * MIN, 'an_1'),
      approval('pl_2', t0 + 31 * MIN - 1000, 'expired', 'system'),
      plan('pl_3', t0 + 31 * MIN, 'an_1'),
      plan('pl_x', t0 + 5 * MIN, 'an_other'),
    ];
    expect(askedBefore(pending, records, t0 + 31 * MIN + 19_000).get('pl_3')).toBe('asked before: pl_1 expired unanswered 16m ago, pl_2 expired unanswered 20s ago; waiting 31m in all');
  });

  it('the first request on an incident is "-"; a rejection names who', () => {
    const pending = [{ planId: 'pl_1', component: 'demo-queue', requestedMs: t0, action: 'failover', incidentId: 'an_1' }];
    expect(askedBefore(pending, [plan('pl_1', t0, 'an_1')], t0 + MIN).get('pl_1')).toBe('-');
    const again = [{ planId: 'pl_2', component: 'demo-queue', requestedMs: t0 + 5 * MIN, action: 'failover', incidentId: 'an_1' }];
    expect(askedBefore(again, [plan('pl_1', t0, 'an_1'), approval('pl_1', t0 + 2 * MIN, 'rejected', 'alice')], t0 + 5 * MIN).get('pl_2')).toBe('asked before: pl_1 rejected by alice 3m ago; waiting 5m in all');
  });
});
