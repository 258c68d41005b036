import { deriveId } from '@x0/core';
import {
  incidentOfContext,
  Plan,
  PlanStatus,
  severityFromProto,
  type CandidateAction,
  type Diagnosis,
  type Explanation as ExplanationProto,
  type Severity as SeverityProto,
} from '@x0/contracts';
import { checkEvidence, type CandidateEvidence, type Explanation, type PlanDecision, type PlanRequest, type Severity } from '@x0/decision';

/** Most "not applicable" lines copied into a plan's evidence. */
const MAX_NOT_APPLICABLE_LINES = 10;

const STATUS: Record<PlanDecision['status'], PlanStatus> = {
  dispatch: PlanStatus.PLAN_STATUS_DISPATCH,
  pending_approval: PlanStatus.PLAN_STATUS_PENDING_APPROVAL,
  blocked: PlanStatus.PLAN_STATUS_BLOCKED,
  no_action: PlanStatus.PLAN_STATUS_NO_ACTION,
};

/** Severity for the decision engine: an unspecified one is taken as `low`. */
export function decisionSeverity(severity: SeverityProto): Severity {
  const s = severityFromProto(severity);
  return s === 'none' ? 'low' : s;
}

/**
 * Checks a diagnosis's (or a Rank request's) candidate actions as the engine would, naming the
 * fields as the protobuf does (`candidates[0].similar_incidents`). Throws InvalidArgumentError.
 */
export function validateCandidates(candidates: readonly CandidateAction[]): void {
  checkEvidence(candidates, { prefix: 'candidates', name: (f) => PROTO_FIELD[f] });
}

const PROTO_FIELD = { action: 'action', similarIncidents: 'similar_incidents', successes: 'successes', support: 'support' } as const;

/** Candidate actions of a diagnosis (or a Rank request) as the engine's evidence. */
export function candidateEvidence(candidates: readonly CandidateAction[]): CandidateEvidence[] {
  return candidates.map((c) => ({
    action: c.action,
    similarIncidents: c.similarIncidents,
    successes: c.successes,
    support: c.support,
    ...(c.rationale ? { rationale: c.rationale } : {}),
  }));
}

/** What the planner needs to know about a diagnosis. */
export interface PlanInputs {
  /** Actions the component can perform; undefined when unknown (any may be tried). */
  availableActions?: readonly string[];
  /** Components of the diagnosed component's kind known so far. */
  groupSize?: number;
}

/**
 * The planning request for a diagnosis: severity, kind and cause from its incident context
 * (the diagnosis' probable cause when the context has none), its confidence, its candidate
 * actions as evidence, and the incident it belongs to (incidentOfContext).
 */
export function planRequest(d: Diagnosis, inputs: PlanInputs = {}): PlanRequest {
  const inc = d.incident!;
  const incidentId = incidentOfContext(inc);
  return {
    component: d.meta!.component,
    ...(incidentId ? { incidentId } : {}),
    kind: inc.kind,
    severity: decisionSeverity(inc.severity),
    cause: d.probableCause || inc.cause,
    confidence: d.confidence,
    evidence: candidateEvidence(d.candidates),
    ...(inputs.availableActions ? { availableActions: inputs.availableActions } : {}),
    ...(inputs.groupSize ? { groupSize: inputs.groupSize } : {}),
  };
}

/** The engine's explanation as `x0.v1.Explanation`; non-applicable policies become evidence lines. */
export function explanationToProto(e: Explanation): ExplanationProto {
  const notApplicable = e.notApplicable.slice(0, MAX_NOT_APPLICABLE_LINES).map((n) => `not applicable: ${n.policyId} (${n.action}) — ${n.reason}`);
  const moreNa = e.notApplicable.length - notApplicable.length + e.omitted.notApplicable;
  return {
    summary: e.summary,
    ranking: e.ranking.map((r) => ({
      policyId: r.policyId,
      action: r.action,
      score: r.score,
      successRate: r.successRate,
      priority: r.priority,
      recency: r.recency,
      evidence: r.evidence,
      rejectedBecause: r.rejectedBecause,
    })),
    guardrails: [...e.guardrails],
    evidence: [
      ...e.evidence,
      ...notApplicable,
      ...(moreNa > 0 ? [`not applicable: ${moreNa} more`] : []),
      ...(e.omitted.alternatives > 0 ? [`ranking: ${e.omitted.alternatives} lower-ranked alternative(s) not listed`] : []),
    ],
  };
}

/** Idempotency key of an action taken for an incident: unique per (incident, action). */
export function idempotencyKey(anomalyId: string, action: string): string {
  return `${anomalyId}:${action}`;
}

/**
 * The Plan event for a diagnosis and the planner's decision: id `deriveId('pl', diagnosis
 * id)`, parent the diagnosis, the incident context enriched with the plan, policy and
 * action, and an idempotency key when there is something to execute.
 */
export function buildPlan(d: Diagnosis, decision: PlanDecision, nowMs: number): Plan {
  const meta = d.meta!;
  const inc = d.incident!;
  const id = deriveId('pl', meta.id);
  const acts = decision.status === 'dispatch' || decision.status === 'pending_approval';
  const action = decision.action ?? '';
  return Plan.fromPartial({
    meta: { id, parentId: meta.id, component: meta.component, timeMs: nowMs, source: 'plan' },
    incident: {
      ...inc,
      cause: inc.cause || d.probableCause,
      diagnosisId: meta.id,
      planId: id,
      policyId: decision.policy?.id ?? '',
      action,
    },
    status: STATUS[decision.status],
    policyId: decision.policy?.id ?? '',
    action,
    params: decision.params,
    dryRun: decision.dryRun,
    idempotencyKey: acts ? idempotencyKey(inc.anomalyId, action) : '',
    explanation: explanationToProto(decision.explanation),
    executor: decision.executor ?? '',
  });
}
