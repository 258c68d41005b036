import { CAUSES, type Cause, type MetricDeviation } from '@x0/contracts';

/** Failure kinds the loop knows; runbooks and policies are keyed by them (defined in @x0/contracts, shared with plan). */
export { CAUSES, type Cause };

interface Rule {
  cause: Exclude<Cause, 'unknown'>;
  pattern: RegExp;
  /** Which way the metric must move for the rule to apply: up, down, or either. */
  direction: 'up' | 'down' | 'any';
}

// Order matters only for ties; patterns match common exporter names (Prometheus, OTel, StatsD).
const RULES: Rule[] = [
  { cause: 'cpu_saturation', pattern: /cpu|load|util|throttl|steal/i, direction: 'up' },
  { cause: 'memory_leak', pattern: /mem|heap|rss|gc|alloc|swap|oom/i, direction: 'up' },
  { cause: 'latency_spike', pattern: /latenc|duration|response.?time|p9\d|rtt|delay|slow/i, direction: 'up' },
  { cause: 'error_burst', pattern: /err|5xx|fail|exception|fault|reject/i, direction: 'up' },
  { cause: 'disk_full', pattern: /disk|fs|filesystem|inode|volume|storage/i, direction: 'up' },
  { cause: 'queue_backlog', pattern: /queue|backlog|lag|pending|depth|inflight/i, direction: 'up' },
  { cause: 'dependency_down', pattern: /conn|upstream|dependency|health|avail|up$|success|throughput|rps|qps|requests/i, direction: 'down' },
];

/** A cause with the evidence for it. */
export interface CauseHypothesis {
  cause: Cause;
  /** Share of the anomaly's weight this cause explains, in [0,1]. */
  support: number;
  /** Metrics that point to it. */
  metrics: string[];
}

/**
 * Infers probable causes from which metrics deviated and in which direction, by matching
 * metric names against patterns of common failure kinds (errors up together with throughput
 * down count as one dependency failure). Returns hypotheses, best first;
 * 'unknown' carries the weight no rule explains. Deterministic and explainable: each
 * hypothesis names its metrics.
 */
export function classifyCause(metrics: readonly MetricDeviation[]): CauseHypothesis[] {
  const weights = new Map<Cause, { w: number; metrics: string[] }>();
  let total = 0;
  for (const m of metrics) {
    const w = Math.max(m.score, 1e-6);
    total += w;
    const up = m.value >= m.expected;
    const rule = RULES.find((r) => r.pattern.test(m.metric) && (r.direction === 'any' || (r.direction === 'up') === up));
    const cause: Cause = rule?.cause ?? 'unknown';
    const entry = weights.get(cause) ?? { w: 0, metrics: [] };
    entry.w += w;
    entry.metrics.push(m.metric);
    weights.set(cause, entry);
  }
  if (total === 0) return [{ cause: 'unknown', support: 1, metrics: [] }];
  // Errors up while throughput (or connections, health) falls is one failure, not two: the
  // signature of a dependency that stopped answering. A bad release raises errors but keeps
  // the traffic; a dead dependency fails the requests that need it and the successful ones drop.
  const errors = weights.get('error_burst');
  const dependency = weights.get('dependency_down');
  if (errors && dependency) {
    dependency.w += errors.w;
    dependency.metrics.push(...errors.metrics);
    weights.delete('error_burst');
  }
  return [...weights.entries()]
    .map(([cause, e]) => ({ cause, support: e.w / total, metrics: e.metrics }))
    .sort((a, b) => b.support - a.support || (a.cause === 'unknown' ? 1 : b.cause === 'unknown' ? -1 : 0));
}
