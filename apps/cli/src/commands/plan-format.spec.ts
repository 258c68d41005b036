import { Explanation } from '@x0/contracts';
import { formatExplanation } from './plan-format';

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
});
