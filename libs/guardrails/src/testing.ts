/** Test helpers: a clock that moves only when told to. */

/** A manual clock for guardrail tests: `clock.now` is the time, `clock.fn` the injectable. */
export class ManualClock {
  constructor(public now = Date.UTC(2025, 0, 1)) {}

  /** The function to pass as `clock`. */
  readonly fn = (): number => this.now;

  /** Moves the clock forward by `ms` and returns the new time. */
  advance(ms: number): number {
    this.now += ms;
    return this.now;
  }

  /** Moves the clock forward by `s` seconds. */
  advanceS(s: number): number {
    return this.advance(s * 1000);
  }
}
