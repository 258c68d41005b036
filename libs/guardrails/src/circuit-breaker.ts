import { formatDuration } from './types';

/** Where a breaker is: closed (acting), open (not acting), half-open (one trial allowed). */
export type BreakerState =
  | { type: 'closed'; failures: number }
  | { type: 'open'; failures: number; sinceMs: number; halfOpenAtMs: number }
  | { type: 'half_open'; trialSinceMs?: number };

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
 *   opens it again for another cool-off. A trial whose outcome never arrives stops
 *   counting after `trialTimeoutMs`, and another trial is allowed.
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

  /** Notes that an action was dispatched (the trial, when half-open). */
  onDispatch(now: number): void {
    const s = this.state(now);
    if (s.type === 'half_open') this.s = { type: 'half_open', trialSinceMs: now };
  }

  /** Feeds the outcome of an action. */
  onOutcome(success: boolean, now: number): void {
    const s = this.state(now);
    if (s.type === 'open') return;
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
