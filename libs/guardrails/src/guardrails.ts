import { InvalidArgumentError } from '@x0/core';
import { InFlightTracker } from './blast-radius';
import { CircuitBreaker } from './circuit-breaker';
import { resolveGuardrailsConfig, type GuardrailsConfig, type GuardrailsConfigInput } from './config';
import { SlidingWindowLimiter } from './rate-limiter';
import { StabilisationTracker } from './stabilisation';
import {
  RISKS,
  checkLine,
  formatDuration,
  riskRank,
  type AdmittedAction,
  type DecisionContext,
  type GuardrailsHistory,
  type GuardrailCheck,
  type GuardrailOutcome,
  type GuardrailVerdict,
  type RecordedAnomaly,
  type RecordedOutcome,
  type Verdict,
} from './types';

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

const DEFAULT_GROUP = 'default';
const GLOBAL = '*';
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
  private dryRun: boolean;
  /** (component, action) → time of the last admitted action. */
  private readonly cooldowns = new Map<string, number>();
  private maxCooldownMs = 0;
  private readonly componentRate: SlidingWindowLimiter;
  private readonly globalRate: SlidingWindowLimiter;
  private readonly inFlight: InFlightTracker;
  private readonly breakers = new Map<string, CircuitBreaker>();
  private readonly globalBreaker: CircuitBreaker;
  private readonly stabilisation: StabilisationTracker;
  private readonly groups = new Map<string, Set<string>>();
  private admitted = 0;

  /** Throws InvalidArgumentError for a bad configuration. */
  constructor(options: GuardrailsOptions = {}) {
    this.config = resolveGuardrailsConfig(options.config);
    this.clock = options.clock ?? Date.now;
    this.dryRun = this.config.dryRun;
    const c = this.config;
    this.componentRate = new SlidingWindowLimiter(c.rateLimit.component.max, c.rateLimit.component.windowS * 1000);
    this.globalRate = new SlidingWindowLimiter(c.rateLimit.global.max, c.rateLimit.global.windowS * 1000);
    this.inFlight = new InFlightTracker(c.blastRadius.inFlightTimeoutS * 1000);
    this.globalBreaker = this.newBreaker(c.circuitBreaker.global);
    this.stabilisation = new StabilisationTracker({
      minConsecutive: c.stabilisation.minConsecutive,
      minPersistMs: c.stabilisation.minPersistS * 1000,
      episodeGapMs: c.stabilisation.episodeGapS * 1000,
      flapWindowMs: c.stabilisation.flapWindowS * 1000,
    });
  }

  /** Turns global dry-run on or off at run time (the operator's kill switch). */
  setDryRun(on: boolean): void {
    this.dryRun = on;
  }

  /** Records that `component` belongs to group `kind` (for the blast-radius fraction). */
  registerComponent(component: string, kind?: string): void {
    const group = kind || DEFAULT_GROUP;
    let members = this.groups.get(group);
    if (!members) this.groups.set(group, (members = new Set()));
    members.add(component);
  }

  /** Records one anomaly of `component` (stabilisation window); registers its kind. */
  observeAnomaly(component: string, kind?: string): void {
    this.registerComponent(component, kind);
    this.stabilisation.observeAnomaly(component, this.clock());
  }

  /** Records that `component` is healthy again (ends its episode; starts the flap window). */
  observeRecovery(component: string): void {
    this.stabilisation.observeRecovery(component, this.clock());
  }

  /**
   * Runs every check for `ctx` without changing any state. The verdict is `block` if any
   * check blocks, else `dry_run` if dry-run applies, else `needs_approval` if the risk
   * calls for it, else `allow`. `assumeAnomaly`: the stabilisation check counts one more
   * anomaly of the component now, without recording it (what-if for a hypothetical
   * anomaly). Throws InvalidArgumentError for a malformed context.
   */
  evaluate(ctx: DecisionContext, options: { assumeAnomaly?: boolean } = {}): GuardrailVerdict {
    validate(ctx);
    const now = this.clock();
    const checks: GuardrailCheck[] = [
      this.checkDryRun(ctx),
      this.checkStabilisation(ctx, now, options.assumeAnomaly ?? false),
      this.checkBreaker('circuit_breaker(global)', 'global', this.config.circuitBreaker.global.enabled, this.globalBreaker, now),
      this.checkBreaker(`circuit_breaker(policy ${ctx.policyId})`, 'action', this.config.circuitBreaker.policy.enabled, this.breakers.get(ctx.policyId), now),
      this.checkCooldown(ctx, now),
      this.checkRate('rate_limit(component)', 'component', this.config.rateLimit.component.enabled, this.componentRate, ctx.component, now),
      this.checkRate('rate_limit(global)', 'global', this.config.rateLimit.global.enabled, this.globalRate, GLOBAL, now),
      this.checkBlastRadius(ctx, now),
      this.checkApproval(ctx, now),
    ];
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
    const cooldownMs = (ctx.cooldownS ?? this.config.cooldown.defaultS) * 1000;
    this.maxCooldownMs = Math.max(this.maxCooldownMs, cooldownMs);
    this.cooldowns.set(cooldownKey(ctx.component, ctx.action), now);
    this.componentRate.record(ctx.component, now);
    this.globalRate.record(GLOBAL, now);
    this.registerComponent(ctx.component, ctx.kind);
    this.inFlight.add(ctx.component, ctx.kind || DEFAULT_GROUP, ctx.action, now, { planId: ctx.planId, timeoutMs: this.slotMs(verdict.verdict === 'needs_approval') });
    if (verdict.verdict !== 'dry_run') {
      // A dry run is no trial: its outcome says nothing about whether the action works.
      // Known by its plan and action: only this action's outcome settles a half-open trial.
      const id = actionId(ctx);
      this.breakerFor(ctx.policyId).onDispatch(now, id);
      this.globalBreaker.onDispatch(now, id);
    }
    if (++this.admitted % PRUNE_EVERY === 0) this.prune(now);
    return verdict;
  }

  /**
   * Counts again actions admitted earlier, each at its own time: how a restarted replica
   * rebuilds its state from its records. Each starts its cooldown at `atMs`, enters the rate
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
      ...anomalies.map((a) => ({ atMs: a.atMs, order: 0, apply: () => this.restoreAnomaly(a) })),
      ...actions.map((a) => ({ atMs: a.atMs, order: 1, apply: () => this.restoreAction(a) })),
      ...outcomes.map((o) => ({ atMs: o.atMs, order: 2, apply: () => this.restoreOutcome(o) })),
    ];
    for (const e of timeline.sort((x, y) => x.atMs - y.atMs || x.order - y.order)) e.apply();
  }

  private restoreAction(a: AdmittedAction): void {
    const key = cooldownKey(a.component, a.action);
    this.cooldowns.set(key, Math.max(this.cooldowns.get(key) ?? a.atMs, a.atMs));
    this.maxCooldownMs = Math.max(this.maxCooldownMs, (a.cooldownS ?? this.config.cooldown.defaultS) * 1000);
    this.componentRate.record(a.component, a.atMs);
    this.globalRate.record(GLOBAL, a.atMs);
    this.registerComponent(a.component, a.kind);
    if (a.policyId && !a.dryRun) {
      const id = actionId(a);
      this.breakerFor(a.policyId).onDispatch(a.atMs, id);
      this.globalBreaker.onDispatch(a.atMs, id);
    }
    if (!a.inFlight) return;
    // Approved: it runs from the approval on, and holds its slot inFlightTimeoutS from then.
    const timeoutMs = a.approvedAtMs !== undefined ? a.approvedAtMs + this.slotMs(false) - a.atMs : this.slotMs(a.heldForApproval ?? false);
    this.inFlight.add(a.component, a.kind || DEFAULT_GROUP, a.action, a.atMs, { planId: a.planId, timeoutMs });
  }

  private restoreOutcome(o: RecordedOutcome): void {
    if (o.dryRun) return;
    const id = actionId(o);
    this.breakerFor(o.policyId).onOutcome(o.success, o.atMs, id);
    this.globalBreaker.onOutcome(o.success, o.atMs, id);
    if (o.success) this.stabilisation.observeRecovery(o.component, o.atMs);
  }

  private restoreAnomaly(a: RecordedAnomaly): void {
    this.registerComponent(a.component, a.kind);
    this.stabilisation.observeAnomaly(a.component, a.atMs);
  }

  /**
   * Frees the in-flight slot of an admitted action that will not run (rejected, expired). With
   * `planId`, only if that plan holds the slot: a late rejection or expiry of an earlier plan
   * leaves the slot of a newer plan for the same action alone. Returns whether it freed one.
   */
  release(component: string, action: string, planId?: string): boolean {
    return this.inFlight.remove(component, action, planId);
  }

  /**
   * An operator approved the action held by plan `planId` at `atMs` (default now): it runs now,
   * so its in-flight slot lasts `inFlightTimeoutS` from `atMs` instead of as long as the
   * approval could have lived. With `planId`, only that plan's slot. Returns whether a slot was
   * changed (false when none is held: finished, expired, or another plan's).
   */
  approved(component: string, action: string, options: { planId?: string; atMs?: number } = {}): boolean {
    const now = this.clock();
    const until = (options.atMs ?? now) + this.config.blastRadius.inFlightTimeoutS * 1000;
    return this.inFlight.extend(component, action, until, now, options.planId);
  }

  /**
   * Feeds the outcome of an admitted action: frees its in-flight slot (with `planId`, only if
   * that plan holds it, as `release()`) and, unless it was a dry run, updates the breakers; a
   * success also counts as the component's recovery. A half-open breaker is settled only by its
   * trial's own outcome (same plan id, component and action as admitted); the outcome of an
   * action dispatched before it went half-open leaves it half-open.
   */
  recordOutcome(outcome: GuardrailOutcome): void {
    const now = this.clock();
    this.inFlight.remove(outcome.component, outcome.action, outcome.planId);
    if (outcome.dryRun) return;
    const id = actionId(outcome);
    this.breakerFor(outcome.policyId).onOutcome(outcome.success, now, id);
    this.globalBreaker.onOutcome(outcome.success, now, id);
    if (outcome.success) this.stabilisation.observeRecovery(outcome.component, now);
  }

  /** A summary of the current state. */
  status(): GuardrailsStatus {
    const now = this.clock();
    const breakers: GuardrailsStatus['breakers'] = [];
    for (const [key, b] of this.breakers) {
      const s = b.state(now).type;
      if (s !== 'closed') breakers.push({ key, state: s });
    }
    return { dryRun: this.dryRun, inFlight: this.inFlight.counts(now), breakers, globalBreaker: this.globalBreaker.state(now).type };
  }

  private checkDryRun(ctx: DecisionContext): GuardrailCheck {
    if (this.dryRun) return { guard: 'dry_run', status: 'dry_run', scope: 'global', detail: 'global dry-run is on' };
    if (ctx.dryRun) return { guard: 'dry_run', status: 'dry_run', scope: 'action', detail: `policy ${ctx.policyId} is dry-run` };
    return { guard: 'dry_run', status: 'off', scope: 'global', detail: '' };
  }

  private checkStabilisation(ctx: DecisionContext, now: number, assumeAnomaly: boolean): GuardrailCheck {
    if (!this.config.stabilisation.enabled) return { guard: 'stabilisation', status: 'off', scope: 'component', detail: '' };
    const r = this.stabilisation.check(ctx.component, now, assumeAnomaly);
    return { guard: 'stabilisation', status: r.ok ? 'ok' : 'blocked', scope: 'component', detail: r.detail };
  }

  private checkBreaker(guard: string, scope: 'global' | 'action', enabled: boolean, breaker: CircuitBreaker | undefined, now: number): GuardrailCheck {
    if (!enabled) return { guard, status: 'off', scope, detail: '' };
    // A policy without outcomes yet has no breaker: closed.
    const r = breaker ? breaker.check(now) : { allowed: true, detail: '' };
    return { guard, status: r.allowed ? 'ok' : 'blocked', scope, detail: r.detail };
  }

  private checkCooldown(ctx: DecisionContext, now: number): GuardrailCheck {
    if (!this.config.cooldown.enabled) return { guard: 'cooldown', status: 'off', scope: 'action', detail: '' };
    const last = this.cooldowns.get(cooldownKey(ctx.component, ctx.action));
    const cooldownMs = (ctx.cooldownS ?? this.config.cooldown.defaultS) * 1000;
    this.maxCooldownMs = Math.max(this.maxCooldownMs, cooldownMs);
    // The cooldown of the policy proposing the action now applies, measured from the last one.
    if (last !== undefined && now - last < cooldownMs) {
      return {
        guard: 'cooldown',
        status: 'blocked',
        scope: 'action',
        detail: `${ctx.action} on ${ctx.component} ${formatDuration(now - last)} ago, cooldown ${formatDuration(cooldownMs)}`,
      };
    }
    return { guard: 'cooldown', status: 'ok', scope: 'action', detail: '' };
  }

  private checkRate(guard: string, scope: 'component' | 'global', enabled: boolean, limiter: SlidingWindowLimiter, key: string, now: number): GuardrailCheck {
    if (!enabled) return { guard, status: 'off', scope, detail: '' };
    const n = limiter.count(key, now);
    const window = formatDuration(limiter.windowMs);
    if (n >= limiter.max) {
      const retry = limiter.retryInMs(key, now);
      const when = Number.isFinite(retry) ? `; next slot in ${formatDuration(retry)}` : '';
      return { guard, status: 'blocked', scope, detail: `${n} actions in ${window}, limit ${limiter.max}${when}` };
    }
    return { guard, status: 'ok', scope, detail: `${n}/${limiter.max} in ${window}` };
  }

  private checkBlastRadius(ctx: DecisionContext, now: number): GuardrailCheck {
    const kind = ctx.kind || DEFAULT_GROUP;
    const guard = `blast_radius(${kind})`;
    const cfg = this.config.blastRadius;
    if (!cfg.enabled) return { guard, status: 'off', scope: 'group', detail: '' };
    const known = this.groups.get(kind);
    const size = Math.max(ctx.groupSize ?? 0, (known?.size ?? 0) + (known?.has(ctx.component) ? 0 : 1));
    const limit = cfg.maxPerGroup === 0 ? 0 : Math.max(1, Math.min(cfg.maxPerGroup, Math.floor(cfg.maxFraction * size)));
    const n = this.inFlight.count(kind, now);
    if (this.inFlight.has(ctx.component, now)) {
      return { guard, status: 'ok', scope: 'group', detail: `${ctx.component} already has an action in flight (${n}/${limit})` };
    }
    if (n >= limit) {
      return { guard, status: 'blocked', scope: 'group', detail: `${n} of ${size} ${kind} components in flight, limit ${limit}` };
    }
    return { guard, status: 'ok', scope: 'group', detail: `${n}/${limit} in flight (${size} components)` };
  }

  private checkApproval(ctx: DecisionContext, now: number): GuardrailCheck {
    const cfg = this.config.approval;
    if (!cfg.enabled) return { guard: 'approval', status: 'off', scope: 'action', detail: '' };
    if (riskRank(ctx.risk) >= riskRank(cfg.minRisk)) {
      // Asked already (awaiting an operator, or approved and running): not asked twice; the
      // planner goes on to the next action, which may need no approval, in the meantime.
      const since = this.inFlight.since(ctx.component, ctx.action, now);
      if (since !== undefined) {
        return { guard: 'approval', status: 'blocked', scope: 'action', detail: `${ctx.action} on ${ctx.component} was put to an operator ${formatDuration(now - since)} ago and is not finished` };
      }
      return { guard: 'approval', status: 'needs_approval', scope: 'action', detail: `risk ${ctx.risk} ≥ ${cfg.minRisk}; expires in ${formatDuration(cfg.timeoutS * 1000)}` };
    }
    return { guard: 'approval', status: 'ok', scope: 'action', detail: `risk ${ctx.risk}` };
  }

  /**
   * How long an admitted action holds its in-flight slot without an outcome: `inFlightTimeoutS`;
   * one put to an operator at least as long as its approval lives (`approval.timeoutS`).
   */
  private slotMs(heldForApproval: boolean): number {
    const s = this.config.blastRadius.inFlightTimeoutS;
    return 1000 * (heldForApproval ? Math.max(s, this.config.approval.timeoutS) : s);
  }

  private breakerFor(policyId: string): CircuitBreaker {
    let b = this.breakers.get(policyId);
    if (!b) this.breakers.set(policyId, (b = this.newBreaker(this.config.circuitBreaker.policy)));
    return b;
  }

  private newBreaker(cfg: { failures: number; coolOffS: number }): CircuitBreaker {
    return new CircuitBreaker(cfg.failures, cfg.coolOffS * 1000, this.config.blastRadius.inFlightTimeoutS * 1000);
  }

  private prune(now: number): void {
    // Another policy may propose the same action with a longer cooldown: keep the longest seen.
    for (const [key, at] of this.cooldowns) if (now - at >= this.maxCooldownMs) this.cooldowns.delete(key);
    this.componentRate.prune(now);
    this.stabilisation.prune(now);
  }
}

function verdictOf(checks: GuardrailCheck[]): Verdict {
  if (checks.some((c) => c.status === 'blocked')) return 'block';
  if (checks.some((c) => c.status === 'dry_run')) return 'dry_run';
  if (checks.some((c) => c.status === 'needs_approval')) return 'needs_approval';
  return 'allow';
}

function cooldownKey(component: string, action: string): string {
  return `${component}\u0000${action}`;
}

/** Which admitted action an outcome is of, for a half-open breaker's trial: plan, component and action. */
function actionId(a: { planId?: string; component: string; action: string }): string {
  return `${a.planId ?? ''}\u0000${a.component}\u0000${a.action}`;
}

function validate(ctx: DecisionContext): void {
  if (!ctx.component) throw new InvalidArgumentError('component', 'must be non-empty');
  if (!ctx.action) throw new InvalidArgumentError('action', 'must be non-empty');
  if (!ctx.policyId) throw new InvalidArgumentError('policyId', 'must be non-empty');
  if (!RISKS.includes(ctx.risk)) throw new InvalidArgumentError('risk', `must be one of ${RISKS.join(', ')}, got ${JSON.stringify(ctx.risk)}`);
  if (ctx.cooldownS !== undefined && !(ctx.cooldownS >= 0)) throw new InvalidArgumentError('cooldownS', 'must be ≥ 0');
}
