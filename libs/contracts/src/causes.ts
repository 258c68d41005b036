/**
 * The causes the analyze phase infers from metric names (its cause classifier); policies,
 * runbooks and incidents are keyed by them, and `unknown` is an anomaly nothing explains. A
 * runbook's front matter may name a further cause (deploy/runbooks ships five more, e.g.
 * `certificate_expiry`), which analyze reports when the runbook's evidence wins.
 */
export const CAUSES = ['cpu_saturation', 'memory_leak', 'latency_spike', 'error_burst', 'disk_full', 'queue_backlog', 'dependency_down', 'unknown'] as const;

/** One of CAUSES. */
export type Cause = (typeof CAUSES)[number];
