/** How much damage an action can do when it is wrong. Ordered: low < medium < high. */
export type Risk = 'low' | 'medium' | 'high';

/** Risk levels in ascending order. */
export const RISKS: readonly Risk[] = ['low', 'medium', 'high'];

/** Position of a risk level in RISKS (low = 0). */
export function riskRank(risk: Risk): number {
  return RISKS.indexOf(risk);
}

/**
 * What the guardrails say about a proposed action:
 * - `allow`: act now;
 * - `dry_run`: describe the action, change nothing;
 * - `needs_approval`: hold it until an operator approves (or it expires);
 * - `block`: do not act; the lines say which guard stopped it.
 */
export type Verdict = 'allow' | 'dry_run' | 'needs_approval' | 'block';

/** Everything the guardrails need to know about one proposed action. */
export interface DecisionContext {
  component: string;
  /** Component kind: the group for the blast-radius limit. '' or undefined = group "default". */
  kind?: string;
  policyId: string;
  action: string;
  risk: Risk;
  /** The policy's cooldown for (component, action); the configured default when omitted. */
  cooldownS?: number;
  /** The policy's own dry-run flag. */
  dryRun?: boolean;
  /** Number of components of this kind, when the caller knows it (else: those seen so far). */
  groupSize?: number;
  /**
   * The plan the action is admitted for: it then holds the action's in-flight slot, and only
   * that plan's outcome or release frees it. Omitted by callers without plans (a what-if).
   */
  planId?: string;
}

/**
 * Which state a check looked at. A block with scope `action` (cooldown, per-policy breaker)
 * may not apply to another action on the same component; any other scope would block every
 * action on the component, so trying alternatives is pointless.
 */
export type CheckScope = 'action' | 'component' | 'group' | 'global';

/** Result of one guard: its name as shown to people, the outcome and why. */
export interface GuardrailCheck {
  /** e.g. `cooldown`, `rate_limit(component)`, `blast_radius(web)`. */
  guard: string;
  status: 'ok' | 'off' | 'blocked' | 'dry_run' | 'needs_approval';
  scope: CheckScope;
  /** Human-readable reason; '' when there is nothing to add. */
  detail: string;
}

/** The guardrails' answer for one proposed action. */
export interface GuardrailVerdict {
  verdict: Verdict;
  /** Every check, in evaluation order. */
  checks: GuardrailCheck[];
  /** The checks as lines for an explanation: "cooldown: ok", "rate_limit(component): blocked — …". */
  lines: string[];
}

/** An action admitted earlier (before a restart), for Guardrails.restore. */
export interface AdmittedAction {
  component: string;
  /** Component kind (blast-radius group); '' or undefined = group "default". */
  kind?: string;
  action: string;
  /** When it was admitted, ms since the epoch. */
  atMs: number;
  /** Not finished: awaiting approval, or dispatched without an outcome yet. */
  inFlight: boolean;
  /** The policy's cooldown for it; the configured default when omitted. */
  cooldownS?: number;
  /** The plan it was admitted for (holds its in-flight slot, as DecisionContext.planId). */
  planId?: string;
  /**
   * The policy it was admitted for: with one (and not `dryRun`), restore dispatches it to the
   * policy's and the global breaker at `atMs`, as `admit()` did (a half-open breaker's trial).
   */
  policyId?: string;
  /** Admitted as a dry run: no breaker trial. */
  dryRun?: boolean;
  /**
   * It was admitted with verdict `needs_approval` (put to an operator): its in-flight slot then
   * lasts at least `approval.timeoutS`, as `admit()` holds it, so it is not put to an operator
   * again while the first approval can still be granted.
   */
  heldForApproval?: boolean;
  /**
   * When an operator approved it (ms since the epoch), if one did: its in-flight slot then lasts
   * `inFlightTimeoutS` from this time, as `Guardrails.approved()` makes it.
   */
  approvedAtMs?: number;
  /**
   * Put to an operator and withdrawn unanswered (its incident ended): it never ran, so it starts
   * no cooldown, as `Guardrails.withdrawn()` lifts it.
   */
  withdrawn?: boolean;
}

/** What became of a dispatched action, as far as the guardrails care. */
export interface GuardrailOutcome {
  component: string;
  policyId: string;
  action: string;
  /** The component recovered after the action. */
  success: boolean;
  /** Outcome of a dry run: releases the in-flight slot, says nothing about success. */
  dryRun?: boolean;
  /**
   * The plan the action ran for: its in-flight slot is freed only if that plan holds it (a late
   * outcome of an earlier plan leaves a newer plan's slot alone). Omitted: the slot is freed.
   */
  planId?: string;
  /**
   * The incident the action was taken for: the global circuit breaker counts the consecutive
   * failures of one incident once (a lasting fault cannot open it alone). Omitted: each
   * failure counts.
   */
  incidentId?: string;
}

/** An outcome fed to the guardrails before a restart, at its own time (for Guardrails.restore). */
export interface RecordedOutcome extends GuardrailOutcome {
  /** When it was fed (the outcome's time), ms since the epoch. */
  atMs: number;
}

/** An anomaly observed before a restart (the plan service: one per plan made), for Guardrails.restore. */
export interface RecordedAnomaly {
  component: string;
  /** Component kind; '' or undefined = group "default". */
  kind?: string;
  atMs: number;
}

/** What Guardrails.restore rebuilds the breakers and the stabilisation window from. */
export interface GuardrailsHistory {
  outcomes?: readonly RecordedOutcome[];
  anomalies?: readonly RecordedAnomaly[];
}

/** Renders a check as one explanation line. */
export function checkLine(check: GuardrailCheck): string {
  return check.detail ? `${check.guard}: ${check.status} — ${check.detail}` : `${check.guard}: ${check.status}`;
}

/** Compact duration for explanations: 950ms, 45s, 5m, 1h30m, 2d. */
export function formatDuration(ms: number): string {
  if (ms <= 0) return '0s';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return s % 60 === 0 ? `${s / 60}m` : `${Math.floor(s / 60)}m${s % 60}s`;
  if (s < 86400) {
    const m = Math.round((s % 3600) / 60);
    return m === 0 ? `${Math.floor(s / 3600)}h` : `${Math.floor(s / 3600)}h${m}m`;
  }
  return `${Math.round(s / 86400)}d`;
}
