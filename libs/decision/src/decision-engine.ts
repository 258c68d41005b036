import { InvalidArgumentError } from '@x0/core';
import {
  describeNotApplicable,
  r3,
  rankedAlternative,
  scoreFormula,
  type CandidateEvidence,
  type DecisionInput,
  type Explanation,
  type NotApplicable,
  type NotApplicableReason,
  type ScoredPolicy,
} from './explanation';
import { OutcomeStats, type OutcomeRecord, type StatsSnapshot, type Tally } from './outcome-stats';
import { checkUnique, validatePolicy } from './policy-file';
import { SEVERITIES, compileGlob, severityRank, type Policy } from './policy';
import { recency, resolveScoringConfig, type ScoringConfig, type ScoringConfigInput } from './scoring';

/** Dependencies and settings of DecisionEngine. */
export interface DecisionEngineOptions {
  policies?: readonly Policy[];
  scoring?: ScoringConfigInput;
  /** Milliseconds since the epoch; injected by tests. */
  clock?: () => number;
  /** Outcome statistics to start from (e.g. imported from KV). */
  stats?: OutcomeStats;
  /** How much of a long ranking the explanation lists (the summary always counts all). */
  explain?: { maxAlternatives?: number; maxNotApplicable?: number };
}

/** Candidates and non-candidates for one input, best first. */
export interface Ranking {
  candidates: ScoredPolicy[];
  notApplicable: NotApplicable[];
}

/** The engine's choice (or that there is none) with its explanation. */
export interface Decision {
  /** The best candidate; undefined when no policy applies. */
  chosen?: ScoredPolicy;
  ranking: ScoredPolicy[];
  notApplicable: NotApplicable[];
  explanation: Explanation;
  decidedMs: number;
}

interface CompiledPolicy {
  policy: Policy;
  component?: RegExp;
  kinds?: ReadonlySet<string>;
  causes?: ReadonlySet<string>;
  minSeverity: number;
}

interface EvidenceSum {
  successes: number;
  trials: number;
}

/**
 * Ranks remediation policies for a diagnosed anomaly and learns from outcomes:
 *
 *   score = 0.5·successRate + 0.3·priority/100 + 0.2·recency
 *
 * successRate is the mean of a Beta posterior: the prior Beta(α, β), this component's
 * outcomes with the policy (weight 1), the policy's outcomes on other components
 * (weight otherComponentsWeight) and the diagnosis' similar incidents (pseudo-observations
 * weighted by support). recency decays with a half-life since the policy's last success.
 * See docs/decision-engine.md.
 */
export class DecisionEngine {
  readonly scoring: ScoringConfig;
  private readonly clock: () => number;
  private readonly stats: OutcomeStats;
  private compiled: CompiledPolicy[] = [];
  private readonly maxAlternatives: number;
  private readonly maxNotApplicable: number;

  /** Throws InvalidArgumentError for invalid policies or scoring settings. */
  constructor(options: DecisionEngineOptions = {}) {
    this.scoring = resolveScoringConfig(options.scoring);
    this.clock = options.clock ?? Date.now;
    this.stats = options.stats ?? new OutcomeStats();
    this.maxAlternatives = options.explain?.maxAlternatives ?? 10;
    this.maxNotApplicable = options.explain?.maxNotApplicable ?? 25;
    if (!(this.maxAlternatives >= 1)) throw new InvalidArgumentError('explain.maxAlternatives', 'must be ≥ 1');
    if (!(this.maxNotApplicable >= 0)) throw new InvalidArgumentError('explain.maxNotApplicable', 'must be ≥ 0');
    this.setPolicies(options.policies ?? []);
  }

  /**
   * Replaces the policy set (validated; ids must be unique). Statistics are kept by id. The
   * checks of a written policy's values (whole-number priority, cooldown bound, misspelt
   * causes) are left to where policies are written (policy file, UpsertPolicy): a set read
   * from storage an older release wrote must not be refused whole for one such value.
   */
  setPolicies(policies: readonly Policy[]): void {
    const valid = policies.map((p, i) => validatePolicy(p, `policies[${i}]`, { values: false }));
    checkUnique(valid, 'policies');
    this.compiled = valid.map((policy) => ({
      policy,
      component: compileGlob(policy.conditions.component),
      kinds: policy.conditions.kinds.length > 0 ? new Set(policy.conditions.kinds) : undefined,
      causes: policy.conditions.causes.length > 0 ? new Set(policy.conditions.causes) : undefined,
      minSeverity: severityRank(policy.conditions.minSeverity),
    }));
  }

  /** The current policies, in file order. */
  policies(): Policy[] {
    return this.compiled.map((c) => c.policy);
  }

  /** Scores every applicable policy for `input`, best first. Throws InvalidArgumentError for bad input. */
  rank(input: DecisionInput): Ranking {
    validateInput(input);
    const now = this.clock();
    const { weights, prior, otherComponentsWeight: lambda, recencyHalfLifeS } = this.scoring;
    const halfLifeMs = recencyHalfLifeS * 1000;
    const cause = input.cause || 'unknown';
    const kind = input.kind ?? '';
    const severity = severityRank(input.severity);
    const available = input.availableActions ? new Set(input.availableActions) : undefined;
    const evidence = this.evidenceByAction(input);
    const local = this.stats.forComponent(input.component);

    const candidates: ScoredPolicy[] = [];
    const notApplicable: NotApplicable[] = [];
    for (const c of this.compiled) {
      const p = c.policy;
      let reason: NotApplicableReason | undefined;
      if (!p.enabled) reason = 'disabled';
      else if (c.component && !c.component.test(input.component)) reason = 'component';
      else if (c.kinds && !c.kinds.has(kind)) reason = 'kind';
      else if (severity < c.minSeverity) reason = 'severity';
      else if (c.causes && !c.causes.has(cause)) reason = 'cause';
      else if (available && !available.has(p.action)) reason = 'action_unavailable';
      if (reason) {
        notApplicable.push({ policy: p, reason });
        continue;
      }
      const overall = this.stats.policy(p.id);
      const here = local?.get(p.id);
      const s = here?.successes ?? 0;
      const f = here?.failures ?? 0;
      const os = Math.max(0, (overall?.successes ?? 0) - s);
      const of = Math.max(0, (overall?.failures ?? 0) - f);
      const ev = evidence?.get(p.action);
      const a = prior.alpha + s + lambda * os;
      const b = prior.beta + f + lambda * of;
      const without = a / (a + b);
      const successRate = ev ? (a + ev.successes) / (a + b + ev.trials) : without;
      const priority = p.priority / 100;
      const lastSuccessMs = overall?.lastSuccessMs ?? 0;
      const rec = recency(lastSuccessMs, now, halfLifeMs);
      candidates.push({
        policy: p,
        score: weights.successRate * successRate + weights.priority * priority + weights.recency * rec,
        successRate,
        priority,
        recency: rec,
        evidence: successRate - without,
        observations: {
          successes: s,
          failures: f,
          otherSuccesses: lambda * os,
          otherFailures: lambda * of,
          evidenceSuccesses: ev?.successes ?? 0,
          evidenceTrials: ev?.trials ?? 0,
        },
        lastSuccessMs,
      });
    }
    candidates.sort(byScore);
    return { candidates, notApplicable };
  }

  /**
   * Ranks and explains: the chosen policy, the best alternatives (up to
   * explain.maxAlternatives, default 10) with their score terms, the policies that did not
   * apply (up to explain.maxNotApplicable, default 25) and the evidence.
   */
  decide(input: DecisionInput): Decision {
    const { candidates, notApplicable } = this.rank(input);
    const chosen = candidates[0];
    const w = this.scoring.weights;
    const shown = candidates.slice(0, this.maxAlternatives);
    const explanation: Explanation = {
      summary: chosen ? `chose ${scoreFormula(chosen, w)}` : noActionSummary(input, notApplicable, this.compiled.length),
      ranking: shown.map((s, i) => rankedAlternative(s, w, i === 0 ? '' : `lower score (${r3(s.score)} < ${r3(chosen.score)})`)),
      notApplicable: notApplicable
        .slice(0, this.maxNotApplicable)
        .map((n) => ({ policyId: n.policy.id, action: n.policy.action, reason: describeNotApplicable(n.policy, n.reason, input) })),
      omitted: { alternatives: candidates.length - shown.length, notApplicable: Math.max(0, notApplicable.length - this.maxNotApplicable) },
      guardrails: [],
      evidence: this.evidenceLines(input, candidates),
    };
    if (chosen && candidates.length > 1) explanation.summary += `; ${candidates.length - 1} alternative${candidates.length > 2 ? 's' : ''}`;
    return { chosen, ranking: candidates, notApplicable, explanation, decidedMs: this.clock() };
  }

  /**
   * Learns from one outcome (per policy and per (component, policy)); returns the updated
   * tallies so the caller can persist them. Dry-run outcomes must not be recorded.
   */
  recordOutcome(outcome: OutcomeRecord): { policy: Tally; component: Tally } {
    return this.stats.record(outcome);
  }

  /** The learned statistics, as plain data. */
  exportStats(): StatsSnapshot {
    return this.stats.export();
  }

  /** Replaces the learned statistics; throws InvalidArgumentError for a malformed snapshot. */
  importStats(snapshot: unknown): void {
    this.stats.import(snapshot);
  }

  private evidenceByAction(input: DecisionInput): Map<string, EvidenceSum> | undefined {
    if (!input.evidence || input.evidence.length === 0) return undefined;
    const { weight, maxIncidents } = this.scoring.evidence;
    const out = new Map<string, EvidenceSum>();
    for (const e of input.evidence) {
      if (e.similarIncidents <= 0 || weight === 0) continue;
      // Cap the count but keep the observed rate, then weight by support.
      const n = Math.min(e.similarIncidents, maxIncidents);
      const trials = weight * e.support * n;
      const successes = trials * (e.successes / e.similarIncidents);
      const sum = out.get(e.action) ?? { successes: 0, trials: 0 };
      out.set(e.action, { successes: sum.successes + successes, trials: sum.trials + trials });
    }
    return out;
  }

  private evidenceLines(input: DecisionInput, candidates: readonly ScoredPolicy[]): string[] {
    const lines = [
      `diagnosis: ${input.component}${input.kind ? ` (${input.kind})` : ''}, severity ${input.severity}, cause ${input.cause || 'unknown'}` +
        (input.confidence !== undefined ? ` (confidence ${r3(input.confidence)})` : ''),
    ];
    if (input.availableActions) lines.push(`available actions: ${input.availableActions.length ? input.availableActions.join(', ') : '(none)'}`);
    const used = new Set(candidates.map((c) => c.policy.action));
    const { weight, maxIncidents } = this.scoring.evidence;
    for (const e of input.evidence ?? []) {
      const n = Math.min(e.similarIncidents, maxIncidents);
      const base = `similar incidents: ${e.action} recovered ${e.successes} of ${e.similarIncidents} (support ${r3(e.support)})`;
      if (!used.has(e.action)) lines.push(`${base}; no applicable policy performs ${e.action}`);
      else lines.push(`${base} → ${r3(weight * e.support * n)} pseudo-observations` + (e.rationale ? `; ${e.rationale}` : ''));
    }
    return lines;
  }
}

function byScore(a: ScoredPolicy, b: ScoredPolicy): number {
  return b.score - a.score || b.policy.priority - a.policy.priority || (a.policy.id < b.policy.id ? -1 : a.policy.id > b.policy.id ? 1 : 0);
}

function noActionSummary(input: DecisionInput, notApplicable: readonly NotApplicable[], total: number): string {
  const head = `no action: none of ${total} ${total === 1 ? 'policy applies' : 'policies apply'} to ${input.component}`;
  if (total === 0) return head;
  const counts = new Map<NotApplicableReason, number>();
  for (const n of notApplicable) counts.set(n.reason, (counts.get(n.reason) ?? 0) + 1);
  const label: Record<NotApplicableReason, string> = {
    disabled: 'disabled',
    component: 'component does not match',
    kind: 'other kind',
    severity: 'severity too low',
    cause: 'other cause',
    action_unavailable: `action not available on ${input.component}`,
  };
  return `${head} (${[...counts].map(([r, n]) => `${n} ${label[r]}`).join(', ')})`;
}

function validateInput(input: DecisionInput): void {
  if (!input.component) throw new InvalidArgumentError('component', 'must be non-empty');
  if (!SEVERITIES.includes(input.severity)) {
    throw new InvalidArgumentError('severity', `must be one of ${SEVERITIES.join(', ')}, got ${JSON.stringify(input.severity)}`);
  }
  if (input.evidence) checkEvidence(input.evidence);
}

type EvidenceField = 'action' | 'similarIncidents' | 'successes' | 'support';

/**
 * Checks candidate evidence as the engine takes it: an action, whole-number counts with
 * 0 ≤ successes ≤ similarIncidents, support in [0, 1]. Throws InvalidArgumentError naming the
 * first bad field `<prefix>[i].<name>` (default `evidence[i].similarIncidents`; the plan
 * service names a diagnosis's `candidates[i].similar_incidents`).
 */
export function checkEvidence(evidence: readonly CandidateEvidence[], o: { prefix?: string; name?: (field: EvidenceField) => string } = {}): void {
  const { prefix = 'evidence', name = (f: EvidenceField) => f } = o;
  evidence.forEach((e, i) => {
    const field = (f: EvidenceField) => `${prefix}[${i}].${name(f)}`;
    if (!e.action) throw new InvalidArgumentError(field('action'), 'must be non-empty');
    if (!(Number.isInteger(e.similarIncidents) && e.similarIncidents >= 0)) throw new InvalidArgumentError(field('similarIncidents'), `must be a whole number ≥ 0, got ${e.similarIncidents}`);
    if (!(Number.isInteger(e.successes) && e.successes >= 0 && e.successes <= e.similarIncidents)) {
      throw new InvalidArgumentError(field('successes'), `must be between 0 and ${name('similarIncidents')} (${e.similarIncidents}), got ${e.successes}`);
    }
    if (!(e.support >= 0 && e.support <= 1)) throw new InvalidArgumentError(field('support'), `must be in [0, 1], got ${e.support}`);
  });
}
