/**
 * The causes the analyze phase infers from metric names (its cause classifier); policies,
 * runbooks and incidents are keyed by them, and `unknown` is an anomaly nothing explains. A
 * runbook's front matter may name a further cause (deploy/runbooks ships five more, e.g.
 * `certificate_expiry`), which analyze reports when the runbook's evidence wins.
 */
export const CAUSES = ['cpu_saturation', 'memory_leak', 'latency_spike', 'error_burst', 'disk_full', 'queue_backlog', 'dependency_down', 'unknown'] as const;

/** One of CAUSES. */
export type Cause = (typeof CAUSES)[number];

/**
 * The built-in cause that `cause` is probably a misspelling of, or undefined. Policies and runbooks
 * may name causes beyond CAUSES (a runbook's front matter can define one, e.g. `certificate_expiry`),
 * so an unknown cause is refused only when it is this close to a known one:
 * within one edit per five characters (at least one, at most three), e.g. `cpu_saturaton` →
 * `cpu_saturation`, `memory_leaks` → `memory_leak`, `disk_ful` → `disk_full`.
 */
export function misspeltCause(cause: string): string | undefined {
  if ((CAUSES as readonly string[]).includes(cause)) return undefined;
  let best: { cause: string; distance: number } | undefined;
  for (const known of CAUSES) {
    const allowed = Math.min(3, Math.max(1, Math.floor(known.length / 5)));
    const d = editDistance(cause, known);
    if (d <= allowed && (!best || d < best.distance)) best = { cause: known, distance: d };
  }
  return best?.cause;
}

/** The error message for a misspelt cause, listing the known ones. */
export function misspeltCauseMessage(cause: string, known: string): string {
  return `is '${cause}', not a known cause: did you mean ${known}? (known: ${CAUSES.join(', ')}; a runbook's front matter may name others)`;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}
