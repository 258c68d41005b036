import { FailedPreconditionError, InvalidArgumentError, NotFoundError } from '@x0/core';
import { ApprovalQueue, type ApprovalAudit } from './approvals';
import { ManualClock } from './testing';

function setup(timeoutS = 60) {
  const clock = new ManualClock();
  const audits: ApprovalAudit[] = [];
  const q = new ApprovalQueue({ timeoutS, clock: clock.fn, onDecision: (a) => audits.push(a) });
  return { clock, q, audits };
}
const req = { planId: 'pl_1', component: 'db-1', action: 'failover', policyId: 'db-failover', risk: 'high' as const, reason: 'risk high' };

describe('approvals', () => {
  it('request - holds the action with a deadline; asking twice returns the same request', () => {
    const { clock, q } = setup();
    const p = q.request(req);
    expect(p).toEqual({ ...req, requestedMs: clock.now, expiresMs: clock.now + 60_000 });
    clock.advanceS(5);
    expect(q.request(req)).toBe(p);
    expect(q.pending()).toEqual([p]);
  });

  it('approve - records who approved and why, and removes it from the pending list', () => {
    const { clock, q, audits } = setup();
    const t0 = clock.now;
    q.request(req);
    clock.advanceS(10);
    const audit = q.approve('pl_1', { actor: 'alice', reason: 'primary is gone, failover ok' });
    expect(audit).toEqual({
      type: 'approval_decision',
      planId: 'pl_1',
      component: 'db-1',
      action: 'failover',
      policyId: 'db-failover',
      decision: 'approved',
      actor: 'alice',
      reason: 'primary is gone, failover ok',
      requestedMs: t0,
      decidedMs: t0 + 10_000,
    });
    expect(audits).toEqual([audit]);
    expect(q.pending()).toEqual([]);
    expect(q.decision('pl_1')).toEqual(audit);
  });

  it('reject - records the rejection; a second decision is refused naming the first', () => {
    const { q } = setup();
    q.request(req);
    expect(q.reject('pl_1', { actor: 'bob', reason: 'maintenance window' }).decision).toBe('rejected');
    expect(() => q.approve('pl_1', { actor: 'alice' })).toThrow(new FailedPreconditionError('plan pl_1 was already rejected by bob'));
    expect(() => q.request(req)).toThrow(FailedPreconditionError);
  });

  it('expire - a pending approval past its timeout is rejected by system', () => {
    const { clock, q, audits } = setup(60);
    q.request(req);
    clock.advanceS(59);
    expect(q.expire()).toEqual([]);
    clock.advanceS(1);
    const [audit] = q.expire();
    expect(audit).toMatchObject({ decision: 'expired', actor: 'system', reason: 'no decision within 1m', planId: 'pl_1' });
    expect(audits).toHaveLength(1);
    expect(q.pending()).toEqual([]);
  });

  it('approve - after expiry it is refused, and the expiry is audited', () => {
    const { clock, q, audits } = setup(60);
    q.request(req);
    clock.advanceS(61);
    expect(() => q.approve('pl_1', { actor: 'alice' })).toThrow(FailedPreconditionError);
    expect(() => q.approve('pl_1', { actor: 'alice' })).toThrow(/^approval for plan pl_1 expired at /);
    expect(audits.map((a) => a.decision)).toEqual(['expired']);
  });

  it('withdraw - a pending approval no longer needed is recorded as withdrawn by system with the reason; deciding it afterwards is refused saying so; nothing to withdraw otherwise', () => {
    const { clock, q, audits } = setup();
    q.request(req);
    clock.advanceS(5);
    const audit = q.withdraw('pl_1', 'incident an_1 ended');
    expect(audit).toMatchObject({ planId: 'pl_1', decision: 'withdrawn', actor: 'system', reason: 'incident an_1 ended', decidedMs: clock.now });
    expect(audits).toEqual([audit]);
    expect(q.pending()).toEqual([]);
    const err = (() => {
      try {
        q.approve('pl_1', { actor: 'alice' });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(FailedPreconditionError);
    expect((err as Error).message).toBe(`approval for plan pl_1 was withdrawn at ${new Date(clock.now).toISOString()}: incident an_1 ended`);
    expect(q.withdraw('pl_1', 'again')).toBeUndefined();
    expect(q.withdraw('pl_nope', 'x')).toBeUndefined();
    // an expired one is not withdrawn: its expiry stands
    q.request({ ...req, planId: 'pl_2' });
    clock.advanceS(61);
    expect(q.withdraw('pl_2', 'late')).toBeUndefined();
    expect(audits.map((a) => [a.planId, a.decision])).toEqual([['pl_1', 'withdrawn'], ['pl_2', 'expired']]);
  });

  it('approve - unknown plan and missing actor', () => {
    const { q } = setup();
    expect(() => q.approve('nope', { actor: 'alice' })).toThrow(new NotFoundError('pending approval', 'nope'));
    q.request(req);
    expect(() => q.approve('pl_1', { actor: '  ' })).toThrow(InvalidArgumentError);
    expect(() => q.request({ ...req, planId: '' })).toThrow("'planId' must be non-empty");
  });

  it('request - refuses beyond maxPending', () => {
    const q = new ApprovalQueue({ maxPending: 1 });
    q.request(req);
    expect(() => q.request({ ...req, planId: 'pl_2' })).toThrow('1 approvals pending, limit 1; refusing plan pl_2');
  });

  it('snapshot/restore - pending approvals survive a restart with their deadlines', () => {
    const { clock, q } = setup(60);
    q.request(req);
    const saved = JSON.parse(JSON.stringify(q.snapshot()));
    const q2 = new ApprovalQueue({ timeoutS: 60, clock: clock.fn });
    q2.restore(saved);
    expect(q2.pending()).toEqual(q.pending());
    clock.advanceS(60);
    expect(q2.pending()).toEqual([]);
  });
});
