import { formatDuration } from './types';

/**
 * Where a breaker is: closed (acting), open (not acting), half-open (one trial allowed).
 * `failures`: the consecutive failures counted so far (the count goes on through open and
 * half-open until a success); `failedOutcomes`: the failed outcomes behind them, more than
 * `failures` when one incident's failures count once (`oncePerIncident`).
 */
export type BreakerState =
  | { type: 'closed'; failures: number; failedOutcomes?: number }
  | { type: 'open'; failures: number; failedOutcomes?: number; sinceMs: number; halfOpenAtMs: number }
  | { type: 'half_open'; failures?: number; failedOutcomes?: number; trialSinceMs?: number; trial?: string };

/** Answer of CircuitBreaker.check. */
export interface BreakerCheck {
  allowed: boolean;
  detail: string;
}

/** Settings of a CircuitBreaker beyond its thresholds. */
export interface CircuitBreakerOptions {
  /**
   * Consecutive failed outcomes of one incident (the same `incident` given to `onOutcome`) count
   * as one failure: one lasting fault cannot open the breaker alone (the global breaker).
   */
  oncePerIncident?: boolean;
}

/**
 * Stops automatic action after `failures` consecutive failed outcomes.
 *
 * - closed: a failure counts, a success resets the count; at `failures` it opens. With
 *   `oncePerIncident`, the failures of an incident already counted since the last success do
 *   not count again.
 * - open: nothing is allowed; outcomes of actions dispatched earlier are ignored.
 *   After `coolOffMs` it is half-open.
 * - half-open: one trial action is allowed; its success closes the breaker, its failure
 *   opens it again for another cool-off (and counts: "open after 4 consecutive failed
 *   outcomes"). Only the trial's own outcome (the identity given to
 *   `onDispatch` and `onOutcome`) settles it: an outcome of an action dispatched earlier says
 *   nothing about whether acting works again, and is ignored. A trial whose outcome never
 *   arrives stops counting after `trialTimeoutMs`, and another trial is allowed.
 */
export class CircuitBreaker {
  private s: BreakerState = { type: 'closed', failures: 0 };
  /** The incidents whose failures were counted since the last success (oncePerIncident). */
  private readonly counted = new Set<string>();
  private readonly oncePerIncident: boolean;

  constructor(
    readonly failures: number,
    readonly coolOffMs: number,
    readonly trialTimeoutMs: number,
    options: CircuitBreakerOptions = {},
  ) {
    this.oncePerIncident = options.oncePerIncident ?? false;
  }

  /** Current state at `now` (open turns half-open once the cool-off has passed). */
  state(now: number): BreakerState {
    if (this.s.type === 'open' && now >= this.s.halfOpenAtMs) {
      this.s = { type: 'half_open', failures: this.s.failures, ...(this.s.failedOutcomes !== undefined ? { failedOutcomes: this.s.failedOutcomes } : {}) };
    }
    return this.s;
  }

  /** Whether an action may be dispatched at `now`, and why. */
  check(now: number): BreakerCheck {
    const s = this.state(now);
    switch (s.type) {
      case 'closed':
        return { allowed: true, detail: s.failures > 0 ? `${s.failures}/${this.failures} consecutive failures${perIncident(s)}` : '' };
      case 'open':
        return {
          allowed: false,
          detail: `open after ${failedText(s)}; half-open in ${formatDuration(s.halfOpenAtMs - now)}`,
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
    if (s.type === 'half_open') this.s = { ...s, trialSinceMs: now, ...(id !== undefined ? { trial: id } : {}) };
  }

  /**
   * Feeds the outcome of the action known by `id`, taken for `incident` (when known). Closed:
   * counted (with `oncePerIncident`, a failure of an incident already counted since the last
   * success only adds to the failed outcomes). Open: ignored. Half-open: settles the breaker
   * only when it is the trial's (a trial was dispatched, with this `id`; both without one
   * match, for callers that do not tell actions apart).
   */
  onOutcome(success: boolean, now: number, id?: string, incident?: string): void {
    const s = this.state(now);
    if (s.type === 'open') return;
    if (s.type === 'half_open' && (s.trialSinceMs === undefined || s.trial !== id)) return;
    if (success) {
      this.s = { type: 'closed', failures: 0 };
      this.counted.clear();
      return;
    }
    const before = s.failures ?? this.failures;
    const outcomes = (s.failedOutcomes ?? before) + 1;
    // A trial's failure always counts: acting did not work again.
    const again = s.type === 'closed' && this.oncePerIncident && incident !== undefined && incident !== '' && this.counted.has(incident);
    if (this.oncePerIncident && incident) this.counted.add(incident);
    const failures = again ? before : before + 1;
    const counts = { failures, ...(outcomes !== failures ? { failedOutcomes: outcomes } : {}) };
    const opens = s.type === 'half_open' || failures >= this.failures;
    // Open and half-open count every trial's failure: which incidents were counted matters no more.
    if (opens) this.counted.clear();
    this.s = opens ? { type: 'open', ...counts, sinceMs: now, halfOpenAtMs: now + this.coolOffMs } : { type: 'closed', ...counts };
  }
}

/** `3 consecutive failed outcomes`; `5 consecutive failed outcomes on 2 incidents` when an incident's count once. */
function failedText(s: { failures: number; failedOutcomes?: number }): string {
  const n = s.failedOutcomes ?? s.failures;
  return n === s.failures ? `${n} consecutive failed outcomes` : `${n} consecutive failed outcomes on ${s.failures} incidents`;
}

function perIncident(s: { failures: number; failedOutcomes?: number }): string {
  return s.failedOutcomes !== undefined && s.failedOutcomes !== s.failures ? ` (${s.failedOutcomes} failed outcomes, one count per incident)` : '';
}
