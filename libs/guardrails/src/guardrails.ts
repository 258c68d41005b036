import { resolveGuardrailsConfig, type GuardrailsConfig, type GuardrailsConfigInput } from './config';
import { runChecks, validateContext, verdictOf } from './guard-checks';
import { countAction, restoreState } from './guardrails-restore';
import { actionId, approveCooldown, breakerFor, cooldownKey, createGuardrailsState, liftCooldown, pruneState, registerComponent, type GuardrailsState } from './guardrails-state';
import { checkLine, type AdmittedAction, type DecisionContext, type GuardrailsHistory, type GuardrailOutcome, type GuardrailVerdict } from './types';

/** Dependencies of Guardrails. */
export interface GuardrailsOptions {
  /** Settings; anything omitted takes its default (see resolveGuardrailsConfig). */
  config?: GuardrailsConfigInput;
  /** Milliseconds since the epoch; injected by tests. */
  clock?: () => number;
}

/** A summary of the guardrails' state, for statistics and the CLI. */
export interface GuardrailsStatus {
  dryRun: boolean;
  /** Components with an action in flight, per kind. */
  inFlight: Record<string, number>;
  /** Policies whose breaker is not closed. */
  breakers: Array<{ key: string; state: 'open' | 'half_open' }>;
  globalBreaker: 'closed' | 'open' | 'half_open';
}

const PRUNE_EVERY = 512;

/**
 * The checks between a decision and an action. `evaluate()` only looks; `admit()` looks
 * and, unless the verdict is `block`, counts the action (cooldown, rate limits, blast
 * radius, breaker trial). Outcomes, anomalies and recoveries are fed in by the caller.
 * Not thread-safe by design: one instance per planner replica, which owns its components.
 */
export class Guardrails {
  readonly config: GuardrailsConfig;
  private readonly clock: () => number;
  /** What the checks read and restore() rebuilds (guardrails-state.ts). */
  private readonly state: GuardrailsState;
  private admitted = 0;

  /** Throws InvalidArgumentError for a bad configuration. */
  constructor(options: GuardrailsOptions = {}) {
    this.config = resolveGuardrailsConfig(options.config);
    this.clock = options.clock ?? Date.now;
    this.state = createGuardrailsState(this.config);
  }

  /** Turns global dry-run on or off at run time (the operator's kill switch). */
  setDryRun(on: boolean): void {
    this.state.dryRun = on;
  }

  /** Records that `component` belongs to group `kind` (for the blast-radius fraction). */
  registerComponent(component: string, kind?: string): void {
    registerComponent(this.state, component, kind);
  }

  /** Records one anomaly of `component` (stabilisation window); registers its kind. */
  observeAnomaly(component: string, kind?: string): void {
    registerComponent(this.state, component, kind);
    this.state.stabilisation.observeAnomaly(component, this.clock());
  }

  /** Records that `component` is healthy again (ends its episode; starts the flap window). */
  observeRecovery(component: string): void {
    this.state.stabilisation.observeRecovery(component, this.clock());
  }

  /**
   * Runs every check for `ctx` without changing any state. The verdict is `block` if any
   * check blocks, else `dry_run` if dry-run applies, else `needs_approval` if the risk
   * calls for it, else `allow`. `assumeAnomaly`: the stabilisation check counts one more
   * anomaly of the component now, without recording it (what-if for a hypothetical
   * anomaly). Throws InvalidArgumentError for a malformed context.
   */
  evaluate(ctx: DecisionContext, options: { assumeAnomaly?: boolean } = {}): GuardrailVerdict {
    validateContext(ctx);
    const checks = runChecks(this.state, ctx, this.clock(), options.assumeAnomaly ?? false);
    return { verdict: verdictOf(checks), checks, lines: checks.map(checkLine) };
  }

  /**
   * Evaluates `ctx` and, unless blocked, counts the action as dispatched now: starts its
   * cooldown, adds it to the rate-limit windows and to the in-flight set, and uses up a
   * half-open breaker's trial. An action held for approval is counted too: it holds its slot
   * for at least `approval.timeoutS` (as long as the approval can be granted, so the action is
   * not put to an operator a second time meanwhile), longer than `inFlightTimeoutS` if need be;
   * call `approved()` when an operator approves it (from then on it lasts `inFlightTimeoutS`),
   * `release()` if it is rejected or expires. With `ctx.planId` the slot is that plan's:
   * only its own release or outcome frees it.
   */
  admit(ctx: DecisionContext): GuardrailVerdict {
    const verdict = this.evaluate(ctx);
    if (verdict.verdict === 'block') return verdict;
    const now = this.clock();
    const { component, kind, action, cooldownS, planId, policyId } = ctx;
    // A dry run is no trial: its outcome says nothing about whether the action works.
    countAction(this.state, { component, kind, action, cooldownS, planId, policyId, atMs: now, inFlight: true, heldForApproval: verdict.verdict === 'needs_approval', dryRun: verdict.verdict === 'dry_run' });
    if (++this.admitted % PRUNE_EVERY === 0) pruneState(this.state, now);
    return verdict;
  }

  /**
   * Counts again actions admitted earlier, each at its own time: how a restarted replica
   * rebuilds its state from its records. Each starts its cooldown at `atMs` (one put to an
   * operator and approved: at `approvedAtMs`, when it ran), enters the rate
   * windows at `atMs` and, when `inFlight`, holds its in-flight slot from `atMs` (so it still
   * stops counting `inFlightTimeoutS` after then — at least `approval.timeoutS` when
   * `heldForApproval`, `inFlightTimeoutS` after `approvedAtMs` once approved — and a high-risk
   * one awaiting an operator is not put to an operator again), held by its `planId` as
   * `admit()` would. With `history`, the breakers and the stabilisation window are rebuilt too:
   * the actions (with a `policyId`, not `dryRun`) are dispatched to the breakers, the outcomes
   * fed to them (a success also a recovery) and the anomalies observed, all in the order of their
   * times, as `admit()`, `recordOutcome()` and `observeAnomaly()` did then — a breaker opened by
   * those outcomes is open again, a half-open one keeps its trial, a component that recovered
   * within `flapWindowS` is still held back. Outcomes free no slot here (`inFlight` says whether
   * one is held). Runs no check. Meant for a fresh instance, before its first `admit()`.
   * Throws InvalidArgumentError naming the first bad entry (`actions[1].action`,
   * `history.outcomes[0].policyId`); nothing is changed then.
   */
  restore(actions: readonly AdmittedAction[], history: GuardrailsHistory = {}): void {
    restoreState(this.state, actions, history);
  }

  /**
   * Frees the in-flight slot of an admitted action that will not run (rejected, expired). With
   * `planId`, only if that plan holds the slot: a late rejection or expiry of an earlier plan
   * leaves the slot of a newer plan for the same action alone. Returns whether it freed one.
   */
  release(component: string, action: string, planId?: string): boolean {
    return this.state.inFlight.remove(component, action, planId);
  }

  /**
   * An action put to an operator was withdrawn unanswered (its incident ended): it will never
   * run. Frees its slot as `release()` does and, since it never ran, lifts the cooldown it
   * started: the one before it (if any) applies again, so the action can be proposed for the
   * component's next incident at once. With `planId`, only if that plan holds the slot.
   * Returns whether a slot was freed.
   */
  withdrawn(component: string, action: string, planId?: string): boolean {
    const askedAtMs = this.state.inFlight.since(component, action, this.clock());
    if (!this.release(component, action, planId)) return false;
    if (askedAtMs !== undefined) liftCooldown(this.state, cooldownKey(component, action), askedAtMs);
    return true;
  }

  /**
   * An operator approved the action held by plan `planId` at `atMs` (default now): it runs now,
   * so its in-flight slot lasts `inFlightTimeoutS` from `atMs` instead of as long as the
   * approval could have lived, and its cooldown counts from `atMs`, not from when it was put to
   * the operator. With `planId`, only that plan's slot. Returns whether a slot was
   * changed (false when none is held: finished, expired, or another plan's).
   */
  approved(component: string, action: string, options: { planId?: string; atMs?: number } = {}): boolean {
    const now = this.clock();
    const until = (options.atMs ?? now) + this.config.blastRadius.inFlightTimeoutS * 1000;
    const changed = this.state.inFlight.extend(component, action, until, now, options.planId);
    // It runs from the approval on: so does its cooldown (and the cooldown line says it was approved).
    if (changed) approveCooldown(this.state, cooldownKey(component, action), options.atMs ?? now);
    return changed;
  }

  /**
   * Feeds the outcome of an admitted action: frees its in-flight slot (with `planId`, only if
   * that plan holds it, as `release()`) and, unless it was a dry run, updates the breakers; a
   * success also counts as the component's recovery. The global breaker counts the failures of
   * one incident (`incidentId`) once until a success; the policy's counts each. A half-open breaker is settled only by its
   * trial's own outcome (same plan id, component and action as admitted); the outcome of an
   * action dispatched before it went half-open leaves it half-open.
   */
  recordOutcome(outcome: GuardrailOutcome): void {
    const now = this.clock();
    this.state.inFlight.remove(outcome.component, outcome.action, outcome.planId);
    if (outcome.dryRun) return;
    const id = actionId(outcome);
    breakerFor(this.state, outcome.policyId).onOutcome(outcome.success, now, id);
    this.state.globalBreaker.onOutcome(outcome.success, now, id, outcome.incidentId);
    if (outcome.success) this.state.stabilisation.observeRecovery(outcome.component, now);
  }

  /** A summary of the current state. */
  status(): GuardrailsStatus {
    const now = this.clock();
    const breakers: GuardrailsStatus['breakers'] = [];
    for (const [key, b] of this.state.breakers) {
      const state = b.state(now).type;
      if (state !== 'closed') breakers.push({ key, state });
    }
    return { dryRun: this.state.dryRun, inFlight: this.state.inFlight.counts(now), breakers, globalBreaker: this.state.globalBreaker.state(now).type };
  }
}
