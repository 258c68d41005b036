import { InvalidArgumentError } from '@x0/core';
import { Severity, parseSeverity, severityFromProto, severityToProto, type Policy } from '@x0/contracts';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';

const POLICY_KEYS = ['id', 'action', 'params', 'priority', 'conditions', 'risk', 'cooldown_s', 'enabled', 'dry_run', 'executor', 'description'];
const CONDITION_KEYS = ['component', 'kinds', 'min_severity', 'causes'];
const DEFAULT_KEYS = ['risk', 'cooldown_s', 'enabled', 'dry_run', 'executor'];
type Doc = Record<string, unknown>;

/**
 * Reads policies for `x0 policies add`: a policy file (`version: 1`, optional `defaults`,
 * `policies: [...]`, docs/decision-engine.md), a list of policies, or one policy. Fills in
 * what the file format defaults (the `defaults` section, else risk low, cooldown 300 s,
 * enabled, executor agent). Checks the shape (unknown fields, types); the plan service
 * validates the values. Throws InvalidArgumentError naming the field.
 */
export function policiesFromYaml(text: string): Array<{ field: string; policy: Policy }> {
  let doc: unknown;
  try {
    doc = parseYaml(text, { uniqueKeys: true });
  } catch (err) {
    throw new InvalidArgumentError('', `YAML error: ${(err as Error).message.split('\n')[0]}`);
  }
  let list: unknown[];
  let defaults: Doc = {};
  let prefix = 'policies';
  if (Array.isArray(doc)) list = doc;
  else if (isDoc(doc) && 'policies' in doc) {
    if (!Array.isArray(doc['policies'])) throw new InvalidArgumentError('policies', 'must be a list of policies');
    list = doc['policies'];
    if (doc['defaults'] !== undefined) {
      if (!isDoc(doc['defaults'])) throw new InvalidArgumentError('defaults', 'must be a mapping');
      defaults = doc['defaults'];
      unknownKeys(defaults, DEFAULT_KEYS, 'defaults');
    }
    unknownKeys(doc, ['version', 'defaults', 'policies'], '');
  } else if (isDoc(doc)) {
    list = [doc];
    prefix = 'policy';
  } else throw new InvalidArgumentError('', 'expected a policy file (version, policies), a list of policies or one policy');
  return list.map((p, i) => {
    const field = prefix === 'policy' ? 'policy' : `${prefix}[${i}]`;
    return { field, policy: toProto(p, defaults, field) };
  });
}

function toProto(p: unknown, defaults: Doc, field: string): Policy {
  if (!isDoc(p)) throw new InvalidArgumentError(field, 'must be a mapping');
  unknownKeys(p, POLICY_KEYS, field);
  const cond = p['conditions'] ?? {};
  if (!isDoc(cond)) throw new InvalidArgumentError(`${field}.conditions`, 'must be a mapping');
  unknownKeys(cond, CONDITION_KEYS, `${field}.conditions`);
  const params = p['params'] ?? {};
  if (!isDoc(params)) throw new InvalidArgumentError(`${field}.params`, 'must be a mapping');
  const minSeverity = cond['min_severity'] === undefined ? 'low' : parseSeverity(String(cond['min_severity']));
  if (!minSeverity || minSeverity === 'none') throw new InvalidArgumentError(`${field}.conditions.min_severity`, 'must be one of low, medium, high');
  const pick = <T>(key: string, type: string, dflt: T): T => {
    const v = p[key] ?? defaults[key] ?? dflt;
    if (typeof v !== type) throw new InvalidArgumentError(`${field}.${key}`, `must be a ${type}`);
    return v as T;
  };
  return {
    id: pick('id', 'string', ''),
    action: pick('action', 'string', ''),
    params: Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)])),
    priority: pick('priority', 'number', Number.NaN),
    conditions: {
      component: typeof cond['component'] === 'string' ? cond['component'] : '*',
      kinds: strings(cond['kinds'], `${field}.conditions.kinds`),
      minSeverity: severityToProto(minSeverity),
      causes: strings(cond['causes'], `${field}.conditions.causes`),
    },
    risk: pick('risk', 'string', 'low'),
    cooldownS: pick('cooldown_s', 'number', 300),
    enabled: pick('enabled', 'boolean', true),
    dryRun: pick('dry_run', 'boolean', false),
    executor: pick('executor', 'string', 'agent'),
    description: pick('description', 'string', ''),
  };
}

/** A policy in policy-file form (YAML), for `x0 policies show`. */
export function policyToYaml(p: Policy): string {
  const c = p.conditions;
  const conditions: Doc = {};
  if (c?.component && c.component !== '*') conditions['component'] = c.component;
  if (c?.kinds.length) conditions['kinds'] = c.kinds;
  if (c && c.minSeverity !== Severity.SEVERITY_UNSPECIFIED) conditions['min_severity'] = severityFromProto(c.minSeverity);
  if (c?.causes.length) conditions['causes'] = c.causes;
  return stringifyYaml({
    id: p.id,
    action: p.action,
    ...(Object.keys(p.params).length ? { params: p.params } : {}),
    priority: p.priority,
    conditions,
    risk: p.risk,
    cooldown_s: p.cooldownS,
    enabled: p.enabled,
    dry_run: p.dryRun,
    executor: p.executor,
    ...(p.description ? { description: p.description } : {}),
  });
}

function isDoc(v: unknown): v is Doc {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function unknownKeys(d: Doc, allowed: readonly string[], field: string): void {
  const bad = Object.keys(d).find((k) => !allowed.includes(k));
  if (bad) throw new InvalidArgumentError(field ? `${field}.${bad}` : bad, 'is not a known field');
}

function strings(v: unknown, field: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new InvalidArgumentError(field, 'must be a list of strings');
  return v as string[];
}
