import { deriveId } from '@x0/core';
import { ActionResult, ActionStatus, Approval, Outcome, Verdict, type Plan } from '@x0/contracts';
import type { ApprovalAudit } from '@x0/guardrails';

/** What an executor call came to, as the ActionResult needs it. */
export interface ActionReport {
  executor: string;
  status: 'succeeded' | 'failed' | 'skipped';
  message: string;
  durationMs: number;
  dryRun: boolean;
}

const ACTION_STATUS = { succeeded: ActionStatus.ACTION_STATUS_SUCCEEDED, failed: ActionStatus.ACTION_STATUS_FAILED, skipped: ActionStatus.ACTION_STATUS_SKIPPED } as const;

/** The ActionResult of a plan: id `deriveId('ac', plan id)`, parent the plan, incident enriched with the action id. */
export function buildActionResult(plan: Plan, r: ActionReport, nowMs: number): ActionResult {
  const meta = plan.meta!;
  const id = deriveId('ac', meta.id);
  return ActionResult.fromPartial({
    meta: { id, parentId: meta.id, component: meta.component, timeMs: nowMs, source: 'execute' },
    incident: { ...plan.incident!, planId: meta.id, actionId: id },
    planId: meta.id,
    action: plan.action,
    executor: r.executor,
    status: ACTION_STATUS[r.status],
    message: r.message,
    durationMs: r.durationMs,
    dryRun: r.dryRun,
    params: { ...plan.params },
    idempotencyKey: plan.idempotencyKey,
  });
}

/** What verification (or the action itself) concluded. */
export interface OutcomeReport {
  verdict: Verdict;
  recovered: boolean;
  timeToRecoverMs: number;
  anomalyReturned: boolean;
  detail: string;
}

/** The Outcome of an action: id `deriveId('oc', action id)`, parent the action. */
export function buildOutcome(action: ActionResult, r: OutcomeReport, nowMs: number): Outcome {
  const meta = action.meta!;
  return Outcome.fromPartial({
    meta: { id: deriveId('oc', meta.id), parentId: meta.id, component: meta.component, timeMs: nowMs, source: 'execute' },
    incident: action.incident,
    actionId: meta.id,
    ...r,
  });
}

/** An immediate outcome: dry runs are not verified, failed or skipped actions did nothing to verify. */
export function immediateOutcome(action: ActionResult): OutcomeReport | undefined {
  if (action.dryRun) {
    // The executor's message already says so ("dry run: would …"): not "dry run: dry run: …".
    const detail = action.message.startsWith('dry run') ? action.message : `dry run: ${action.message}`;
    return { verdict: Verdict.VERDICT_DRY_RUN, recovered: false, timeToRecoverMs: 0, anomalyReturned: false, detail };
  }
  if (action.status === ActionStatus.ACTION_STATUS_FAILED) {
    return { verdict: Verdict.VERDICT_ACTION_FAILED, recovered: false, timeToRecoverMs: 0, anomalyReturned: false, detail: `action failed: ${action.message}` };
  }
  if (action.status === ActionStatus.ACTION_STATUS_SKIPPED) {
    return { verdict: Verdict.VERDICT_ACTION_FAILED, recovered: false, timeToRecoverMs: 0, anomalyReturned: false, detail: `action not performed: ${action.message}` };
  }
  return undefined;
}

/** The Approval event of an operator's decision (or an expiry): id `deriveId('ap', plan id)`, parent the plan. */
export function buildApproval(plan: Plan, audit: ApprovalAudit): Approval {
  const meta = plan.meta!;
  return Approval.fromPartial({
    meta: { id: deriveId('ap', meta.id), parentId: meta.id, component: meta.component, timeMs: audit.decidedMs, source: 'execute' },
    incident: plan.incident,
    planId: meta.id,
    decision: audit.decision,
    actor: audit.actor,
    reason: audit.reason,
  });
}
