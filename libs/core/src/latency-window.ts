/** Percentiles of a latency window, in milliseconds. */
export interface LatencySnapshot {
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** Observations over the whole life of the window, not just those kept. */
  count: number;
}

/**
 * Fixed-size ring of the most recent latencies (default 4,096) with percentiles on demand.
 * Recording is O(1) with no allocation; `snapshot()` sorts a copy.
 */
export class LatencyWindow {
  private readonly values: Float64Array;
  private next = 0;
  private filled = 0;
  private total = 0;

  constructor(size = 4096) {
    if (!Number.isInteger(size) || size <= 0) throw new RangeError(`size must be a positive integer, got ${size}`);
    this.values = new Float64Array(size);
  }

  record(ms: number): void {
    if (!Number.isFinite(ms)) return;
    this.values[this.next] = ms;
    this.next = (this.next + 1) % this.values.length;
    if (this.filled < this.values.length) this.filled++;
    this.total++;
  }

  snapshot(): LatencySnapshot {
    if (this.filled === 0) return { p50: 0, p95: 0, p99: 0, max: 0, count: 0 };
    const sorted = this.values.slice(0, this.filled).sort();
    return {
      p50: quantileSorted(sorted, 0.5),
      p95: quantileSorted(sorted, 0.95),
      p99: quantileSorted(sorted, 0.99),
      max: sorted[sorted.length - 1],
      count: this.total,
    };
  }
}

/** Nearest-rank quantile (q in [0,1]) of an ascending array; NaN when empty. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}
