import { formatDuration } from './types';

/** Where a breaker is: closed (acting), open (not acting), half-open (one trial allowed). */
export type BreakerState =
  | { type: 'closed'; failures: number }
  | { type: 'open'; failures: number; sinceMs: number; halfOpenAtMs: number }
  | { type: 'half_open'; trialSinceMs?: number; trial?: string };

/** Answer of CircuitBreaker.check. */
export interface BreakerCheck {
  allowed: boolean;
  detail: string;
}

/**
 * Stops automatic action after `failures` consecutive failed outcomes.
 *
 * - closed: a failure counts, a success resets the count; at `failures` it opens.
 * - open: nothing is allowed; outcomes of actions dispatched earlier are ignored.
 *   After `coolOffMs` it is half-open.
 * - half-open: one trial action is allowed; its success closes the breaker, its failure
 *   opens it again for another cool-off. Only the trial's own outcome (the identity given to
 *   `onDispatch` and `onOutcome`) settles it: an outcome of an action dispatched earlier says
 *   nothing about whether acting works again, and is ignored. A trial whose outcome never
 *   arrives stops counting after `trialTimeoutMs`, and another trial is allowed.
 */
export class CircuitBreaker {
  private s: BreakerState = { type: 'closed', failures: 0 };

  constructor(
    readonly failures: number,
    readonly coolOffMs: number,
    readonly trialTimeoutMs: number,
  ) {}

  /** Current state at `now` (open turns half-open once the cool-off has passed). */
  state(now: number): BreakerState {
    if (this.s.type === 'open' && now >= this.s.halfOpenAtMs) this.s = { type: 'half_open' };
    return this.s;
  }

  /** Whether an action may be dispatched at `now`, and why. */
  check(now: number): BreakerCheck {
    const s = this.state(now);
    switch (s.type) {
      case 'closed':
        return { allowed: true, detail: s.failures > 0 ? `${s.failures}/${this.failures} consecutive failures` : '' };
      case 'open':
        return {
          allowed: false,
          detail: `open after ${s.failures} consecutive failed outcomes; half-open in ${formatDuration(s.halfOpenAtMs - now)}`,
        };
      case 'half_open':
        if (s.trialSinceMs !== undefined && now - s.trialSinceMs < this.trialTimeoutMs) {
          return { allowed: false, detail: 'half-open: a trial action is in flight' };
        }
        return { allowed: true, detail: 'half-open: one trial action allowed' };
    }
  }

  /**
   * Notes that an action was dispatched: the trial, when half-open, known by `id` (the same
   * identity its outcome will be fed with).
   */
  onDispatch(now: number, id?: string): void {
    const s = this.state(now);
    if (s.type === 'half_open') this.s = { type: 'half_open', trialSinceMs: now, ...(id !== undefined ? { trial: id } : {}) };
  }

  /**
   * Feeds the outcome of the action known by `id`. Closed: counted. Open: ignored. Half-open:
   * settles the breaker only when it is the trial's (a trial was dispatched, with this `id`;
   * both without one match, for callers that do not tell actions apart).
   */
  onOutcome(success: boolean, now: number, id?: string): void {
    const s = this.state(now);
    if (s.type === 'open') return;
    if (s.type === 'half_open' && (s.trialSinceMs === undefined || s.trial !== id)) return;
    if (success) {
      this.s = { type: 'closed', failures: 0 };
      return;
    }
    const failures = s.type === 'closed' ? s.failures + 1 : this.failures;
    this.s =
      s.type === 'half_open' || failures >= this.failures
        ? { type: 'open', failures, sinceMs: now, halfOpenAtMs: now + this.coolOffMs }
        : { type: 'closed', failures };
  }
}
