import { PlanStatus, severityFromProto, type Approval, type Explanation, type Plan, type Policy } from '@x0/contracts';
import { table } from './output';

const r3 = (x: number) => x.toFixed(3);
const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(3)}`;

/** The ranking of an explanation as a table, then its guardrail and evidence lines. */
export function formatExplanation(e: Explanation, indent = ''): string {
  const lines = [`${indent}${e.summary}`];
  if (e.ranking.length > 0) {
    const rows = [['#', 'POLICY', 'ACTION', 'SCORE', 'SUCCESS', 'PRIORITY', 'RECENCY', 'EVIDENCE', 'WHY NOT']];
    // The chosen row is the one nothing rejected: the first, or a later one when better-ranked
    // actions were blocked (a blocked plan has none).
    const chosen = e.ranking.findIndex((r) => !r.rejectedBecause);
    e.ranking.forEach((r, i) =>
      rows.push([String(i + 1), r.policyId, r.action, r3(r.score), r3(r.successRate), r3(r.priority), r3(r.recency), signed(r.evidence), i === chosen ? '(chosen)' : r.rejectedBecause]),
    );
    lines.push('', ...table(rows).split('\n').map((l) => `${indent}${l}`));
    lines.push(`${indent}score = 0.5·success + 0.3·priority + 0.2·recency; evidence = how much similar incidents moved the success rate`);
  }
  if (e.guardrails.length > 0) lines.push('', `${indent}guardrails:`, ...e.guardrails.map((g) => `${indent}  ${g}`));
  if (e.evidence.length > 0) lines.push('', `${indent}evidence:`, ...e.evidence.map((g) => `${indent}  ${g}`));
  return lines.join('\n');
}

const STATUS: Record<number, string> = {
  [PlanStatus.PLAN_STATUS_DISPATCH]: 'dispatch',
  [PlanStatus.PLAN_STATUS_PENDING_APPROVAL]: 'pending approval',
  [PlanStatus.PLAN_STATUS_BLOCKED]: 'blocked',
  [PlanStatus.PLAN_STATUS_NO_ACTION]: 'no action',
};

/** Plan status as a word. */
export function planStatus(status: PlanStatus): string {
  return STATUS[status] ?? 'unspecified';
}

/**
 * The decision on a plan that waited: `approved by alice 2026-11-27 16:31 UTC`, `expired
 * 2026-11-27 16:46 UTC`, `withdrawn 2026-11-27 16:40 UTC: incident an_… ended while …`.
 */
export function approvalDecision(a: Approval): string {
  const when = `${new Date(a.meta?.timeMs ?? 0).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  if (a.decision === 'expired') return `expired ${when}`;
  if (a.decision === 'withdrawn') return `withdrawn ${when}${a.reason ? `: ${a.reason}` : ''}`;
  return `${a.decision} by ${a.actor || 'unknown'} ${when}`;
}

/** A plan: what, on what, why (and, for one that waited for approval, the decision). */
export function formatPlan(p: Plan): string {
  const head = [
    `plan       ${p.meta?.id} (from ${p.meta?.parentId}, ${new Date(p.meta?.timeMs ?? 0).toISOString()})`,
    `component  ${p.meta?.component}${p.incident?.kind ? ` (${p.incident.kind})` : ''}, severity ${severityFromProto(p.incident?.severity ?? 0)}, cause ${p.incident?.cause || 'unknown'}`,
    `status     ${planStatus(p.status)}${p.approval ? ` → ${approvalDecision(p.approval)}` : ''}${p.action ? ` — ${p.action} (policy ${p.policyId}) via ${p.executor}${p.dryRun ? ', dry run' : ''}` : ''}`,
  ];
  if (p.approval?.reason) head.push(`reason     ${p.approval.reason}`);
  if (Object.keys(p.params).length > 0) head.push(`params     ${JSON.stringify(p.params)}`);
  if (p.idempotencyKey) head.push(`key        ${p.idempotencyKey}`);
  return `${head.join('\n')}\n\n${p.explanation ? formatExplanation(p.explanation) : '(no explanation)'}`;
}

/** One line per policy field group, for `x0 policies ls`. */
export function policyRows(policies: readonly Policy[]): string[][] {
  const rows = [['ID', 'ACTION', 'PRIO', 'RISK', 'ENABLED', 'DRY-RUN', 'EXECUTOR', 'COOLDOWN', 'WHEN']];
  for (const p of policies) {
    const c = p.conditions;
    const when = [
      c?.component && c.component !== '*' ? `component ${c.component}` : '',
      c?.kinds.length ? `kind ${c.kinds.join('|')}` : '',
      c && severityFromProto(c.minSeverity) !== 'none' ? `severity ≥ ${severityFromProto(c.minSeverity)}` : '',
      c?.causes.length ? `cause ${c.causes.join('|')}` : '',
    ]
      .filter(Boolean)
      .join(', ');
    rows.push([p.id, p.action, String(p.priority), p.risk, p.enabled ? 'yes' : 'no', p.dryRun ? 'yes' : 'no', p.executor, `${p.cooldownS}s`, when || 'always']);
  }
  return rows;
}

/**
 * The line under `x0 policies` when the plan service caps cooldowns (PLAN_MAX_COOLDOWN_S, its
 * `plan_cooldown_cap_s` gauge): the list shows the stored cooldowns, longer ones apply capped.
 * '' when there is no cap or no policy is concerned.
 */
export function cooldownCapNote(capS: number | undefined, policies: readonly Policy[]): string {
  if (!capS || capS <= 0) return '';
  const capped = policies.filter((p) => p.cooldownS > capS).map((p) => p.id);
  if (capped.length === 0) return '';
  return `cooldowns apply at most ${capS}s (PLAN_MAX_COOLDOWN_S): ${capped.length === policies.length ? 'every policy' : capped.join(', ')} waits ${capS}s, not the COOLDOWN shown`;
}
