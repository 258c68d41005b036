import { InvalidArgumentError } from '@x0/core';
import { CAUSES, Severity, severityFromProto, severityToProto, type Policy } from '@x0/contracts';
import { validatePolicyDocument, validatePolicyFile, type Policy as PolicyDomain } from '@x0/decision';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';

type Doc = Record<string, unknown>;

/** One policy read for `x0 policies add`: where it is in the file, and the UpsertPolicy request's policy. */
export interface PolicyEntry {
  /** `policies[2]`, or `policy` for a file holding one policy. */
  field: string;
  policy: Policy;
}

/**
 * Reads policies for `x0 policies add` with the plan service's own rules (@x0/decision, as its
 * policy file loader and UpsertPolicy apply them): a policy file (`version: 1` required,
 * optional `defaults`, `policies: [...]` with unique ids; docs/decision-engine.md), a list of
 * policies (checked as the policies of such a file), or one policy. Fills in the defaults.
 * Throws InvalidArgumentError naming the field.
 */
export function policiesFromYaml(text: string): PolicyEntry[] {
  let doc: unknown;
  try {
    doc = parseYaml(text, { uniqueKeys: true });
  } catch (err) {
    throw new InvalidArgumentError('', `YAML error: ${(err as Error).message.split('\n')[0]}`);
  }
  const entries = (policies: PolicyDomain[]) => policies.map((p, i) => ({ field: `policies[${i}]`, policy: toProto(p) }));
  if (Array.isArray(doc)) return entries(validatePolicyFile({ version: 1, policies: doc }));
  if (isDoc(doc) && ('policies' in doc || 'version' in doc)) return entries(validatePolicyFile(doc));
  if (isDoc(doc)) return [{ field: 'policy', policy: toProto(validatePolicyDocument(doc, 'policy')) }];
  throw new InvalidArgumentError('', 'expected a policy file (version: 1, policies: [...]), a list of policies or one policy');
}

/**
 * Causes of `entries` that analyze does not infer from metrics (not in CAUSES): valid, since a
 * runbook's front matter may define a cause, but they match only diagnoses such a runbook
 * decided. `x0 policies add` warns about them.
 */
export function unusualCauses(entries: readonly PolicyEntry[]): Array<{ field: string; cause: string }> {
  return entries.flatMap(({ field, policy }) =>
    (policy.conditions?.causes ?? []).flatMap((cause, j) => ((CAUSES as readonly string[]).includes(cause) ? [] : [{ field: `${field}.conditions.causes[${j}]`, cause }])),
  );
}

function toProto(p: PolicyDomain): Policy {
  return {
    id: p.id,
    action: p.action,
    params: { ...p.params },
    priority: p.priority,
    conditions: { component: p.conditions.component, kinds: [...p.conditions.kinds], minSeverity: severityToProto(p.conditions.minSeverity), causes: [...p.conditions.causes] },
    risk: p.risk,
    cooldownS: p.cooldownS,
    enabled: p.enabled,
    dryRun: p.dryRun,
    executor: p.executor,
    description: p.description,
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
