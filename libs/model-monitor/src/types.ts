/** What crossed its threshold. */
export type AlertType = 'accuracy_low' | 'error_rate_high' | 'latency_high' | 'input_drift';

/** Produced when a metric crosses its threshold (once per crossing, re-armed on recovery). */
export interface Alert {
  /** Deterministic: the same model, type and time give the same id. */
  id: string;
  type: AlertType;
  model: string;
  value: number;
  threshold: number;
  /** Samples the value was computed from. */
  samples: number;
  timeMs: number;
  message: string;
  /** For `input_drift`: the features that drifted. */
  features?: Array<{ feature: number; psi: number; ksPValue: number }>;
}

/** Asks the trainer to retrain or fine-tune `model`; the lead publishes it. */
export interface RetrainTrigger {
  id: string;
  model: string;
  timeMs: number;
  /** Alerts in force when the trigger fired (at least one). */
  reasons: Alert[];
}

/** Thresholds; the defaults are the seed's plus the drift rule. */
export interface MonitorThresholds {
  /** Alert when accuracy from feedback falls below (default 0.7). */
  minAccuracy: number;
  /** Alert when the share of failed inferences rises above (default 0.1). */
  maxErrorRate: number;
  /** Alert when inference latency p95 rises above, in ms (default 100). */
  maxLatencyP95Ms: number;
  /** A feature drifts when its PSI exceeds this (default 0.2) ... */
  maxPsi: number;
  /** ... and the two-sample KS p-value is below this (default 0.05). */
  ksAlpha: number;
}

/** One judged metric in a report. */
export interface MetricStatus {
  /** null when there are no samples. */
  value: number | null;
  threshold: number;
  samples: number;
  /** null when there are fewer samples than the minimum: not judged. */
  breached: boolean | null;
}

/** Outcome of `check()`. */
export interface MonitorReport {
  model: string;
  timeMs: number;
  accuracy: MetricStatus;
  errorRate: MetricStatus;
  latencyP95Ms: MetricStatus;
  /** value = the largest PSI over the features. */
  drift: MetricStatus & { features: Array<{ feature: number; psi: number; ksStatistic: number; ksPValue: number; drifted: boolean }> };
  /** Alerts raised by this check (new crossings only). */
  alerts: Alert[];
  /** Alerts in force (or carried) whose metric this check found recovered: they are re-armed. */
  cleared: Alert[];
  /** Set when this check fired a retraining trigger. */
  retrain?: RetrainTrigger;
}
