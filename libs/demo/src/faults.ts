/** Fault kinds the simulator injects; each matches a cause the analyze phase knows. */
export const FAULT_KINDS = ['cpu_saturation', 'memory_leak', 'latency_spike', 'error_burst', 'queue_backlog', 'disk_full', 'dependency_down'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Which actions really fix each fault (anything else is performed but changes nothing). */
export const FIXES: Record<FaultKind, readonly string[]> = {
  cpu_saturation: ['scale_up', 'throttle'],
  memory_leak: ['restart'],
  latency_spike: ['scale_up', 'clear_cache'],
  error_burst: ['rollback', 'restart'],
  queue_backlog: ['scale_up'],
  disk_full: ['clear_cache'],
  dependency_down: ['failover'],
};

/** Metric values of a healthy component at one moment. */
export type MetricValues = Record<string, number>;

/**
 * Applies a fault to healthy values, `t` seconds after it started. Effects are what an
 * operator would see: saturation pins CPU and slows requests, a leak grows memory, a
 * backlog grows the queue, a dead dependency drops throughput and raises errors.
 */
export function applyFault(kind: FaultKind, v: MetricValues, t: number): MetricValues {
  const out = { ...v };
  const ramp = Math.min(1, t / 5);
  const set = (k: string, f: (x: number) => number) => {
    if (k in out) out[k] = f(out[k]);
  };
  switch (kind) {
    case 'cpu_saturation':
      set('cpu', (x) => x + (0.97 - x) * ramp);
      set('latency_ms', (x) => x * (1 + 1.5 * ramp));
      break;
    case 'memory_leak':
      set('mem_mb', (x) => x * (1 + 0.04 * t));
      set('gc_pause_ms', (x) => x * (1 + 0.2 * t));
      break;
    case 'latency_spike':
      set('latency_ms', (x) => x * (1 + 4 * ramp));
      break;
    case 'error_burst':
      set('error_rate', (x) => x + 0.25 * ramp);
      break;
    case 'queue_backlog':
      set('queue_depth', (x) => x + 400 * t);
      set('consumer_lag_s', (x) => x + 2 * t);
      break;
    case 'disk_full':
      set('disk_used_pct', (x) => x + (97 - x) * ramp);
      break;
    case 'dependency_down':
      // An outage is abrupt: requests that need the dependency fail from the first second on.
      set('rps', (x) => x * 0.05);
      set('error_rate', (x) => x + 0.4);
      break;
  }
  return out;
}
