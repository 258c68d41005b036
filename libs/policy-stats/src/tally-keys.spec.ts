import { addOutcome } from './policy-stats-store';
import { parseTallyKey, tallyKey } from './tally-keys';

describe('tally keys', () => {
  it.each([
    ['web-restart', ''],
    ['web-restart', 'web-1'],
    ['odd:policy', 'db:5432'],
    ['p', 'éu'],
  ])('round trips policy %s on component %j', (policyId, component) => {
    const key = tallyKey(policyId, component);
    expect(key).toMatch(/^[-/_=.a-zA-Z0-9]+$/);
    expect(parseTallyKey(key)).toEqual({ policyId, component });
  });

  it('parseTallyKey - foreign keys', () => {
    expect(parseTallyKey('other.key')).toBeUndefined();
    expect(parseTallyKey('component.only')).toBeUndefined();
  });
});

describe('addOutcome', () => {
  it('counts successes and failures with their last times', () => {
    let t = addOutcome(undefined, { policyId: 'p', action: 'restart', component: 'c', recovered: true, timeMs: 10 }, 'c');
    t = addOutcome(t, { policyId: 'p', action: 'restart', component: 'c', recovered: false, timeMs: 20 }, 'c');
    t = addOutcome(t, { policyId: 'p', action: 'restart', component: 'c', recovered: true, timeMs: 5 }, 'c');
    expect(t).toEqual({ policyId: 'p', component: 'c', action: 'restart', successes: 2, failures: 1, lastSuccessMs: 10, lastFailureMs: 20 });
  });
});
