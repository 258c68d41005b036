import { Explanation, Plan, PlanStatus, type Policy } from '@x0/contracts';
import { cooldownCapNote, formatExplanation, formatPlan } from './plan-format';

const row = (policyId: string, rejectedBecause: string) => ({ policyId, action: policyId, score: 0.5, successRate: 0.5, priority: 0.5, recency: 0, evidence: 0, rejectedBecause });
const whyNot = (text: string) => text.split('\n').filter((l) => /^\d /.test(l)).map((l) => l.split(/\s{2,}/).pop());

describe('x0 explain / x0 rank formatting', () => {
  it('explain table - the chosen row says (chosen), also when better-ranked actions were blocked', () => {
    const first = Explanation.fromPartial({ summary: 's', ranking: [row('a', ''), row('b', 'lower score (0.4 < 0.5)')] });
    expect(whyNot(formatExplanation(first))).toEqual(['(chosen)', 'lower score (0.4 < 0.5)']);
    const second = Explanation.fromPartial({ summary: 's', ranking: [row('a', 'blocked: cooldown — a on web-1 0s ago'), row('b', ''), row('c', 'lower score than b')] });
    expect(whyNot(formatExplanation(second))).toEqual(['blocked: cooldown — a on web-1 0s ago', '(chosen)', 'lower score than b']);
  });

  it('explain table - a blocked plan has no chosen row', () => {
    const blocked = Explanation.fromPartial({ summary: 's', ranking: [row('a', 'blocked: rate_limit(component) — 1 actions in 1m'), row('b', 'lower score (0.4 < 0.5)')] });
    expect(whyNot(formatExplanation(blocked))).not.toContain('(chosen)');
  });

  it('explain status - a plan that waited for approval shows the decision once there is one', () => {
    const plan = Plan.fromPartial({
      meta: { id: 'pl_1', parentId: 'dg_1', component: 'db-1', timeMs: Date.UTC(2026, 10, 27, 16, 20) },
      status: PlanStatus.PLAN_STATUS_PENDING_APPROVAL,
      action: 'failover',
      policyId: 'db-failover',
      executor: 'agent',
    });
    const status = (p: Plan) => formatPlan(p).split('\n').find((l) => l.startsWith('status'));
    expect(status(plan)).toBe('status     pending approval — failover (policy db-failover) via agent');
    const approved = { ...plan, approval: { meta: { id: 'ap_1', parentId: 'pl_1', component: 'db-1', timeMs: Date.UTC(2026, 10, 27, 16, 31, 40), source: 'execute' }, planId: 'pl_1', decision: 'approved', actor: 'alice', reason: 'primary is gone', incident: undefined } };
    expect(status(approved)).toBe('status     pending approval → approved by alice 2026-11-27 16:31 UTC — failover (policy db-failover) via agent');
    expect(formatPlan(approved)).toContain('\nreason     primary is gone\n');
    const expired = { ...approved, approval: { ...approved.approval, decision: 'expired', actor: 'system', reason: '' } };
    expect(status(expired)).toBe('status     pending approval → expired 2026-11-27 16:31 UTC — failover (policy db-failover) via agent');
    expect(formatPlan(expired)).not.toContain('reason ');
  });
});

describe('x0 policies - cooldown cap', () => {
  const policy = (id: string, cooldownS: number) => ({ id, cooldownS }) as Policy;
  it('names the policies whose listed cooldown applies capped; nothing without a cap or when none exceeds it', () => {
    expect(cooldownCapNote(60, [policy('a', 1800), policy('b', 30)])).toBe('cooldowns apply at most 60s (PLAN_MAX_COOLDOWN_S): a waits 60s, not the COOLDOWN shown');
    expect(cooldownCapNote(60, [policy('a', 1800), policy('b', 300)])).toBe('cooldowns apply at most 60s (PLAN_MAX_COOLDOWN_S): every policy waits 60s, not the COOLDOWN shown');
    expect(cooldownCapNote(0, [policy('a', 1800)])).toBe('');
    expect(cooldownCapNote(undefined, [policy('a', 1800)])).toBe('');
    expect(cooldownCapNote(3600, [policy('a', 1800)])).toBe('');
  });
});
