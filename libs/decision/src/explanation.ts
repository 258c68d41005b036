import type { Policy, Severity } from './policy';

/** Evidence from the diagnosis that an action fits: similar past incidents and how they ended. */
export interface CandidateEvidence {
  action: string;
  /** Similar past incidents where this action was taken. */
  similarIncidents: number;
  /** Of those, how many recovered. */
  successes: number;
  /** Weight of the evidence in [0, 1] (similarity of those incidents). */
  support: number;
  rationale?: string;
}

/** What the engine decides about: one diagnosed anomaly of one component. */
export interface DecisionInput {
  component: string;
  /** Component kind; '' or undefined matches only policies without `kinds`. */
  kind?: string;
  severity: Severity;
  /** Diagnosed probable cause; '' or undefined is `unknown`. */
  cause?: string;
  /** Confidence of the diagnosis in [0, 1], shown in the explanation. */
  confidence?: number;
  /** Actions the component can perform; undefined = no restriction, [] = none. */
  availableActions?: readonly string[];
  evidence?: readonly CandidateEvidence[];
}

/** Why a policy is not a candidate for this input. */
export type NotApplicableReason = 'disabled' | 'component' | 'kind' | 'severity' | 'cause' | 'action_unavailable';

/** A policy that was not a candidate, and why. */
export interface NotApplicable {
  policy: Policy;
  reason: NotApplicableReason;
}

/** Pseudo-observations behind a success rate. */
export interface Observations {
  /** Outcomes of this policy on this component. */
  successes: number;
  failures: number;
  /** Outcomes of this policy on other components (weighted by otherComponentsWeight). */
  otherSuccesses: number;
  otherFailures: number;
  /** Pseudo-observations from the diagnosis' similar incidents. */
  evidenceSuccesses: number;
  evidenceTrials: number;
}

/** A candidate policy with its score broken down. */
export interface ScoredPolicy {
  policy: Policy;
  score: number;
  /** Smoothed success rate in [0, 1] (Beta prior + outcomes + evidence). */
  successRate: number;
  /** priority / 100. */
  priority: number;
  /** exp(−ln2·Δt/halfLife) since the policy last succeeded; 0 if it never did. */
  recency: number;
  /** How much the diagnosis' evidence moved the success rate (successRate minus without it). */
  evidence: number;
  observations: Observations;
  /** Last success of the policy anywhere, ms since the epoch; 0 = never. */
  lastSuccessMs: number;
}

/** One line of the ranking in an explanation (mirrors x0.v1.RankedPolicy, plus contributions). */
export interface RankedAlternative {
  policyId: string;
  action: string;
  score: number;
  successRate: number;
  priority: number;
  recency: number;
  evidence: number;
  /** weight × term, the three summands of the score. */
  contributions: { successRate: number; priority: number; recency: number };
  observations: Observations;
  /** Why it was not chosen; '' for the chosen one. */
  rejectedBecause: string;
}

/** Why the engine (and the guardrails) chose what they chose (mirrors x0.v1.Explanation). */
export interface Explanation {
  summary: string;
  /** Candidates, best first (the chosen one first); the best few of a long ranking. */
  ranking: RankedAlternative[];
  /** Policies that did not apply, with the reason. */
  notApplicable: Array<{ policyId: string; action: string; reason: string }>;
  /** How many alternatives and non-applicable policies the lists above leave out. */
  omitted: { alternatives: number; notApplicable: number };
  /** Guardrail lines in evaluation order (filled in by the Planner). */
  guardrails: string[];
  /** The diagnosis and the evidence from similar incidents. */
  evidence: string[];
}

/** Rounds for display: 3 decimals. */
export function r3(x: number): string {
  return (Math.round(x * 1000) / 1000).toFixed(3);
}

/** Human-readable reason a policy does not apply to `input`. */
export function describeNotApplicable(policy: Policy, reason: NotApplicableReason, input: DecisionInput): string {
  const c = policy.conditions;
  switch (reason) {
    case 'disabled':
      return 'disabled';
    case 'component':
      return `component ${input.component} does not match '${c.component}'`;
    case 'kind':
      return `kind ${input.kind || '(none)'} not in [${c.kinds.join(', ')}]`;
    case 'severity':
      return `severity ${input.severity} below ${c.minSeverity}`;
    case 'cause':
      return `cause ${input.cause || 'unknown'} not in [${c.causes.join(', ')}]`;
    case 'action_unavailable':
      return `action ${policy.action} not available on ${input.component}`;
  }
}

/** The explanation line of a scored policy. */
export function rankedAlternative(s: ScoredPolicy, weights: { successRate: number; priority: number; recency: number }, rejectedBecause: string): RankedAlternative {
  return {
    policyId: s.policy.id,
    action: s.policy.action,
    score: s.score,
    successRate: s.successRate,
    priority: s.priority,
    recency: s.recency,
    evidence: s.evidence,
    contributions: { successRate: weights.successRate * s.successRate, priority: weights.priority * s.priority, recency: weights.recency * s.recency },
    observations: s.observations,
    rejectedBecause,
  };
}

/** `restart (web-restart): 0.742 = 0.5·0.800 + 0.3·0.700 + 0.2·0.660` */
export function scoreFormula(s: ScoredPolicy, w: { successRate: number; priority: number; recency: number }): string {
  return `${s.policy.action} (${s.policy.id}): ${r3(s.score)} = ${w.successRate}·${r3(s.successRate)} success + ${w.priority}·${r3(s.priority)} priority + ${w.recency}·${r3(s.recency)} recency`;
}
