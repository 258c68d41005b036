import { gaussian, seededRandom } from '@x0/core';
/** Test helper: a seeded normal random generator (mulberry32 + Box–Muller). */
export function normalRng(seed: number): (mean?: number, sd?: number) => number {
  const uniform = seededRandom(seed);
  return (mean = 0, sd = 1) => mean + sd * gaussian(uniform);
}

/** Test helper: `n` rows of `width` normal features; `shift[f]` is added to feature f. */
export function normalRows(n: number, width: number, seed: number, shift: readonly number[] = []): number[][] {
  const rng = normalRng(seed);
  return Array.from({ length: n }, () => Array.from({ length: width }, (_, f) => rng() + (shift[f] ?? 0)));
}
