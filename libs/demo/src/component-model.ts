import { gaussian, seededRandom } from '@x0/core';
import type { MetricValues } from './faults';

/** Healthy behaviour of one metric: level, noise, and a slow daily-like cycle. */
interface MetricShape {
  base: number;
  /** Standard deviation of the noise, as a fraction of base. */
  noise: number;
  /** Amplitude of the cycle, as a fraction of base. */
  cycle: number;
  min?: number;
  max?: number;
}

/** Metrics of each demo component kind. */
export const KIND_METRICS: Record<string, Record<string, MetricShape>> = {
  web: {
    cpu: { base: 0.35, noise: 0.04, cycle: 0.15, min: 0, max: 1 },
    mem_mb: { base: 512, noise: 0.01, cycle: 0.02 },
    latency_ms: { base: 80, noise: 0.05, cycle: 0.1 },
    error_rate: { base: 0.01, noise: 0.15, cycle: 0, min: 0, max: 1 },
    rps: { base: 200, noise: 0.04, cycle: 0.2 },
    gc_pause_ms: { base: 4, noise: 0.1, cycle: 0 },
  },
  db: {
    cpu: { base: 0.3, noise: 0.04, cycle: 0.1, min: 0, max: 1 },
    mem_mb: { base: 2048, noise: 0.005, cycle: 0.01 },
    latency_ms: { base: 5, noise: 0.06, cycle: 0.1 },
    disk_used_pct: { base: 60, noise: 0.002, cycle: 0, max: 100 },
    rps: { base: 900, noise: 0.04, cycle: 0.2 },
    error_rate: { base: 0.002, noise: 0.2, cycle: 0, min: 0, max: 1 },
  },
  queue: {
    cpu: { base: 0.25, noise: 0.04, cycle: 0.1, min: 0, max: 1 },
    queue_depth: { base: 40, noise: 0.1, cycle: 0.2, min: 0 },
    consumer_lag_s: { base: 0.5, noise: 0.1, cycle: 0.1, min: 0 },
    error_rate: { base: 0.005, noise: 0.2, cycle: 0, min: 0, max: 1 },
    rps: { base: 500, noise: 0.04, cycle: 0.2 },
  },
};

/** Deterministic PRNG (mulberry32), so a seeded demo repeats exactly. */
export const rng = seededRandom;

export { gaussian };

/**
 * Healthy metric values of a component kind at time `t` seconds (a slow daily-like cycle of
 * period `periodS`); `noiseScale` multiplies every metric's noise (an injected drift).
 */
export function healthyValues(kind: string, t: number, rand: () => number, periodS = 3600, noiseScale = 1): MetricValues {
  const shapes = KIND_METRICS[kind] ?? KIND_METRICS['web'];
  const out: MetricValues = {};
  for (const [name, s] of Object.entries(shapes)) {
    let v = s.base * (1 + s.cycle * Math.sin((2 * Math.PI * t) / periodS) + s.noise * noiseScale * gaussian(rand));
    if (s.min !== undefined) v = Math.max(s.min, v);
    if (s.max !== undefined) v = Math.min(s.max, v);
    out[name] = v;
  }
  return out;
}
