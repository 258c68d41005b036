import { InvalidArgumentError } from '@x0/core';
import type { CircuitBreaker } from './circuit-breaker';
import { DEFAULT_GROUP, GLOBAL, cooldownKey, type GuardrailsState } from './guardrails-state';
import type { SlidingWindowLimiter } from './rate-limiter';
import { RISKS, formatDuration, riskRank, type DecisionContext, type GuardrailCheck, type Verdict } from './types';

/**
 * Every guard's check of `ctx` at `now`, in evaluation order. Reads the state and changes none
 * of what the guards decide on (it only widens how long pruning keeps cooldowns).
 * `assumeAnomaly`: the stabilisation check counts one more anomaly of the component now.
 */
export function runChecks(s: GuardrailsState, ctx: DecisionContext, now: number, assumeAnomaly: boolean): GuardrailCheck[] {
  const c = s.config;
  return [
    checkDryRun(s, ctx),
    checkStabilisation(s, ctx, now, assumeAnomaly),
    checkBreaker('circuit_breaker(global)', 'global', c.circuitBreaker.global.enabled ? s.globalBreaker : null, now),
    checkBreaker(`circuit_breaker(policy ${ctx.policyId})`, 'action', c.circuitBreaker.policy.enabled ? s.breakers.get(ctx.policyId) : null, now),
    checkCooldown(s, ctx, now),
    checkRate({ guard: 'rate_limit(component)', scope: 'component', enabled: c.rateLimit.component.enabled, limiter: s.componentRate, key: ctx.component }, now),
    checkRate({ guard: 'rate_limit(global)', scope: 'global', enabled: c.rateLimit.global.enabled, limiter: s.globalRate, key: GLOBAL }, now),
    checkBlastRadius(s, ctx, now),
    checkApproval(s, ctx, now),
  ];
}

/** `block` if any check blocks, else `dry_run`, else `needs_approval`, else `allow`. */
export function verdictOf(checks: GuardrailCheck[]): Verdict {
  if (checks.some((c) => c.status === 'blocked')) return 'block';
  if (checks.some((c) => c.status === 'dry_run')) return 'dry_run';
  if (checks.some((c) => c.status === 'needs_approval')) return 'needs_approval';
  return 'allow';
}

/** Throws InvalidArgumentError naming the first malformed field of `ctx`. */
export function validateContext(ctx: DecisionContext): void {
  if (!ctx.component) throw new InvalidArgumentError('component', 'must be non-empty');
  if (!ctx.action) throw new InvalidArgumentError('action', 'must be non-empty');
  if (!ctx.policyId) throw new InvalidArgumentError('policyId', 'must be non-empty');
  if (!RISKS.includes(ctx.risk)) throw new InvalidArgumentError('risk', `must be one of ${RISKS.join(', ')}, got ${JSON.stringify(ctx.risk)}`);
  if (ctx.cooldownS !== undefined && !(ctx.cooldownS >= 0)) throw new InvalidArgumentError('cooldownS', 'must be ≥ 0');
}

function checkDryRun(s: GuardrailsState, ctx: DecisionContext): GuardrailCheck {
  if (s.dryRun) return { guard: 'dry_run', status: 'dry_run', scope: 'global', detail: 'global dry-run is on' };
  if (ctx.dryRun) return { guard: 'dry_run', status: 'dry_run', scope: 'action', detail: `policy ${ctx.policyId} is dry-run` };
  return { guard: 'dry_run', status: 'off', scope: 'global', detail: '' };
}

function checkStabilisation(s: GuardrailsState, ctx: DecisionContext, now: number, assumeAnomaly: boolean): GuardrailCheck {
  if (!s.config.stabilisation.enabled) return { guard: 'stabilisation', status: 'off', scope: 'component', detail: '' };
  const r = s.stabilisation.check(ctx.component, now, assumeAnomaly);
  return { guard: 'stabilisation', status: r.ok ? 'ok' : 'blocked', scope: 'component', detail: r.detail };
}

/** `breaker`: null when the guard is off, undefined when the policy has none yet. */
function checkBreaker(guard: string, scope: 'global' | 'action', breaker: CircuitBreaker | null | undefined, now: number): GuardrailCheck {
  if (breaker === null) return { guard, status: 'off', scope, detail: '' };
  // A policy without outcomes yet has no breaker: closed.
  const r = breaker ? breaker.check(now) : { allowed: true, detail: '' };
  return { guard, status: r.allowed ? 'ok' : 'blocked', scope, detail: r.detail };
}

function checkCooldown(s: GuardrailsState, ctx: DecisionContext, now: number): GuardrailCheck {
  if (!s.config.cooldown.enabled) return { guard: 'cooldown', status: 'off', scope: 'action', detail: '' };
  const key = cooldownKey(ctx.component, ctx.action);
  const last = s.cooldowns.get(key);
  const cooldownMs = (ctx.cooldownS ?? s.config.cooldown.defaultS) * 1000;
  s.maxCooldownMs = Math.max(s.maxCooldownMs, cooldownMs);
  // The cooldown of the policy proposing the action now applies, measured from the last one.
  if (last !== undefined && now - last < cooldownMs) {
    return {
      guard: 'cooldown',
      status: 'blocked',
      scope: 'action',
      detail: `${cooldownCause(s, key, ctx, now - last, now)}, cooldown ${formatDuration(cooldownMs)}`,
    };
  }
  return { guard: 'cooldown', status: 'ok', scope: 'action', detail: '' };
}

/**
 * What started a cooldown: `restart on web-1 45s ago` (it ran), or for an action only put to an
 * operator `failover on demo-queue put to an operator 30s ago and not approved` (pending,
 * rejected or expired: it never ran) / `… and approved 10s ago` (the cooldown then counts from the approval).
 */
function cooldownCause(s: GuardrailsState, key: string, ctx: DecisionContext, agoMs: number, now: number): string {
  const held = s.heldCooldowns.get(key);
  if (!held) return `${ctx.action} on ${ctx.component} ${formatDuration(agoMs)} ago`;
  // An approved one's cooldown counts from the approval (agoMs); when it was put to an operator is its own.
  const decision = held.approvedAtMs !== undefined ? `approved ${formatDuration(now - held.approvedAtMs)} ago` : 'not approved';
  return `${ctx.action} on ${ctx.component} put to an operator ${formatDuration(now - held.askedAtMs)} ago and ${decision}`;
}

interface RateGuard {
  guard: string;
  scope: 'component' | 'global';
  enabled: boolean;
  limiter: SlidingWindowLimiter;
  key: string;
}

function checkRate({ guard, scope, enabled, limiter, key }: RateGuard, now: number): GuardrailCheck {
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

function checkBlastRadius(s: GuardrailsState, ctx: DecisionContext, now: number): GuardrailCheck {
  const kind = ctx.kind || DEFAULT_GROUP;
  const guard = `blast_radius(${kind})`;
  const cfg = s.config.blastRadius;
  if (!cfg.enabled) return { guard, status: 'off', scope: 'group', detail: '' };
  const known = s.groups.get(kind);
  const size = Math.max(ctx.groupSize ?? 0, (known?.size ?? 0) + (known?.has(ctx.component) ? 0 : 1));
  const limit = cfg.maxPerGroup === 0 ? 0 : Math.max(1, Math.min(cfg.maxPerGroup, Math.floor(cfg.maxFraction * size)));
  const n = s.inFlight.count(kind, now);
  if (s.inFlight.has(ctx.component, now)) {
    // Passing: another action on a component already in flight does not widen the blast radius.
    return { guard, status: 'ok', scope: 'group', detail: `${n} of ${limit} allowed in flight, ${ctx.component} already among them (another action on it adds none)` };
  }
  if (n >= limit) {
    return { guard, status: 'blocked', scope: 'group', detail: `${n} of ${size} ${kind} components in flight, limit ${limit}` };
  }
  return { guard, status: 'ok', scope: 'group', detail: `${n}/${limit} in flight (${size} components)` };
}

function checkApproval(s: GuardrailsState, ctx: DecisionContext, now: number): GuardrailCheck {
  const cfg = s.config.approval;
  if (!cfg.enabled) return { guard: 'approval', status: 'off', scope: 'action', detail: '' };
  if (riskRank(ctx.risk) >= riskRank(cfg.minRisk)) {
    // Asked already (awaiting an operator, or approved and running): not asked twice; the
    // planner goes on to the next action, which may need no approval, in the meantime.
    const since = s.inFlight.since(ctx.component, ctx.action, now);
    if (since !== undefined) {
      return { guard: 'approval', status: 'blocked', scope: 'action', detail: `${ctx.action} on ${ctx.component} was put to an operator ${formatDuration(now - since)} ago and is not finished` };
    }
    return { guard: 'approval', status: 'needs_approval', scope: 'action', detail: `risk ${ctx.risk} ≥ ${cfg.minRisk}; expires in ${formatDuration(cfg.timeoutS * 1000)}` };
  }
  return { guard: 'approval', status: 'ok', scope: 'action', detail: `risk ${ctx.risk}` };
}
