import path from 'node:path';
import { InvalidArgumentError } from '@x0/core';
import { MAX_COOLDOWN_S, loadPolicyFile, parsePolicyFile, stringifyPolicyFile, validatePolicy, validatePolicyDocument } from './policy-file';
import { makePolicy } from './testing';

const DEFAULT_FILE = path.resolve(__dirname, '../../../deploy/policies.yaml');

function fails(yaml: string): string {
  try {
    parsePolicyFile(yaml);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidArgumentError);
    return (err as Error).message;
  }
  throw new Error('expected the policy file to be rejected');
}

describe('policy-file', () => {
  it('parse - fills defaults (file defaults, then built-in) and stringifies params', () => {
    const [p] = parsePolicyFile(`
version: 1
defaults: { executor: k8s, cooldown_s: 60 }
policies:
  - id: web-scale
    action: scale_up
    params: { delta: 2, force: true }
    priority: 70
    conditions: { component: "web-*", kinds: [web], min_severity: medium, causes: [cpu_saturation] }
`);
    expect(p).toEqual({
      id: 'web-scale',
      action: 'scale_up',
      params: { delta: '2', force: 'true' },
      priority: 70,
      conditions: { component: 'web-*', kinds: ['web'], minSeverity: 'medium', causes: ['cpu_saturation'] },
      risk: 'low',
      cooldownS: 60,
      enabled: true,
      dryRun: false,
      executor: 'k8s',
      description: '',
    });
  });

  it('parse - errors name the field', () => {
    const three = (third: string) => `version: 1\npolicies:\n  - {id: a, action: restart, priority: 1}\n  - {id: b, action: restart, priority: 1}\n  - ${third}`;
    expect(fails(three('{id: c, action: restart, priority: 150}'))).toBe("'policies[2].priority' must be ≤ 100");
    expect(fails(three('{id: c, action: restart, priority: -1}'))).toBe("'policies[2].priority' must be ≥ 0");
    expect(fails(three('{id: c, action: restart, priorty: 5}'))).toBe("'policies[2].priorty' is not a known field");
    expect(fails(three('{id: c, action: restart}'))).toBe("'policies[2].priority' is required");
    expect(fails(three('{id: c, action: Restart!, priority: 5}'))).toBe(
      "'policies[2].action' must be a lower-case token ([a-z][a-z0-9_-]*, at most 64 characters)",
    );
    expect(fails(three('{id: c, action: restart, priority: 5, risk: extreme}'))).toBe("'policies[2].risk' must be one of low, medium, high");
    expect(fails(three('{id: c, action: restart, priority: 5, conditions: {min_severity: huge}}'))).toBe(
      "'policies[2].conditions.min_severity' must be one of low, medium, high",
    );
    expect(fails(three('{id: c, action: restart, priority: 5, conditions: {component: "a b"}}'))).toBe(
      "'policies[2].conditions.component' must be a component glob (no whitespace, '.' or '>')",
    );
    expect(fails(three('{id: c, action: restart, priority: 5, cooldown_s: -5}'))).toBe("'policies[2].cooldown_s' must be ≥ 0");
    expect(fails(three('{id: a, action: restart, priority: 5}'))).toBe("'policies[2].id' duplicates policies[0] ('a')");
    expect(fails(three('{id: c, action: restart, priority: 5, params: {x: [1]}}'))).toBe("'policies[2].params.x' must be a string, number or boolean");
    expect(fails(three('{id: c, action: restart, priority: 5, params: {"bad key": 1}}'))).toBe("'policies[2].params.bad key' must be an identifier");
  });

  it('parse - values: whole-number priority, cooldown at most 30 days, no misspelt cause', () => {
    const one = (p: string) => `version: 1\npolicies:\n  - {id: a, action: restart, priority: 1}\n  - ${p}`;
    expect(fails(one('{id: b, action: restart, priority: 50.5}'))).toBe("'policies[1].priority' must be a whole number");
    expect(fails(one('{id: b, action: restart, priority: 5, cooldown_s: 1e12}'))).toBe("'policies[1].cooldown_s' must be ≤ 2592000 (30 days)");
    expect(fails('version: 1\ndefaults: {cooldown_s: 1e12}\npolicies: []')).toBe("'defaults.cooldown_s' must be ≤ 2592000 (30 days)");
    expect(fails(one('{id: b, action: restart, priority: 5, conditions: {causes: [disk_full, cpu_saturaton]}}'))).toBe(
      "'policies[1].conditions.causes[1]' is 'cpu_saturaton', not a known cause: did you mean cpu_saturation? " +
        "(known: cpu_saturation, memory_leak, latency_spike, error_burst, disk_full, queue_backlog, dependency_down, unknown; a runbook's front matter may name others)",
    );
    // At the bounds, and a cause a runbook defines (deploy/runbooks/certificate-expiry.md): accepted.
    const [, ok] = parsePolicyFile(one(`{id: b, action: restart, priority: 100, cooldown_s: ${MAX_COOLDOWN_S}, conditions: {causes: [certificate_expiry]}}`));
    expect(ok).toMatchObject({ priority: 100, cooldownS: 2_592_000, conditions: { causes: ['certificate_expiry'] } });
  });

  it('parse - values: false reads what an older release stored', () => {
    const stored = 'version: 1\npolicies:\n  - {id: b, action: restart, priority: 50.5, cooldown_s: 1e12, conditions: {causes: [cpu_saturaton]}}';
    expect(parsePolicyFile(stored, 'bucket', { values: false })[0]).toMatchObject({ priority: 50.5, cooldownS: 1e12, conditions: { causes: ['cpu_saturaton'] } });
    expect(() => parsePolicyFile('version: 1\npolicies:\n  - {id: b, action: restart, priority: 150}', 'bucket', { values: false })).toThrow(
      "'policies[0].priority' must be ≤ 100",
    );
  });

  it('validatePolicyDocument - one policy in file form, built-in defaults, same rules', () => {
    expect(validatePolicyDocument({ id: 'p1', action: 'clear_cache', priority: 10 })).toMatchObject({ risk: 'low', cooldownS: 300, executor: 'agent', enabled: true });
    expect(() => validatePolicyDocument({ id: 'p1', action: 'clear_cache', priority: 10.5 })).toThrow("'policy.priority' must be a whole number");
    expect(() => validatePolicyDocument({ id: 'p1', action: 'clear_cache', priorty: 10 })).toThrow("'policy.priorty' is not a known field");
  });

  it('parse - file-level errors', () => {
    expect(fails('version: 2\npolicies: []')).toBe("'version' must be 1");
    expect(fails('policies: []')).toBe("'version' is required");
    expect(fails('- a')).toBe('a policy file must be a mapping with `version: 1` and `policies: [...]`');
    expect(fails('version: 1\npolicies:\n  - {id: a\n  b')).toMatch(/^policy file: YAML error: .* at line \d+, column \d+$/);
    expect(fails('version: 1\nversion: 1\npolicies: []')).toMatch(/^policy file: YAML error: Map keys must be unique/);
  });

  it('stringify - round-trips', () => {
    const policies = [makePolicy({ id: 'a', params: { delta: '1' } }), makePolicy({ id: 'b', dryRun: true, conditions: { causes: ['disk_full'] } })];
    expect(parsePolicyFile(stringifyPolicyFile(policies))).toEqual(policies);
  });

  it('validatePolicy - domain objects (gRPC upsert) are checked with the same rules', () => {
    expect(validatePolicy(makePolicy())).toEqual(makePolicy());
    expect(() => validatePolicy(makePolicy({ priority: 101 }))).toThrow("'policy.priority' must be ≤ 100");
    expect(() => validatePolicy(makePolicy({ executor: 'https://evil' }))).toThrow("'policy.executor' must be an executor name ([a-z][a-z0-9_-]*)");
    expect(() => validatePolicy(makePolicy({ priority: 50.5 }))).toThrow("'policy.priority' must be a whole number");
    expect(() => validatePolicy(makePolicy({ cooldownS: 1e12 }))).toThrow("'policy.cooldown_s' must be ≤ 2592000 (30 days)");
    expect(() => validatePolicy(makePolicy({ conditions: { causes: ['memory_leaks'] } }))).toThrow(
      "'policy.conditions.causes[0]' is 'memory_leaks', not a known cause: did you mean memory_leak?",
    );
  });

  it('deploy/policies.yaml - valid, and covers every common cause', async () => {
    const policies = await loadPolicyFile(DEFAULT_FILE);
    const causes = new Set(policies.flatMap((p) => p.conditions.causes));
    for (const cause of ['cpu_saturation', 'memory_leak', 'latency_spike', 'error_burst', 'disk_full', 'queue_backlog', 'dependency_down', 'unknown']) {
      expect(policies.filter((p) => p.enabled && p.conditions.causes.includes(cause)).length).toBeGreaterThanOrEqual(2);
      expect(causes.has(cause)).toBe(true);
    }
    // Actions that can hurt when wrong wait for an operator.
    expect(policies.filter((p) => p.action === 'failover' || p.action === 'rollback').map((p) => p.risk)).toEqual(['high', 'high']);
  });
});
