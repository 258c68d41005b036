/**
 * Exact sliding-window limiter ("sliding log"): per key, the times of the most recent
 * events. An event at time t counts while `now - t < windowMs`; a new event is allowed
 * while fewer than `max` events count. Only the newest `max` times are kept, so memory is
 * O(max) per key and a check is O(max) at worst.
 *
 * Chosen over a token bucket because the limit an operator writes ("3 actions per
 * 10 minutes") then holds for every window, with no burst allowance to explain.
 */
export class SlidingWindowLimiter {
  private readonly logs = new Map<string, number[]>();

  constructor(
    readonly max: number,
    readonly windowMs: number,
  ) {}

  /** Events of `key` that still count at `now`. */
  count(key: string, now: number): number {
    const log = this.logs.get(key);
    if (!log) return 0;
    this.trim(log, now);
    return log.length;
  }

  /** Milliseconds until one more event of `key` would be allowed (0 = allowed now). */
  retryInMs(key: string, now: number): number {
    const log = this.logs.get(key);
    if (!log) return this.max > 0 ? 0 : Infinity;
    this.trim(log, now);
    if (log.length < this.max) return 0;
    if (this.max === 0) return Infinity;
    return log[log.length - this.max] + this.windowMs - now;
  }

  /** Records an event of `key` at `now` (whether or not it was allowed). */
  record(key: string, now: number): void {
    let log = this.logs.get(key);
    if (!log) {
      log = [];
      this.logs.set(key, log);
    }
    log.push(now);
    if (log.length > Math.max(1, this.max)) log.shift();
  }

  /** Forgets keys whose events have all left the window. */
  prune(now: number): void {
    for (const [key, log] of this.logs) {
      this.trim(log, now);
      if (log.length === 0) this.logs.delete(key);
    }
  }

  /** Number of keys remembered (for tests and statistics). */
  get size(): number {
    return this.logs.size;
  }

  private trim(log: number[], now: number): void {
    let drop = 0;
    while (drop < log.length && now - log[drop] >= this.windowMs) drop++;
    if (drop > 0) log.splice(0, drop);
  }
}
