import type { DecisionContext, Guardrails, GuardrailVerdict } from '@x0/guardrails';
import type { DecisionEngine } from './decision-engine';
import { rankedAlternative, type DecisionInput, type Explanation, type ScoredPolicy } from './explanation';
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
}

/** Dependencies of Planner. */
export interface PlannerOptions {
  engine: DecisionEngine;
  guardrails: Guardrails;
  /** Count each plan() request as one anomaly observation for stabilisation (default true). */
  observeOnPlan?: boolean;
}

/** An outcome as the planner learns it (the engine's record plus whether it was a dry run). */
export interface PlanOutcome extends OutcomeRecord {
  dryRun?: boolean;
  /** The plan the action ran for: frees the in-flight slot only if that plan holds it. */
  planId?: string;
}

/**
 * The decision engine and the guardrails together. plan() ranks the policies and walks
 * the ranking: the first candidate the guardrails do not block is admitted. A block that
 * concerns only that action (cooldown, the policy's breaker) moves on to the next
 * candidate; a block of the component, its group or everything (stabilisation, rate
 * limits, blast radius, global breaker) stops: no other action would pass either.
 */
export class Planner {
  private readonly engine: DecisionEngine;
  private readonly guardrails: Guardrails;
  private readonly observeOnPlan: boolean;

  constructor(options: PlannerOptions) {
    this.engine = options.engine;
    this.guardrails = options.guardrails;
    this.observeOnPlan = options.observeOnPlan ?? true;
  }

  /** Plans for one diagnosed anomaly; admits (counts) the chosen action in the guardrails. */
  plan(req: PlanRequest): PlanDecision {
    if (this.observeOnPlan) this.guardrails.observeAnomaly(req.component, req.kind);
    return this.run(req, true);
  }

  /**
   * What-if: the same as plan() but changes no state (the gRPC Rank call). The request
   * counts as an anomaly for the stabilisation check, as plan() would count it.
   */
  preview(req: PlanRequest): PlanDecision {
    return this.run(req, false);
  }

  /** Feeds an outcome to both: the engine learns (unless dry run), the guardrails release. */
  recordOutcome(outcome: PlanOutcome): void {
    if (!outcome.dryRun) this.engine.recordOutcome(outcome);
    this.guardrails.recordOutcome({
      component: outcome.component,
      policyId: outcome.policyId,
      action: outcome.action,
      success: outcome.recovered,
      dryRun: outcome.dryRun,
      planId: outcome.planId,
    });
  }

  private run(req: PlanRequest, admit: boolean): PlanDecision {
    const decision = this.engine.decide(req);
    const explanation = decision.explanation;
    if (!decision.chosen) return { status: 'no_action', params: {}, dryRun: false, explanation };

    let firstBlocked: { candidate: ScoredPolicy; verdict: GuardrailVerdict } | undefined;
    for (let i = 0; i < decision.ranking.length; i++) {
      const candidate = decision.ranking[i];
      // Everything the walk looks at is explained, even past the engine's list of alternatives.
      if (i >= explanation.ranking.length) {
        explanation.ranking.push(rankedAlternative(candidate, this.engine.scoring.weights, ''));
        explanation.omitted.alternatives = Math.max(0, explanation.omitted.alternatives - 1);
      }
      const ctx = this.context(req, candidate.policy);
      const verdict = admit ? this.guardrails.admit(ctx) : this.guardrails.evaluate(ctx, { assumeAnomaly: this.observeOnPlan });
      if (verdict.verdict !== 'block') {
        explanation.ranking[i].rejectedBecause = '';
        for (let j = i + 1; j < explanation.ranking.length; j++) {
          explanation.ranking[j].rejectedBecause = `lower score than ${candidate.policy.id}`;
        }
        explanation.guardrails = verdict.lines;
        if (i > 0) explanation.summary = `chose ${candidate.policy.action} (${candidate.policy.id}), rank ${i + 1}, because better-ranked actions were blocked; ${rankedFirst(explanation.summary)}`;
        return this.result(candidate.policy, verdict, explanation);
      }
      const blocking = verdict.checks.filter((c) => c.status === 'blocked');
      explanation.ranking[i].rejectedBecause = `blocked: ${blocking.map((c) => `${c.guard} — ${c.detail}`).join('; ')}`;
      firstBlocked ??= { candidate, verdict };
      if (blocking.some((c) => c.scope !== 'action')) break;
    }
    const { candidate, verdict } = firstBlocked!;
    explanation.guardrails = verdict.lines;
    explanation.summary = `blocked: ${candidate.policy.action} (${candidate.policy.id}) on ${req.component} stopped by guardrails; ${rankedFirst(explanation.summary)}`;
    return { ...this.result(candidate.policy, verdict, explanation), status: 'blocked' };
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
