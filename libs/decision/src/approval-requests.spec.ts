import { ApprovalRequests, describeRequest } from './approval-requests';

const MIN = 60_000;

describe('ApprovalRequests - how an earlier request ended', () => {
  it('describeRequest - each decision, a withdrawal included, and one still waiting', () => {
    const t0 = Date.UTC(2026, 10, 28, 12, 0, 0);
    const r = new ApprovalRequests({ retentionMs: 60 * MIN });
    r.asked('an_1', { planId: 'pl_1', action: 'failover', atMs: t0 });
    r.asked('an_1', { planId: 'pl_2', action: 'failover', atMs: t0 + MIN });
    r.asked('an_1', { planId: 'pl_3', action: 'failover', atMs: t0 + 2 * MIN });
    r.asked('an_1', { planId: 'pl_4', action: 'failover', atMs: t0 + 3 * MIN });
    r.asked('an_1', { planId: 'pl_5', action: 'failover', atMs: t0 + 4 * MIN });
    r.decided('an_1', { planId: 'pl_1', action: 'failover', decision: 'expired', actor: 'system', atMs: t0 + 5 * MIN });
    r.decided('an_1', { planId: 'pl_2', action: 'failover', decision: 'rejected', actor: 'bob', atMs: t0 + 6 * MIN });
    r.decided('an_1', { planId: 'pl_3', action: 'failover', decision: 'approved', actor: 'alice', atMs: t0 + 7 * MIN });
    r.decided('an_1', { planId: 'pl_4', action: 'failover', decision: 'withdrawn', actor: 'system', atMs: t0 + 8 * MIN });
    const now = t0 + 10 * MIN;
    expect(r.earlier('an_1', 'failover', now).map((x) => describeRequest(x, now))).toEqual([
      'pl_1 for failover on this incident expired unanswered 5m ago',
      'pl_2 for failover on this incident was rejected by bob 4m ago',
      'pl_3 for failover on this incident was approved by alice 3m ago',
      'pl_4 for failover on this incident was withdrawn unanswered 2m ago (its incident had ended)',
      'pl_5 for failover on this incident is still waiting (asked 6m ago)',
    ]);
  });
});
