import { OutcomeStats } from './outcome-stats';

describe('outcome-stats', () => {
  it('record - counts per policy and per (component, policy)', () => {
    const s = new OutcomeStats();
    s.record({ policyId: 'p', action: 'restart', component: 'a', recovered: true, timeMs: 10 });
    s.record({ policyId: 'p', action: 'restart', component: 'b', recovered: false, timeMs: 20 });
    const last = s.record({ policyId: 'p', action: 'restart', component: 'a', recovered: false, timeMs: 30 });
    expect(s.policy('p')).toEqual({ action: 'restart', successes: 1, failures: 2, lastSuccessMs: 10, lastFailureMs: 30 });
    expect(s.forComponent('a')?.get('p')).toEqual({ action: 'restart', successes: 1, failures: 1, lastSuccessMs: 10, lastFailureMs: 30 });
    expect(last).toEqual({ policy: s.policy('p'), component: s.forComponent('a')?.get('p') });
    expect(s.forComponent('c')).toBeUndefined();
  });

  it('export/import - round-trips through JSON', () => {
    const s = new OutcomeStats();
    s.record({ policyId: 'p', action: 'restart', component: 'a', recovered: true, timeMs: 10 });
    s.record({ policyId: 'q', action: 'scale_up', component: 'b', recovered: false, timeMs: 20 });
    const copy = new OutcomeStats();
    copy.import(JSON.parse(JSON.stringify(s.export())));
    expect(copy.export()).toEqual(s.export());
    // The copy is independent of the snapshot.
    copy.record({ policyId: 'p', action: 'restart', component: 'a', recovered: true, timeMs: 30 });
    expect(s.policy('p')?.successes).toBe(1);
  });

  it('import - a malformed snapshot is refused naming the field, and nothing changes', () => {
    const s = new OutcomeStats();
    s.record({ policyId: 'p', action: 'restart', component: 'a', recovered: true, timeMs: 10 });
    const bad = { version: 1, policies: { p: { action: 'restart', successes: -1, failures: 0, lastSuccessMs: 0, lastFailureMs: 0 } }, components: {} };
    expect(() => s.import(bad)).toThrow("'stats.policies.p.successes' must be ≥ 0");
    expect(() => s.import({ version: 2, policies: {}, components: {} })).toThrow("'stats.version' must be 1");
    expect(s.policy('p')?.successes).toBe(1);
  });

  it('record - rejects missing ids and bad times', () => {
    const s = new OutcomeStats();
    expect(() => s.record({ policyId: '', action: 'x', component: 'a', recovered: true, timeMs: 1 })).toThrow("'policyId' must be non-empty");
    expect(() => s.record({ policyId: 'p', action: 'x', component: 'a', recovered: true, timeMs: NaN })).toThrow("'timeMs' must be a time in ms since the epoch");
  });
});
