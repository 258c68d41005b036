import { toKvKey } from '@x0/bus';
import { incidentOfContext, PlanStatus, Verdict, type Outcome } from '@x0/contracts';
import type { ApprovalRequests, FailedAttempt, RequestDecision } from '@x0/decision';
import type { AdmittedAction, GuardrailOutcome, GuardrailsConfig, RecordedAnomaly, RecordedOutcome } from '@x0/guardrails';
import type { StoredPlans } from './plan-store';

/** What the guardrails are rebuilt from at start (Guardrails.restore's arguments), and what was left out. */
export interface GuardrailsRebuild {
  /** Dispatched and held plans: cooldowns, rate windows, unfinished slots, breaker dispatches (trials). */
  actions: AdmittedAction[];
  /** Recorded outcomes: the breakers, and recoveries (flap windows). */
  outcomes: RecordedOutcome[];
  /** One per stored plan (each was made for one anomaly): the stabilisation episodes. */
  anomalies: RecordedAnomaly[];
  /** Stored entries that cannot be used, with why: skipped, to be logged. */
  skipped: Array<{ key: string; reason: string }>;
}

/** Settings of rebuildFromStore. */
export interface RebuildOptions {
  /** Outcomes older than this (by their own time) are left out. */
  sinceMs: number;
  /** Cooldown of each policy in force, by id. */
  cooldowns: ReadonlyMap<string, number>;
  /** Whether this replica owns the component's guardrails (X0_PARTITIONS); default: all. */
  owns?: (component: string) => boolean;
}

/** One part of the window the guardrails are rebuilt from at start: its length and the settings it comes from. */
export interface RestoreWindowPart {
  seconds: number;
  /** e.g. `2 × circuitBreaker.global.coolOffS 900`. */
  source: string;
}

/**
 * The parts of the window of stored plans and outcomes that still matter to the guardrails at a
 * restart, as far as their settings say (the cooldowns of the policies in force come on top):
 * the in-flight slot (a plan awaiting an operator holds it up to the approval timeout, and once
 * approved, at the last moment, the in-flight timeout from then), the rate windows, the default
 * cooldown, two cool-offs of each breaker (the one an open breaker is in, and the one before it
 * in which its failures came or its trial failed) and the stabilisation window (the flap window
 * after a recovery; the episode gap and persistence of a current episode). The window is the
 * longest part.
 */
export function restoreWindowParts(g: GuardrailsConfig): RestoreWindowPart[] {
  const inFlightS = g.blastRadius.inFlightTimeoutS;
  const parts: RestoreWindowPart[] = [
    g.approval.enabled
      ? { seconds: g.approval.timeoutS + inFlightS, source: `approval.timeoutS ${g.approval.timeoutS} + blastRadius.inFlightTimeoutS ${inFlightS}` }
      : { seconds: inFlightS, source: `blastRadius.inFlightTimeoutS ${inFlightS}` },
    { seconds: g.rateLimit.component.windowS, source: `rateLimit.component.windowS ${g.rateLimit.component.windowS}` },
    { seconds: g.rateLimit.global.windowS, source: `rateLimit.global.windowS ${g.rateLimit.global.windowS}` },
    { seconds: g.cooldown.defaultS, source: `cooldown.defaultS ${g.cooldown.defaultS}` },
  ];
  for (const [name, b] of [['policy', g.circuitBreaker.policy], ['global', g.circuitBreaker.global]] as const) {
    if (b.enabled) parts.push({ seconds: 2 * b.coolOffS, source: `2 × circuitBreaker.${name}.coolOffS ${b.coolOffS}` });
  }
  const st = g.stabilisation;
  if (st.enabled) {
    parts.push(
      { seconds: st.flapWindowS, source: `stabilisation.flapWindowS ${st.flapWindowS}` },
      { seconds: st.episodeGapS + st.minPersistS, source: `stabilisation.episodeGapS ${st.episodeGapS} + minPersistS ${st.minPersistS}` },
    );
  }
  return parts;
}

/** The longest of restoreWindowParts (the first of equal ones). */
export function longestRestorePart(g: GuardrailsConfig): RestoreWindowPart {
  return restoreWindowParts(g).reduce((a, b) => (b.seconds > a.seconds ? b : a));
}

/**
 * The guardrails' inputs from the plans the plan service stored and what it recorded about how
 * they ended: every plan is an anomaly observed at its time; a dispatched or held plan an
 * admitted action (in flight unless an outcome, a rejection or an expiry is recorded; approved
 * at the recorded approval's time); every recorded outcome fed at its own time. An entry that
 * cannot be used (no component, no action, no policy, no time, or not decodable) is listed in
 * `skipped`, never thrown: it must not stop the service starting.
 */
export function rebuildFromStore(stored: StoredPlans, o: RebuildOptions): GuardrailsRebuild {
  const out: GuardrailsRebuild = { actions: [], outcomes: [], anomalies: [], skipped: stored.unreadable.map((key) => ({ key, reason: 'does not decode' })) };
  const owns = o.owns ?? (() => true);
  for (const p of stored.plans) {
    const id = p.meta?.id ?? '';
    const component = p.meta?.component ?? '';
    const admitted = p.status === PlanStatus.PLAN_STATUS_DISPATCH || p.status === PlanStatus.PLAN_STATUS_PENDING_APPROVAL;
    if (!component || (admitted && !p.action)) {
      out.skipped.push({ key: id, reason: 'plan without a component or action' });
      continue;
    }
    if (!owns(component)) continue;
    const kind = p.incident?.kind ?? '';
    const atMs = p.meta!.timeMs;
    out.anomalies.push({ component, kind, atMs });
    if (!admitted) continue;
    const approval = stored.approvals.get(toKvKey(id));
    const decision = approval?.decision;
    const ended = stored.outcomes.has(toKvKey(id)) || (decision !== undefined && decision !== 'approved');
    // Approved: it runs from the approval on, and holds its slot inFlightTimeoutS from then.
    const approvedAtMs = decision === 'approved' ? approval!.meta?.timeMs : undefined;
    out.actions.push({
      component,
      kind,
      action: p.action,
      atMs,
      inFlight: !ended,
      cooldownS: o.cooldowns.get(p.policyId),
      planId: id,
      // One put to an operator holds its slot as long as its approval lives, as when it was admitted.
      heldForApproval: p.status === PlanStatus.PLAN_STATUS_PENDING_APPROVAL,
      ...(approvedAtMs ? { approvedAtMs } : {}),
      ...(decision === 'withdrawn' ? { withdrawn: true } : {}),
      ...(p.policyId ? { policyId: p.policyId } : {}),
      ...(p.dryRun ? { dryRun: true } : {}),
    });
  }
  for (const [key, oc] of stored.outcomes) {
    const atMs = oc.meta?.timeMs ?? 0;
    if (!oc.meta?.component || !oc.incident?.policyId || !oc.incident.action || !(atMs > 0)) {
      out.skipped.push({ key: `${key}.outcome`, reason: 'outcome without a component, policy, action or time' });
      continue;
    }
    const g = guardrailOutcome(oc);
    // Older by its own time: it came too late to count, or long before the window; unknown verdicts count for nothing.
    if (atMs < o.sinceMs || !g || !owns(g.component)) continue;
    out.outcomes.push({ ...g, atMs });
  }
  return out;
}

/**
 * What an Outcome event tells the guardrails: a success (recovered), a failure (not recovered,
 * the action failed) or a dry run, with its incident (the global breaker counts an incident's
 * failures once); undefined for any other verdict (it only frees the slot) or without a
 * policy or action.
 */
export function guardrailOutcome(o: Outcome): GuardrailOutcome | undefined {
  const inc = o.incident;
  if (!inc?.policyId || !inc.action) return undefined;
  const incidentId = incidentOfContext(inc);
  const base = { component: o.meta!.component, policyId: inc.policyId, action: inc.action, ...(inc.planId ? { planId: inc.planId } : {}), ...(incidentId ? { incidentId } : {}) };
  switch (o.verdict) {
    case Verdict.VERDICT_RECOVERED:
      return { ...base, success: true };
    case Verdict.VERDICT_NOT_RECOVERED:
    case Verdict.VERDICT_ACTION_FAILED:
      return { ...base, success: false };
    case Verdict.VERDICT_DRY_RUN:
      return { ...base, success: false, dryRun: true };
    default:
      return undefined;
  }
}

/** The failure an Outcome reports for its incident (not recovered, the action failed); undefined for any other verdict, or without an incident or action. */
export function failedAttempt(o: Outcome): FailedAttempt | undefined {
  const inc = o.incident;
  const incidentId = incidentOfContext(inc);
  if (!incidentId || !inc?.action) return undefined;
  const verdict = o.verdict === Verdict.VERDICT_NOT_RECOVERED ? 'not_recovered' : o.verdict === Verdict.VERDICT_ACTION_FAILED ? 'action_failed' : undefined;
  if (!verdict) return undefined;
  return { incidentId, action: inc.action, verdict, atMs: o.meta?.timeMs ?? 0, ...(inc.planId ? { planId: inc.planId } : {}) };
}

/**
 * The actions that failed on their incident, from the outcomes recorded since `sinceMs` (by
 * their own time), oldest first: what the planner remembered before a restart (Planner.attempts),
 * so a lasting incident does not get the same failed action again after one.
 */
export function failedAttemptsFromStore(stored: StoredPlans, o: Pick<RebuildOptions, 'sinceMs' | 'owns'>): FailedAttempt[] {
  const owns = o.owns ?? (() => true);
  const out: FailedAttempt[] = [];
  for (const oc of stored.outcomes.values()) {
    const a = failedAttempt(oc);
    if (a && a.atMs >= o.sinceMs && owns(oc.meta?.component ?? '')) out.push(a);
  }
  return out.sort((x, y) => x.atMs - y.atMs);
}

/**
 * Rebuilds what was put to an operator on each incident and how each request ended (see
 * ApprovalRequests), from the plans stored since `sinceMs` that waited for approval and their
 * recorded decisions: a restarted plan service still says a request is a repeat, and still does
 * not put a rejected action to an operator again for the same incident. Returns how many
 * requests it fed.
 */
export function approvalRequestsFromStore(stored: StoredPlans, into: ApprovalRequests, o: Pick<RebuildOptions, 'sinceMs' | 'owns'>): number {
  const owns = o.owns ?? (() => true);
  let n = 0;
  const plans = stored.plans
    .filter((p) => p.status === PlanStatus.PLAN_STATUS_PENDING_APPROVAL && (p.meta?.timeMs ?? 0) >= o.sinceMs && owns(p.meta?.component ?? ''))
    .sort((a, b) => a.meta!.timeMs - b.meta!.timeMs);
  for (const p of plans) {
    const incidentId = incidentOfContext(p.incident);
    const planId = p.meta?.id ?? '';
    if (!incidentId || !planId || !p.action) continue;
    into.asked(incidentId, { planId, action: p.action, atMs: p.meta!.timeMs });
    n++;
    const a = stored.approvals.get(toKvKey(planId));
    const decision = requestDecision(a?.decision);
    if (a && decision) into.decided(incidentId, { planId, action: p.action, decision, actor: a.actor, atMs: a.meta?.timeMs ?? p.meta!.timeMs });
  }
  return n;
}

/** An Approval's decision as ApprovalRequests knows it; undefined for anything else. */
export function requestDecision(d: string | undefined): RequestDecision | undefined {
  return d === 'approved' || d === 'rejected' || d === 'expired' || d === 'withdrawn' ? d : undefined;
}
