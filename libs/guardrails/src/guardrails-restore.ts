import { InvalidArgumentError } from '@x0/core';
import { DEFAULT_GROUP, GLOBAL, actionId, breakerFor, cooldownKey, registerComponent, slotMs, startCooldown, type GuardrailsState } from './guardrails-state';
import type { AdmittedAction, GuardrailsHistory, RecordedAnomaly, RecordedOutcome } from './types';

/**
 * Replays into `s` the actions admitted before a restart and, from `history`, the outcomes fed
 * and the anomalies observed, all in the order of their times, as `admit()`, `recordOutcome()`
 * and `observeAnomaly()` changed the state then (see Guardrails.restore). Throws
 * InvalidArgumentError naming the first bad entry (`actions[1].action`,
 * `history.outcomes[0].policyId`); nothing is changed then.
 */
export function restoreState(s: GuardrailsState, actions: readonly AdmittedAction[], history: GuardrailsHistory): void {
  const outcomes = history.outcomes ?? [];
  const anomalies = history.anomalies ?? [];
  // Checked before anything changes: a bad entry leaves the guardrails as they were.
  actions.forEach((a, i) => {
    for (const f of ['component', 'action'] as const) if (!a[f]) throw new InvalidArgumentError(`actions[${i}].${f}`, 'must be non-empty');
  });
  outcomes.forEach((o, i) => {
    for (const f of ['component', 'policyId', 'action'] as const) if (!o[f]) throw new InvalidArgumentError(`history.outcomes[${i}].${f}`, 'must be non-empty');
  });
  anomalies.forEach((a, i) => {
    if (!a.component) throw new InvalidArgumentError(`history.anomalies[${i}].component`, 'must be non-empty');
  });
  // At equal times: the anomaly a plan was made for, then its action, then an outcome.
  const timeline = [
    ...anomalies.map((a) => ({ atMs: a.atMs, order: 0, apply: () => restoreAnomaly(s, a) })),
    ...actions.map((a) => ({ atMs: a.atMs, order: 1, apply: () => countAction(s, a) })),
    ...outcomes.map((o) => ({ atMs: o.atMs, order: 2, apply: () => restoreOutcome(s, o) })),
  ];
  for (const e of timeline.sort((x, y) => x.atMs - y.atMs || x.order - y.order)) e.apply();
}

/**
 * Counts action `a` admitted at `a.atMs`: starts its cooldown (unless it was withdrawn), enters the rate windows, takes
 * its in-flight slot when `a.inFlight` and, with a `policyId` and not `dryRun`, dispatches it to
 * the breakers. What `admit()` does for an action admitted now and restore() for one admitted before.
 */
export function countAction(s: GuardrailsState, a: AdmittedAction): void {
  if (!a.withdrawn) startCooldown(s, cooldownKey(a.component, a.action), a.atMs, { heldForApproval: a.heldForApproval ?? false, approvedAtMs: a.approvedAtMs });
  s.maxCooldownMs = Math.max(s.maxCooldownMs, (a.cooldownS ?? s.config.cooldown.defaultS) * 1000);
  s.componentRate.record(a.component, a.atMs);
  s.globalRate.record(GLOBAL, a.atMs);
  registerComponent(s, a.component, a.kind);
  if (a.policyId && !a.dryRun) {
    const id = actionId(a);
    breakerFor(s, a.policyId).onDispatch(a.atMs, id);
    s.globalBreaker.onDispatch(a.atMs, id);
  }
  if (!a.inFlight) return;
  // Approved: it runs from the approval on, and holds its slot inFlightTimeoutS from then.
  const timeoutMs = a.approvedAtMs !== undefined ? a.approvedAtMs + slotMs(s.config, false) - a.atMs : slotMs(s.config, a.heldForApproval ?? false);
  s.inFlight.add(a.component, a.kind || DEFAULT_GROUP, a.action, a.atMs, { planId: a.planId, timeoutMs });
}

function restoreOutcome(s: GuardrailsState, o: RecordedOutcome): void {
  if (o.dryRun) return;
  const id = actionId(o);
  breakerFor(s, o.policyId).onOutcome(o.success, o.atMs, id);
  s.globalBreaker.onOutcome(o.success, o.atMs, id, o.incidentId);
  if (o.success) s.stabilisation.observeRecovery(o.component, o.atMs);
}

function restoreAnomaly(s: GuardrailsState, a: RecordedAnomaly): void {
  registerComponent(s, a.component, a.kind);
  s.stabilisation.observeAnomaly(a.component, a.atMs);
}
