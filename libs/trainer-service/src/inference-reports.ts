import type { InferenceReport } from '@x0/contracts';
import type { ModelMonitor } from '@x0/model-monitor';

/** Inference outcomes recorded per report at most (the proportions are kept). */
const RECORDS_PER_REPORT = 200;

/**
 * Records an inference report in the champion's monitor: its inferences (with the report's
 * latency samples, else its p50) and its failures plus `extraFailures` (the serving service's
 * `failed` dead letters since the last report), scaled down to at most 200 records with the
 * same proportion of failures.
 */
export function recordInferenceReport(monitor: ModelMonitor, r: InferenceReport, extraFailures: number): void {
  const fail = r.failures + extraFailures;
  const total = r.inferences + fail;
  if (total === 0) return;
  const k = Math.min(RECORDS_PER_REPORT, total);
  const failK = Math.round((k * fail) / total);
  const lat = r.latencySamplesMs.length > 0 ? r.latencySamplesMs : [r.latency?.p50Ms ?? 0];
  for (let i = 0; i < k - failK; i++) monitor.recordInference({ latencyMs: lat[i % lat.length] });
  for (let i = 0; i < failK; i++) monitor.recordInference({ latencyMs: 0, ok: false });
}
