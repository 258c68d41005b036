import { Severity } from '@x0/contracts';
import { policiesFromYaml, policyToYaml, unusualCauses } from './policy-yaml';

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
    ['version: 1\npolicies:\n  - { id: p, action: a, priority: 1, conditions: { min_severity: extreme } }\n', "'policies[0].conditions.min_severity' must be one of low, medium, high"],
    ['version: 1\npolicies:\n  - { id: p, action: a, priority: high }\n', "'policies[0].priority' must be a number"],
    ['id: p\nid: q\n', 'YAML error: Map keys must be unique'],
    ['- { id: p, action: a, priority: 1, risk: extreme }\n', "'policies[0].risk' must be one of low, medium, high"],
  ])('errors name the field: %j', (text, message) => {
    expect(() => policiesFromYaml(text)).toThrow(message);
  });

  // The operator walkthrough: each of these was upserted before.
  it.each([
    ['duplicate ids', 'version: 1\npolicies:\n  - { id: walk-e, action: restart, priority: 1 }\n  - { id: walk-e, action: scale_up, priority: 2 }\n', "'policies[1].id' duplicates policies[0] ('walk-e')"],
    ['duplicate ids in a list', '- { id: a, action: restart, priority: 1 }\n- { id: a, action: restart, priority: 2 }\n', "'policies[1].id' duplicates policies[0] ('a')"],
    ['version 2', 'version: 2\npolicies: []\n', "'version' must be 1"],
    ['no version', 'policies:\n  - { id: p, action: a, priority: 1 }\n', "'version' is required"],
    ['misspelt cause', 'id: p\naction: a\npriority: 1\nconditions: { causes: [cpu_saturaton] }\n', "'policy.conditions.causes[0]' is 'cpu_saturaton', not a known cause: did you mean cpu_saturation?"],
    ['cooldown of 31 700 years', 'id: p\naction: a\npriority: 1\ncooldown_s: 1e12\n', "'policy.cooldown_s' must be ≤ 2592000 (30 days)"],
    ['fractional priority', 'id: p\naction: a\npriority: 50.5\n', "'policy.priority' must be a whole number"],
  ])('the plan service\'s file rules: %s', (_what, text, message) => {
    expect(() => policiesFromYaml(text)).toThrow(message);
  });

  it('unusual causes - a cause analyze does not infer from metrics is reported (it may come from a runbook)', () => {
    const entries = policiesFromYaml('version: 1\npolicies:\n  - { id: a, action: restart, priority: 1, conditions: { causes: [cpu_saturation, certificate_expiry] } }\n');
    expect(unusualCauses(entries)).toEqual([{ field: 'policies[0].conditions.causes[1]', cause: 'certificate_expiry' }]);
  });
});
