import { seededRandom } from '@x0/core';
import type { ComponentSample } from './types';

/** Seeded PRNG (mulberry32) so synthetic data is the same on every run. */
export { seededRandom };

/** Standard normal draws from a seeded uniform source. */
export function gaussian(rand: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
}

/** Options of `periodicSeries`. */
export interface PeriodicSeriesOptions {
  n: number;
  /** Samples per cycle (default 96). */
  period?: number;
  level?: number;
  amplitude?: number;
  noise?: number;
  seed?: number;
}

/** A clean periodic series: level + amplitude·sin(2πt/period) + Gaussian noise. */
export function periodicSeries(o: PeriodicSeriesOptions): number[] {
  const { n, period = 96, level = 50, amplitude = 10, noise = 1, seed = 1 } = o;
  const g = gaussian(seededRandom(seed));
  return Array.from({ length: n }, (_, t) => level + amplitude * Math.sin((2 * Math.PI * t) / period) + noise * g());
}

/** Samples of one single-metric component, one every `stepMs` from `startMs`. */
export function samplesOf(component: string, values: readonly number[], o: { metric?: string; stepMs?: number; startMs?: number } = {}): ComponentSample[] {
  const { metric = 'value', stepMs = 60_000, startMs = Date.UTC(2026, 0, 1) } = o;
  return values.map((v, i) => ({ component, timeMs: startMs + i * stepMs, values: new Map([[metric, v]]) }));
}

/** Samples of one multi-metric component from rows of values (columns named by `metrics`). */
export function multiSamplesOf(component: string, metrics: readonly string[], rows: readonly number[][], o: { stepMs?: number; startMs?: number } = {}): ComponentSample[] {
  const { stepMs = 60_000, startMs = Date.UTC(2026, 0, 1) } = o;
  return rows.map((r, i) => ({ component, timeMs: startMs + i * stepMs, values: new Map(metrics.map((m, k) => [m, r[k]] as [string, number])) }));
}
