import { pendingReason } from './approval-desk';

describe('approval desk', () => {
  it('pending reason - the plan-time "expires in" is left out: the listing counts down from expiresMs', () => {
    expect(pendingReason('approval: needs_approval — risk high ≥ high; expires in 15m')).toBe('risk high ≥ high');
    expect(pendingReason('approval: needs_approval — risk medium ≥ medium; expires in 2m')).toBe('risk medium ≥ medium');
    expect(pendingReason('approval: needs_approval — risk high ≥ high')).toBe('risk high ≥ high');
    expect(pendingReason('approval: needs_approval — expires in 15m')).toBe('the policy requires approval');
  });
});
