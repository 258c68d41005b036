import { InvalidArgumentError } from '@x0/core';
import { Severity as SeverityProto, severityFromProto, severityToProto, type Policy as PolicyProto } from '@x0/contracts';
import { validatePolicy, type Policy, type Severity } from '@x0/decision';
import type { Risk } from '@x0/guardrails';

/** A domain policy as the protobuf `x0.v1.Policy` (gRPC ListPolicies, UpsertPolicy). */
export function policyToProto(p: Policy): PolicyProto {
  return {
    id: p.id,
    action: p.action,
    params: { ...p.params },
    priority: p.priority,
    conditions: {
      component: p.conditions.component,
      kinds: [...p.conditions.kinds],
      minSeverity: severityToProto(p.conditions.minSeverity),
      causes: [...p.conditions.causes],
    },
    risk: p.risk,
    cooldownS: p.cooldownS,
    enabled: p.enabled,
    dryRun: p.dryRun,
    description: p.description,
    executor: p.executor,
  };
}

/**
 * A protobuf policy (UpsertPolicy) as a validated domain policy. Fields proto3 cannot leave
 * out take the policy file's defaults when empty: risk `low`, executor `agent`, component
 * `*`, min severity `low`. `enabled` and `dry_run` are taken as sent (false when omitted).
 * Throws InvalidArgumentError naming the field, e.g. `'policy.priority' must be ≤ 100`.
 */
export function policyFromProto(p: PolicyProto | undefined, field = 'policy'): Policy {
  if (!p) throw new InvalidArgumentError(field, 'is required');
  const c = p.conditions;
  const minSeverity = c && c.minSeverity !== SeverityProto.SEVERITY_UNSPECIFIED ? severityFromProto(c.minSeverity) : 'low';
  if (minSeverity === 'none') throw new InvalidArgumentError(`${field}.conditions.min_severity`, 'must be one of low, medium, high');
  return validatePolicy(
    {
      id: p.id,
      action: p.action,
      params: { ...p.params },
      priority: p.priority,
      conditions: { component: c?.component || '*', kinds: [...(c?.kinds ?? [])], minSeverity: minSeverity as Severity, causes: [...(c?.causes ?? [])] },
      risk: (p.risk || 'low') as Risk,
      cooldownS: p.cooldownS,
      enabled: p.enabled,
      dryRun: p.dryRun,
      executor: p.executor || 'agent',
      description: p.description,
    },
    field,
  );
}
