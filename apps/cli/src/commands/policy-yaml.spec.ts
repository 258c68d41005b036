import { Severity } from '@x0/contracts';
import { policiesFromYaml, policyToYaml } from './policy-yaml';

describe('policy yaml', () => {
  it('a policy file: defaults applied, field names kept', () => {
    const [a, b] = policiesFromYaml(`
version: 1
defaults: { executor: k8s, cooldown_s: 60 }
policies:
  - id: web-scale
    action: scale_up
    params: { delta: 2 }
    priority: 80
    conditions: { component: "web-*", kinds: [web], min_severity: medium, causes: [cpu_saturation] }
  - { id: web-restart, action: restart, priority: 40, risk: medium, enabled: false }
`);
    expect(a).toEqual({
      field: 'policies[0]',
      policy: {
        id: 'web-scale',
        action: 'scale_up',
        params: { delta: '2' },
        priority: 80,
        conditions: { component: 'web-*', kinds: ['web'], minSeverity: Severity.SEVERITY_MEDIUM, causes: ['cpu_saturation'] },
        risk: 'low',
        cooldownS: 60,
        enabled: true,
        dryRun: false,
        executor: 'k8s',
        description: '',
      },
    });
    expect(b.policy).toMatchObject({ id: 'web-restart', risk: 'medium', enabled: false, cooldownS: 60, conditions: { component: '*', minSeverity: Severity.SEVERITY_LOW } });
  });

  it('one policy, and a round trip through show', () => {
    const [one] = policiesFromYaml('id: p1\naction: clear_cache\npriority: 10\n');
    expect(one.field).toBe('policy');
    expect(policiesFromYaml(policyToYaml(one.policy))[0].policy).toEqual(one.policy);
  });

  it.each([
    ['id: p\naction: a\npriorty: 3\n', "'policy.priorty' is not a known field"],
    ['policies:\n  - { id: p, action: a, priority: 1, conditions: { min_severity: extreme } }\n', "'policies[0].conditions.min_severity' must be one of low, medium, high"],
    ['policies:\n  - { id: p, action: a, priority: high }\n', "'policies[0].priority' must be a number"],
    ['id: p\nid: q\n', 'YAML error: Map keys must be unique'],
  ])('errors name the field: %j', (text, message) => {
    expect(() => policiesFromYaml(text)).toThrow(message);
  });
});
