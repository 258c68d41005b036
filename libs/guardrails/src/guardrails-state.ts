import { CircuitBreaker, type CircuitBreakerOptions } from './circuit-breaker';
import type { GuardrailsConfig } from './config';
import { InFlightTracker } from './blast-radius';
import { SlidingWindowLimiter } from './rate-limiter';
import { StabilisationTracker } from './stabilisation';

/** The blast-radius group of a component without a kind. */
export const DEFAULT_GROUP = 'default';
/** The key of the global rate window. */
export const GLOBAL = '*';

/**
 * What the guardrails remember between calls: what the checks read, and what `admit()`,
 * `restore()` and the outcomes, anomalies and recoveries fed in change. Internal to the
 * library: Guardrails owns one.
 */
export interface GuardrailsState {
  readonly config: GuardrailsConfig;
  dryRun: boolean;
  /**
   * (component, action) → when the cooldown of the last admitted action started: its admission,
   * or for one put to an operator and approved, the approval (it runs from then on).
   */
  readonly cooldowns: Map<string, number>;
  /**
   * (component, action) → the last admitted one was only put to an operator (verdict
   * needs_approval): when, and when an operator approved it, if one did — what the cooldown line says.
   */
  readonly heldCooldowns: Map<string, HeldCooldown>;
  /** The longest cooldown seen: how long pruning keeps a cooldown entry. */
  maxCooldownMs: number;
  readonly componentRate: SlidingWindowLimiter;
  readonly globalRate: SlidingWindowLimiter;
  readonly inFlight: InFlightTracker;
  /** Policy id → its breaker (created at its first dispatch or outcome). */
  readonly breakers: Map<string, CircuitBreaker>;
  readonly globalBreaker: CircuitBreaker;
  readonly stabilisation: StabilisationTracker;
  /** Kind → the components seen of that kind (the blast-radius group). */
  readonly groups: Map<string, Set<string>>;
}

/** A cooldown started by an action put to an operator: when it was, and when it was approved. */
export interface HeldCooldown {
  askedAtMs: number;
  approvedAtMs?: number;
  /**
   * The cooldown this request replaced (its start, and whether that one was held too): what
   * applies again if the request is withdrawn unanswered. Undefined: there was none.
   */
  replaced?: { startMs: number; held?: Omit<HeldCooldown, 'replaced'> };
}

/** Empty state for `config`: nothing admitted, every breaker closed. */
export function createGuardrailsState(config: GuardrailsConfig): GuardrailsState {
  const c = config;
  return {
    config,
    dryRun: c.dryRun,
    cooldowns: new Map(),
    heldCooldowns: new Map(),
    maxCooldownMs: 0,
    componentRate: new SlidingWindowLimiter(c.rateLimit.component.max, c.rateLimit.component.windowS * 1000),
    globalRate: new SlidingWindowLimiter(c.rateLimit.global.max, c.rateLimit.global.windowS * 1000),
    inFlight: new InFlightTracker(c.blastRadius.inFlightTimeoutS * 1000),
    breakers: new Map(),
    // One lasting fault's failures count once: it cannot stop automation for every component alone.
    globalBreaker: newBreaker(c, c.circuitBreaker.global, { oncePerIncident: true }),
    stabilisation: new StabilisationTracker({
      minConsecutive: c.stabilisation.minConsecutive,
      minPersistMs: c.stabilisation.minPersistS * 1000,
      episodeGapMs: c.stabilisation.episodeGapS * 1000,
      flapWindowMs: c.stabilisation.flapWindowS * 1000,
    }),
    groups: new Map(),
  };
}

/** Records that `component` belongs to group `kind` (for the blast-radius fraction). */
export function registerComponent(s: GuardrailsState, component: string, kind?: string): void {
  const group = kind || DEFAULT_GROUP;
  let members = s.groups.get(group);
  if (!members) s.groups.set(group, (members = new Set()));
  members.add(component);
}

/** The breaker of policy `policyId`, created closed when it has none yet. */
export function breakerFor(s: GuardrailsState, policyId: string): CircuitBreaker {
  let b = s.breakers.get(policyId);
  if (!b) s.breakers.set(policyId, (b = newBreaker(s.config, s.config.circuitBreaker.policy)));
  return b;
}

/**
 * How long an admitted action holds its in-flight slot without an outcome: `inFlightTimeoutS`;
 * one put to an operator at least as long as its approval lives (`approval.timeoutS`).
 */
export function slotMs(config: GuardrailsConfig, heldForApproval: boolean): number {
  const s = config.blastRadius.inFlightTimeoutS;
  return 1000 * (heldForApproval ? Math.max(s, config.approval.timeoutS) : s);
}

/** Forgets cooldowns, rate-window entries and stabilisation records that no longer matter at `now`. */
export function pruneState(s: GuardrailsState, now: number): void {
  // Another policy may propose the same action with a longer cooldown: keep the longest seen.
  for (const [key, at] of s.cooldowns) {
    if (now - at < s.maxCooldownMs) continue;
    s.cooldowns.delete(key);
    s.heldCooldowns.delete(key);
  }
  s.componentRate.prune(now);
  s.stabilisation.prune(now);
}

/**
 * Starts the cooldown of (component, action) admitted at `atMs`, noting whether the action was
 * only put to an operator (`held`) and when it was approved: an approved action's cooldown runs
 * from the approval (it ran from then on), any other's from its admission. An older start leaves
 * a newer one.
 */
export function startCooldown(s: GuardrailsState, key: string, atMs: number, held: { heldForApproval: boolean; approvedAtMs?: number }): void {
  const startMs = held.heldForApproval && held.approvedAtMs !== undefined ? Math.max(atMs, held.approvedAtMs) : atMs;
  const last = s.cooldowns.get(key);
  if (last !== undefined && last > startMs) return;
  s.cooldowns.set(key, startMs);
  if (held.heldForApproval) {
    // (one level: what it replaced is not itself lifted later, so its own `replaced` is dropped and the chain stays bounded)
    const before = s.heldCooldowns.get(key);
    const replaced = last !== undefined ? { startMs: last, ...(before && { held: oneLevel(before) }) } : undefined;
    s.heldCooldowns.set(key, { askedAtMs: atMs, ...(held.approvedAtMs !== undefined ? { approvedAtMs: held.approvedAtMs } : {}), ...(replaced ? { replaced } : {}) });
  } else s.heldCooldowns.delete(key);
}

/** A held cooldown without what it replaced. */
function oneLevel({ replaced: _older, ...held }: HeldCooldown): Omit<HeldCooldown, 'replaced'> {
  return held;
}

/**
 * The request put to an operator at `askedAtMs` for (component, action) was withdrawn
 * unanswered (its incident ended): the action never ran, so its cooldown no longer applies,
 * and the one it replaced (if any) applies again. Nothing changes when a later action started
 * the cooldown, or when the request was approved. Returns whether the cooldown was lifted.
 */
export function liftCooldown(s: GuardrailsState, key: string, askedAtMs: number): boolean {
  const held = s.heldCooldowns.get(key);
  if (!held || held.askedAtMs !== askedAtMs || held.approvedAtMs !== undefined || s.cooldowns.get(key) !== askedAtMs) return false;
  const { replaced } = held;
  if (replaced) s.cooldowns.set(key, replaced.startMs);
  else s.cooldowns.delete(key);
  if (replaced?.held) s.heldCooldowns.set(key, replaced.held);
  else s.heldCooldowns.delete(key);
  return true;
}

/**
 * An operator approved the action of (component, action) put to one at `approvedAtMs`: its
 * cooldown runs from then (a cooldown started later is left as it is).
 */
export function approveCooldown(s: GuardrailsState, key: string, approvedAtMs: number): void {
  const held = s.heldCooldowns.get(key);
  if (!held) return;
  held.approvedAtMs = approvedAtMs;
  s.cooldowns.set(key, Math.max(s.cooldowns.get(key) ?? approvedAtMs, approvedAtMs));
}

/** Key of a (component, action) cooldown. */
export function cooldownKey(component: string, action: string): string {
  return `${component}\u0000${action}`;
}

/** Which admitted action an outcome is of, for a half-open breaker's trial: plan, component and action. */
export function actionId(a: { planId?: string; component: string; action: string }): string {
  return `${a.planId ?? ''}\u0000${a.component}\u0000${a.action}`;
}

function newBreaker(config: GuardrailsConfig, cfg: { failures: number; coolOffS: number }, options: CircuitBreakerOptions = {}): CircuitBreaker {
  return new CircuitBreaker(cfg.failures, cfg.coolOffS * 1000, config.blastRadius.inFlightTimeoutS * 1000, options);
}
