/** Test helper: a seeded normal random generator (mulberry32 + Box–Muller). */
export function normalRng(seed: number): (mean?: number, sd?: number) => number {
  let s = seed >>> 0;
  const uniform = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return (mean = 0, sd = 1) => {
    const u = Math.max(uniform(), 1e-12);
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
  };
}

/** Test helper: `n` rows of `width` normal features; `shift[f]` is added to feature f. */
export function normalRows(n: number, width: number, seed: number, shift: readonly number[] = []): number[][] {
  const rng = normalRng(seed);
  return Array.from({ length: n }, () => Array.from({ length: width }, (_, f) => rng() + (shift[f] ?? 0)));
}
