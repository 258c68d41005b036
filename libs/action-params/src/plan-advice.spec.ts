import { Plan, PlanStatus, Severity } from '@x0/contracts';
import type { ActionParamsAdvisor, AdvisedParams } from './advisor';
import { advisePlan } from './plan-advice';

const plan = (action: string, params: Record<string, string>) =>
  Plan.fromPartial({
    meta: { id: 'pl-1', component: 'db-1', timeMs: 1 },
    incident: { anomalyId: 'an-1', score: 0.9, severity: Severity.SEVERITY_HIGH },
    status: PlanStatus.PLAN_STATUS_DISPATCH,
    action,
    params,
  });

/** An advisor that answers with a fixed value and remembers what it was asked. */
function fixed(value: number | undefined, adapterVersion = ''): ActionParamsAdvisor & { asked: unknown[] } {
  const asked: unknown[] = [];
  return {
    asked,
    suggest: (component, action, incident, bounds) => {
      asked.push(bounds ? { component, action, incident, bounds } : { component, action, incident });
      if (value === undefined) return undefined;
      return { action, param: 'delta', value, params: { delta: String(value) }, strength: 1, probability: 0.8766, curve: [], model: 'action-params', version: '3', adapterVersion } as AdvisedParams;
    },
  };
}

describe('advisePlan', () => {
  it('advice - replaces the policy value, keeps it as policy_<param>, records model and probability', () => {
    const advisor = fixed(4, '2');
    const recorded: unknown[] = [];
    const out = advisePlan(advisor, plan('scale_up', { delta: '1', reason: 'x' }), { record: (...a) => recorded.push(a.slice(0, 2)) });
    expect(out.params).toEqual({ delta: '4', reason: 'x', policy_delta: '1', advised_by: 'action-params@3+db-1@2', advised_probability: '0.877' });
    expect(advisor.asked).toEqual([{ component: 'db-1', action: 'scale_up', incident: { score: 0.9, severity: 3 } }]);
    expect(recorded).toEqual([['action-params', '3']]);
  });

  it('advice - other actions, and no model yet, leave the plan as it is', () => {
    const p = plan('restart', { graceful: 'true' });
    expect(advisePlan(fixed(4), p)).toBe(p);
    const q = plan('scale_up', { delta: '1' });
    expect(advisePlan(fixed(undefined), q)).toBe(q);
  });

  it('limits - the executor\'s bounds on the action\'s parameter go to the advisor, and the narrowed range is recorded', () => {
    const advisor = fixed(2);
    const out = advisePlan(advisor, plan('scale_up', { delta: '1' }), undefined, { delta: { min: 1, max: 2 } });
    expect(advisor.asked).toEqual([{ component: 'db-1', action: 'scale_up', incident: { score: 0.9, severity: 3 }, bounds: { min: 1, max: 2 } }]);
    expect(out.params).toMatchObject({ delta: '2', policy_delta: '1', advised_range: '1..2' });
    // bounds on another parameter, or ones that narrow nothing, record no range
    expect(advisePlan(fixed(2), plan('scale_up', { delta: '1' }), undefined, { replicas: { max: 3 } }).params['advised_range']).toBeUndefined();
    expect(advisePlan(fixed(2), plan('scale_up', { delta: '1' }), undefined, { delta: { min: 1, max: 5 } }).params['advised_range']).toBeUndefined();
  });

  it('advice - a failing advisor never stops the action', () => {
    const q = plan('scale_up', { delta: '2' });
    const broken: ActionParamsAdvisor = {
      suggest: () => {
        throw new Error('boom');
      },
    };
    const failures: boolean[] = [];
    expect(advisePlan(broken, q, { record: (_m, _v, _ms, ok) => failures.push(ok ?? true) })).toBe(q);
    expect(failures).toEqual([false]);
  });
});
