import type { DecisionContext, Guardrails, GuardrailVerdict } from '@x0/guardrails';
import type { DecisionEngine } from './decision-engine';
import { rankedAlternative, type DecisionInput, type Explanation, type ScoredPolicy } from './explanation';
import { ApprovalRequests, describeRequest, shortAgo } from './approval-requests';
import { IncidentAttempts, describeAttempts } from './incident-attempts';
import type { OutcomeRecord } from './outcome-stats';
import type { Policy } from './policy';

/** What the Planner decided (maps onto x0.v1.PlanStatus). */
export type PlanStatus = 'dispatch' | 'pending_approval' | 'blocked' | 'no_action';

/** One planning request: the decision input plus what the blast-radius guard may use. */
export interface PlanRequest extends DecisionInput {
  /** Number of components of this kind, when known. */
  groupSize?: number;
  /** The plan being made: the admitted action's in-flight slot is this plan's (see DecisionContext.planId). */
  planId?: string;
  /**
   * The incident the anomaly announces (the same for every re-announcement of a lasting fault):
   * an action that already failed on it is not chosen again. Omitted: no such memory applies.
   */
  incidentId?: string;
}

/** The planner's answer: what to do (if anything), the guardrails' verdict and why. */
export interface PlanDecision {
  status: PlanStatus;
  /** The chosen policy; when blocked, the best-ranked one; undefined for no_action. */
  policy?: Policy;
  action?: string;
  params: Record<string, string>;
  executor?: string;
  /** Describe, do not act (global or per-policy dry-run). */
  dryRun: boolean;
  /** Guardrails' verdict for the chosen (or best blocked) policy. */
  verdict?: GuardrailVerdict;
  explanation: Explanation;
  /** When the engine decided, ms since the epoch. */
  decidedMs?: number;
}

/** Dependencies of Planner. */
export interface PlannerOptions {
  engine: DecisionEngine;
  guardrails: Guardrails;
  /** Count each plan() request as one anomaly observation for stabilisation (default true). */
  observeOnPlan?: boolean;
  /** The actions that failed on each incident (default: remembered 30 min after an incident's last failure). */
  attempts?: IncidentAttempts;
  /** The actions put to an operator on each incident and how they ended (default: remembered as long as `attempts`). */
  requests?: ApprovalRequests;
}

/** An outcome as the planner learns it (the engine's record plus whether it was a dry run). */
export interface PlanOutcome extends OutcomeRecord {
  dryRun?: boolean;
  /** The plan the action ran for: frees the in-flight slot only if that plan holds it. */
  planId?: string;
  /** The incident the action was taken for: a failure is remembered for it (see PlanRequest.incidentId). */
  incidentId?: string;
  /** The action itself failed (verdict action_failed) rather than not recovering the component. */
  actionFailed?: boolean;
}

/** Default of PlannerOptions.attempts: how long an incident's failed actions are remembered. */
export const DEFAULT_ATTEMPTS_RETENTION_MS = 30 * 60_000;

/**
 * The decision engine and the guardrails together. plan() ranks the policies and walks
 * the ranking: the first candidate the guardrails do not block is admitted. A candidate whose
 * action already failed on the request's incident (`attempts`) is passed over, as is a block
 * that concerns only that action (cooldown, the policy's breaker); a block of the component,
 * its group or everything (stabilisation, rate limits, blast radius, global breaker) stops: no
 * other action would pass either. When every candidate already failed on the incident, the
 * plan is no_action and says so.
 */
export class Planner {
  private readonly engine: DecisionEngine;
  private readonly guardrails: Guardrails;
  private readonly observeOnPlan: boolean;
  /** The actions that already failed on each incident: fed by recordOutcome(), or directly (a restart's rebuild). */
  readonly attempts: IncidentAttempts;
  /** The actions put to an operator on each incident: fed by plan() and the approval decisions (ApprovalRequests.decided), or a restart's rebuild. */
  readonly requests: ApprovalRequests;

  constructor(options: PlannerOptions) {
    this.engine = options.engine;
    this.guardrails = options.guardrails;
    this.observeOnPlan = options.observeOnPlan ?? true;
    this.attempts = options.attempts ?? new IncidentAttempts({ retentionMs: DEFAULT_ATTEMPTS_RETENTION_MS });
    this.requests = options.requests ?? new ApprovalRequests({ retentionMs: this.attempts.retentionMs });
  }

  /**
   * Plans for one diagnosed anomaly; admits (counts) the chosen action in the guardrails. An
   * action put to an operator is remembered for the request's incident (see `requests`).
   */
  plan(req: PlanRequest): PlanDecision {
    if (this.observeOnPlan) this.guardrails.observeAnomaly(req.component, req.kind);
    const d = this.run(req, true);
    if (d.status === 'pending_approval' && req.incidentId && req.planId && d.action) {
      this.requests.asked(req.incidentId, { planId: req.planId, action: d.action, atMs: d.decidedMs ?? Date.now() });
    }
    return d;
  }

  /**
   * What-if: the same as plan() but changes no state (the gRPC Rank call). The request
   * counts as an anomaly for the stabilisation check, as plan() would count it.
   */
  preview(req: PlanRequest): PlanDecision {
    return this.run(req, false);
  }

  /**
   * Feeds an outcome to both: the engine learns (unless dry run), the guardrails release; a
   * failure with an `incidentId` is remembered for that incident (the action is not chosen
   * again for it).
   */
  recordOutcome(outcome: PlanOutcome): void {
    if (!outcome.dryRun) this.engine.recordOutcome(outcome);
    if (!outcome.dryRun && !outcome.recovered && outcome.incidentId) {
      this.attempts.record({
        incidentId: outcome.incidentId,
        action: outcome.action,
        verdict: outcome.actionFailed ? 'action_failed' : 'not_recovered',
        atMs: outcome.timeMs,
        ...(outcome.planId ? { planId: outcome.planId } : {}),
      });
    }
    this.guardrails.recordOutcome({
      component: outcome.component,
      policyId: outcome.policyId,
      action: outcome.action,
      success: outcome.recovered,
      dryRun: outcome.dryRun,
      planId: outcome.planId,
      incidentId: outcome.incidentId,
    });
  }

  private run(req: PlanRequest, admit: boolean): PlanDecision {
    const decision = this.engine.decide(req);
    const explanation = decision.explanation;
    if (!decision.chosen) return { status: 'no_action', params: {}, dryRun: false, explanation };

    let firstBlocked: { candidate: ScoredPolicy; verdict: GuardrailVerdict } | undefined;
    /** Candidates passed over because their action already failed on this incident, as explained. */
    const tried: string[] = [];
    /** How many of `tried` an operator rejected (rather than failed). */
    let rejected = 0;
    for (let i = 0; i < decision.ranking.length; i++) {
      const candidate = decision.ranking[i];
      // Everything the walk looks at is explained, even past the engine's list of alternatives.
      if (i >= explanation.ranking.length) {
        explanation.ranking.push(rankedAlternative(candidate, this.engine.scoring.weights, ''));
        explanation.omitted.alternatives = Math.max(0, explanation.omitted.alternatives - 1);
      }
      // It did nothing for this incident: it would do nothing the next time either.
      const attempt = this.attempts.failed(req.incidentId, candidate.policy.action, decision.decidedMs);
      if (attempt) {
        explanation.ranking[i].rejectedBecause = describeAttempts(attempt);
        tried.push(explanation.ranking[i].rejectedBecause);
        continue;
      }
      // An operator said no to it for this incident: not put to one again for the same incident.
      const rejection = this.requests.rejected(req.incidentId, candidate.policy.action, decision.decidedMs);
      if (rejection) {
        const by = rejection.actor ? ` by ${rejection.actor}` : '';
        explanation.ranking[i].rejectedBecause = `${rejection.action} rejected${by} on this incident ${shortAgo(decision.decidedMs - (rejection.decidedMs ?? rejection.atMs))} ago (${rejection.planId}; not asked again)`;
        tried.push(explanation.ranking[i].rejectedBecause);
        rejected++;
        continue;
      }
      const ctx = this.context(req, candidate.policy);
      const verdict = admit ? this.guardrails.admit(ctx) : this.guardrails.evaluate(ctx, { assumeAnomaly: this.observeOnPlan });
      if (verdict.verdict !== 'block') {
        explanation.ranking[i].rejectedBecause = '';
        for (let j = i + 1; j < explanation.ranking.length; j++) {
          explanation.ranking[j].rejectedBecause = `lower score than ${candidate.policy.id}`;
        }
        explanation.guardrails = verdict.lines;
        if (i > 0) {
          const because = [...tried, ...(firstBlocked ? ['better-ranked actions were blocked'] : [])].join('; ');
          explanation.summary = `chose ${candidate.policy.action} (${candidate.policy.id}), rank ${i + 1}, because ${because}; ${rankedFirst(explanation.summary)}`;
        }
        if (verdict.verdict === 'needs_approval') this.askedAgain(req, candidate.policy.action, explanation, decision.decidedMs);
        return { ...this.result(candidate.policy, verdict, explanation), decidedMs: decision.decidedMs };
      }
      const blocking = verdict.checks.filter((c) => c.status === 'blocked');
      explanation.ranking[i].rejectedBecause = `blocked: ${blocking.map((c) => `${c.guard} — ${c.detail}`).join('; ')}`;
      firstBlocked ??= { candidate, verdict };
      if (blocking.some((c) => c.scope !== 'action')) break;
    }
    if (!firstBlocked) {
      const how = rejected === 0 ? 'already failed on it' : rejected === tried.length ? 'was rejected by an operator for it' : 'already failed on it or was rejected by an operator for it';
      explanation.summary = `no action: nothing left to try on incident ${req.incidentId} — every applicable action ${how}: ${tried.join('; ')}`;
      return { status: 'no_action', params: {}, dryRun: false, explanation };
    }
    const { candidate, verdict } = firstBlocked;
    explanation.guardrails = verdict.lines;
    const alsoTried = tried.length > 0 ? `; not chosen again: ${tried.join('; ')}` : '';
    explanation.summary = `blocked: ${candidate.policy.action} (${candidate.policy.id}) on ${req.component} stopped by guardrails${alsoTried}; ${rankedFirst(explanation.summary)}`;
    return { ...this.result(candidate.policy, verdict, explanation), status: 'blocked' };
  }

  /**
   * An action put to an operator again for the same incident says so: the summary names the
   * earlier requests and how they ended (`asked again: pl_… for failover on this incident expired
   * unanswered 15m ago; …`), and an evidence line how long the incident has waited for an
   * operator since its first request.
   */
  private askedAgain(req: PlanRequest, action: string, explanation: Explanation, now: number): void {
    const earlier = this.requests.earlier(req.incidentId, action, now, req.planId);
    if (earlier.length === 0) return;
    explanation.summary = `asked again: ${earlier.map((r) => describeRequest(r, now)).join('; ')}; ${explanation.summary}`;
    const first = this.requests.firstAskedMs(req.incidentId, now) ?? earlier[0].atMs;
    explanation.evidence.push(`waiting for an operator on incident ${req.incidentId} for ${shortAgo(now - first)} in all (first asked ${new Date(first).toISOString()})`);
  }

  private result(policy: Policy, verdict: GuardrailVerdict, explanation: Explanation): PlanDecision {
    return {
      status: verdict.verdict === 'needs_approval' ? 'pending_approval' : verdict.verdict === 'block' ? 'blocked' : 'dispatch',
      policy,
      action: policy.action,
      params: { ...policy.params },
      executor: policy.executor,
      dryRun: verdict.verdict === 'dry_run',
      verdict,
      explanation,
    };
  }

  private context(req: PlanRequest, policy: Policy): DecisionContext {
    return {
      component: req.component,
      kind: req.kind,
      policyId: policy.id,
      action: policy.action,
      risk: policy.risk,
      cooldownS: policy.cooldownS,
      dryRun: policy.dryRun,
      groupSize: req.groupSize,
      planId: req.planId,
    };
  }
}

/**
 * The engine's summary (`chose restart (p): 0.520 = …`) once the guardrails have blocked its
 * choice: it describes the best-ranked action, which was not chosen.
 */
function rankedFirst(engineSummary: string): string {
  return engineSummary.replace(/^chose /, 'ranked first: ');
}
