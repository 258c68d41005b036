import { Severity } from '@x0/contracts';
import type { Policy, PolicyConditions } from '@x0/decision';
import { policyFromProto, policyToProto } from './policy-proto';

function makePolicy(over: Partial<Omit<Policy, 'conditions'>> & { conditions?: Partial<PolicyConditions> } = {}): Policy {
  const { conditions, ...rest } = over;
  return {
    id: 'p-restart',
    action: 'restart',
    params: {},
    priority: 50,
    risk: 'low',
    cooldownS: 300,
    enabled: true,
    dryRun: false,
    executor: 'agent',
    description: '',
    ...rest,
    conditions: { component: '*', kinds: [], minSeverity: 'low', causes: [], ...conditions },
  };
}

describe('policy proto', () => {
  it('round-trips a policy', () => {
    const p = makePolicy({ id: 'web-scale', action: 'scale_up', params: { delta: '2' }, risk: 'medium', conditions: { component: 'web-*', kinds: ['web'], minSeverity: 'medium', causes: ['cpu_saturation'] } });
    const proto = policyToProto(p);
    expect(proto.conditions).toEqual({ component: 'web-*', kinds: ['web'], minSeverity: Severity.SEVERITY_MEDIUM, causes: ['cpu_saturation'] });
    expect(policyFromProto(proto)).toEqual(p);
  });

  it('fromProto - empty fields take the file defaults; errors name the field', () => {
    const base = policyToProto(makePolicy());
    expect(policyFromProto({ ...base, risk: '', executor: '', conditions: undefined })).toMatchObject({
      risk: 'low',
      executor: 'agent',
      conditions: { component: '*', kinds: [], minSeverity: 'low', causes: [] },
    });
    expect(() => policyFromProto({ ...base, risk: 'extreme' })).toThrow("'policy.risk' must be one of low, medium, high");
    expect(() => policyFromProto({ ...base, action: 'Re Start' })).toThrow("'policy.action' must be a lower-case token");
    expect(() => policyFromProto({ ...base, id: '' })).toThrow("'policy.id' must match");
    expect(() => policyFromProto(undefined)).toThrow("'policy' is required");
  });
});
