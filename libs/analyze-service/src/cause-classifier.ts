import { CAUSES, type Cause, type MetricDeviation } from '@x0/contracts';

/** Failure kinds the loop knows; runbooks and policies are keyed by them (defined in @x0/contracts, shared with plan). */
export { CAUSES, type Cause };

interface Rule {
  cause: Exclude<Cause, 'unknown'>;
  /**
   * Words of the metric's name (see metricWords) that point to the cause, matched at the start
   * of a word: `err` matches `errors` and `error_rate`, not `interrupts`; `fs` matches
   * `fs_used`, not `consumer_offset_lag`.
   */
  pattern: RegExp;
  /** Which way the metric must move for the rule to apply: up, down, or either. */
  direction: 'up' | 'down' | 'any';
  /**
   * Words too general to name a resource (`util`, `load`): they count only when no rule's
   * `pattern` matches, so `MemoryUtilization` is memory, not CPU, and `cpu_utilization` CPU.
   */
  general?: RegExp;
  /**
   * The rule is about a resource being used up: a metric of what is left of it (`free`,
   * `avail`, `idle`) falling means the same as its use rising (`node_filesystem_avail_bytes`
   * down is a disk filling, not a dependency down).
   */
  headroom?: boolean;
}

// Order matters only for ties; patterns match common exporter names (Prometheus, OTel, StatsD, CloudWatch).
const RULES: Rule[] = [
  { cause: 'cpu_saturation', pattern: /\b(cpu|steal)/, general: /\b(util|load|throttl)/, direction: 'up', headroom: true },
  { cause: 'memory_leak', pattern: /\b(mem|heap|rss|gc|alloc|swap|oom)/, direction: 'up', headroom: true },
  { cause: 'latency_spike', pattern: /\b(latenc|duration|response.?time|p9\d|rtt|delay|slow)/, direction: 'up' },
  { cause: 'error_burst', pattern: /\b(err|5xx|fail|exception|fault|reject)/, direction: 'up' },
  { cause: 'disk_full', pattern: /\b(disk|fs|filesystem|inode|volume|storage)/, direction: 'up', headroom: true },
  { cause: 'queue_backlog', pattern: /\b(queue|backlog|lag|pending|depth|inflight)/, direction: 'up' },
  { cause: 'dependency_down', pattern: /\b(conn|upstream|dependency|health|avail|up\b|success|throughput|rps|qps|requests)/, direction: 'down' },
];

/** Words that name what is left of a resource rather than what is used of it. */
const HEADROOM = /\b(free|avail|idle|remaining|headroom)/;

/**
 * A metric's name as lower-case words separated by spaces: `MemoryUtilization` → `memory
 * utilization`, `http_5xx_rate` → `http 5xx rate`, `node_filesystem_avail_bytes` → `node
 * filesystem avail bytes`.
 */
export function metricWords(metric: string): string {
  return metric
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean)
    .join(' ');
}

/** The rule a metric that moved `up` (or down) matches: a specific word first, then a general one. */
function ruleFor(metric: string, up: boolean): Rule | undefined {
  const words = metricWords(metric);
  const applies = (r: Rule) => {
    const rising = r.headroom && HEADROOM.test(words) ? !up : up;
    return r.direction === 'any' || (r.direction === 'up') === rising;
  };
  return RULES.find((r) => r.pattern.test(words) && applies(r)) ?? RULES.find((r) => r.general?.test(words) && applies(r));
}

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
    const rule = ruleFor(m.metric, up);
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
