import { deriveId, InvalidArgumentError, LatencyWindow } from '@x0/core';
import { classificationMetrics, confusion } from './classification';
import { DEFAULT_DRIFT_THRESHOLDS, featureDrift } from './drift';
import { Ring } from './ring';
import type { Alert, AlertType, MetricStatus, MonitorReport, MonitorThresholds, RetrainTrigger } from './types';

/** The seed's thresholds (accuracy < 0.7, error rate > 0.1, latency > 100 ms) plus the drift rule. */
export const DEFAULT_THRESHOLDS: Readonly<MonitorThresholds> = {
  minAccuracy: 0.7,
  maxErrorRate: 0.1,
  maxLatencyP95Ms: 100,
  ...DEFAULT_DRIFT_THRESHOLDS,
};

/** Options of {@link ModelMonitor}. */
export interface ModelMonitorOptions {
  model: string;
  thresholds?: Partial<MonitorThresholds>;
  /** Fewest labels / inferences before accuracy, error rate or latency is judged (default 30). */
  minSamples?: number;
  /** Fewest recent feature rows (and reference rows) before drift is judged (default 200; see `psi`). */
  minDriftSamples?: number;
  /** Labels, inference outcomes and latencies kept: the most recent N (default 500). */
  windowSize?: number;
  /** Labels kept for accuracy, the most recent N, when it differs from `windowSize` (default: `windowSize`). */
  feedbackWindowSize?: number;
  /** Recent feature rows kept for drift (default 1,000). */
  driftWindowSize?: number;
  /** PSI bins (default 10). */
  psiBins?: number;
  /** Least time between two retraining triggers, ms (default 1 h). */
  retrainCooldownMs?: number;
  /** Alert types that trigger retraining (default: all). */
  retrainOn?: readonly AlertType[];
  clock?: () => number;
  /**
   * Alerts raised before this monitor existed (an earlier run's, kept across a restart). Each
   * holds its type back: while its metric is unjudged it is only remembered; the first check
   * that judges the metric breached takes it as in force without raising it again, the first
   * that judges it recovered reports it in `cleared`.
   */
  carried?: readonly Alert[];
  onAlert?: (alert: Alert) => void;
  onRetrain?: (trigger: RetrainTrigger) => void;
}

/** One inference of the monitored model. */
export interface InferenceRecord {
  latencyMs: number;
  /** false when the inference failed (error rate); default true. */
  ok?: boolean;
  /** The input features, for drift (same width as the reference). */
  features?: readonly number[];
}

/** Operator feedback on one prediction: did the model flag an anomaly, and was there one. */
export interface FeedbackRecord {
  predicted: boolean;
  actual: boolean;
  /**
   * The prediction's identity (e.g. the anomaly id). Feedback with the key of a record still
   * in the window replaces that record, so a prediction counts once, with its latest verdict.
   */
  key?: string;
}

/**
 * Performance monitor of one model: accuracy from feedback, error rate, latency p95 and
 * input drift over sliding windows (the most recent N observations). `check()` judges each
 * metric that has enough samples; a crossing raises one alert (re-armed when the metric
 * recovers, reported in `cleared`) and, when a retrain-worthy alert is in force and the
 * cooldown has passed, a retraining trigger. Alerts of an earlier run can be carried in
 * (`carried`), so a restart does not raise them again. Pure logic: no timers, no I/O; the
 * clock is injected.
 */
export class ModelMonitor {
  readonly model: string;
  private readonly thresholds: MonitorThresholds;
  private readonly minSamples: number;
  private readonly minDriftSamples: number;
  private readonly psiBins: number;
  private readonly cooldownMs: number;
  private readonly retrainOn: ReadonlySet<AlertType>;
  private readonly clock: () => number;
  private readonly feedback: Ring<FeedbackRecord>;
  private readonly outcomes: Ring<boolean>;
  private readonly latency: LatencyWindow;
  private readonly features: Ring<readonly number[]>;
  private reference: readonly (readonly number[])[] = [];
  private readonly inForce = new Map<AlertType, Alert>();
  private readonly carried = new Map<AlertType, Alert>();
  private lastRetrainMs: number | undefined;

  constructor(private readonly options: ModelMonitorOptions) {
    if (!options.model) throw new InvalidArgumentError('model', 'must not be empty');
    this.model = options.model;
    this.thresholds = { ...DEFAULT_THRESHOLDS, ...options.thresholds };
    this.minSamples = positive('minSamples', options.minSamples ?? 30);
    this.minDriftSamples = positive('minDriftSamples', options.minDriftSamples ?? 200);
    this.psiBins = options.psiBins ?? 10;
    this.cooldownMs = options.retrainCooldownMs ?? 3_600_000;
    this.retrainOn = new Set(options.retrainOn ?? ['accuracy_low', 'error_rate_high', 'latency_high', 'input_drift']);
    this.clock = options.clock ?? Date.now;
    const windowSize = positive('windowSize', options.windowSize ?? 500);
    this.feedback = new Ring(positive('feedbackWindowSize', options.feedbackWindowSize ?? windowSize));
    this.outcomes = new Ring(windowSize);
    this.latency = new LatencyWindow(windowSize);
    this.features = new Ring(positive('driftWindowSize', options.driftWindowSize ?? 1000));
    for (const a of options.carried ?? []) this.carried.set(a.type, a);
  }

  /** Records one inference. Throws InvalidArgumentError on a negative/non-finite latency or a feature row of the wrong width. */
  recordInference(rec: InferenceRecord): void {
    if (!Number.isFinite(rec.latencyMs) || rec.latencyMs < 0) throw new InvalidArgumentError('latencyMs', `must be a finite number >= 0, got ${rec.latencyMs}`);
    const ok = rec.ok ?? true;
    this.outcomes.push(ok);
    if (ok) this.latency.record(rec.latencyMs);
    if (rec.features) this.recordFeatures(rec.features);
  }

  /**
   * Records one input row for drift only (no inference counted): for inputs sampled apart
   * from the inferences, e.g. read back from a stream. Throws InvalidArgumentError on a row
   * of the wrong width.
   */
  recordFeatures(features: readonly number[]): void {
    const width = this.reference[0]?.length;
    if (width !== undefined && features.length !== width) {
      throw new InvalidArgumentError('features', `has ${features.length} values, the reference has ${width}`);
    }
    this.features.push([...features]);
  }

  /**
   * Records operator feedback: an anomaly confirmed (actual true) or refuted (actual false).
   * A record with the `key` of one in the window replaces it (see {@link FeedbackRecord}).
   */
  recordFeedback(rec: FeedbackRecord): void {
    const r: FeedbackRecord = { predicted: rec.predicted, actual: rec.actual, ...(rec.key !== undefined ? { key: rec.key } : {}) };
    if (r.key !== undefined && this.feedback.replace((f) => f.key === r.key, r)) return;
    this.feedback.push(r);
  }

  /**
   * Sets the reference (training) window the inputs are compared with; clears the recent
   * feature rows, which belonged to the previous model. Throws InvalidArgumentError on
   * ragged rows or non-finite values.
   */
  setReference(rows: readonly (readonly number[])[]): void {
    const width = rows[0]?.length ?? 0;
    rows.forEach((r, i) => {
      if (r.length !== width) throw new InvalidArgumentError(`reference[${i}]`, `has ${r.length} values, expected ${width}`);
      if (!r.every(Number.isFinite)) throw new InvalidArgumentError(`reference[${i}]`, 'must contain only finite numbers');
    });
    this.reference = rows.map((r) => [...r]);
    this.features.clear();
  }

  /** Judges every metric, raises alerts for new crossings and maybe a retraining trigger (see the class doc). */
  check(): MonitorReport {
    const now = this.clock();
    const report = this.evaluate(now);
    const judged: Array<[AlertType, MetricStatus, string]> = [
      ['accuracy_low', report.accuracy, `accuracy ${fmt(report.accuracy.value)} < ${report.accuracy.threshold} over the last ${report.accuracy.samples} labelled predictions`],
      ['error_rate_high', report.errorRate, `error rate ${fmt(report.errorRate.value)} > ${report.errorRate.threshold} over the last ${report.errorRate.samples} inferences`],
      ['latency_high', report.latencyP95Ms, `latency p95 ${fmt(report.latencyP95Ms.value)} ms > ${report.latencyP95Ms.threshold} ms over the last ${report.latencyP95Ms.samples} inferences`],
      ['input_drift', report.drift, driftMessage(report)],
    ];
    for (const [type, status, message] of judged) {
      const carried = this.carried.get(type);
      if (carried && status.breached !== null) {
        // Judged again: the same crossing is in force without a second alert, or it is over.
        this.carried.delete(type);
        if (status.breached) this.inForce.set(type, carried);
        else report.cleared.push(carried);
      }
      const was = this.inForce.get(type);
      if (status.breached === false && was) {
        this.inForce.delete(type);
        report.cleared.push(was);
      }
      if (status.breached !== true || this.inForce.has(type)) continue;
      const alert: Alert = {
        id: deriveId('alr', this.model, type, now),
        type,
        model: this.model,
        value: status.value!,
        threshold: status.threshold,
        samples: status.samples,
        timeMs: now,
        message: `${this.model}: ${message}`,
        ...(type === 'input_drift'
          ? { features: report.drift.features.filter((f) => f.drifted).map(({ feature, psi, ksPValue }) => ({ feature, psi, ksPValue })) }
          : {}),
      };
      this.inForce.set(type, alert);
      report.alerts.push(alert);
      this.options.onAlert?.(alert);
    }
    const reasons = [...this.inForce.values()].filter((a) => this.retrainOn.has(a.type));
    if (reasons.length > 0 && (this.lastRetrainMs === undefined || now - this.lastRetrainMs >= this.cooldownMs)) {
      this.lastRetrainMs = now;
      report.retrain = { id: deriveId('rtr', this.model, now), model: this.model, timeMs: now, reasons };
      this.options.onRetrain?.(report.retrain);
    }
    return report;
  }

  /** The current metrics without raising anything. */
  evaluate(now: number = this.clock()): MonitorReport {
    const t = this.thresholds;
    const fb = classificationMetrics(confusion(this.feedback.toArray()));
    const outcomes = this.outcomes.toArray();
    const failures = outcomes.filter((ok) => !ok).length;
    const lat = this.latency.snapshot();
    const latSamples = Math.min(lat.count, this.outcomes.capacity);
    const judge = (value: number | null, samples: number, threshold: number, bad: (v: number) => boolean): MetricStatus => ({
      value,
      threshold,
      samples,
      breached: value === null || samples < this.minSamples ? null : bad(value),
    });

    const recent = this.features.toArray();
    const driftReady = this.reference.length >= this.minDriftSamples && recent.length >= this.minDriftSamples;
    const features = driftReady ? featureDrift(this.reference, recent, { maxPsi: t.maxPsi, ksAlpha: t.ksAlpha, bins: this.psiBins }) : [];
    const maxPsi = features.length ? Math.max(...features.map((f) => f.psi)) : null;
    return {
      model: this.model,
      timeMs: now,
      accuracy: judge(fb.accuracy, fb.samples, t.minAccuracy, (v) => v < t.minAccuracy),
      errorRate: judge(outcomes.length ? failures / outcomes.length : null, outcomes.length, t.maxErrorRate, (v) => v > t.maxErrorRate),
      latencyP95Ms: judge(latSamples ? lat.p95 : null, latSamples, t.maxLatencyP95Ms, (v) => v > t.maxLatencyP95Ms),
      drift: {
        value: maxPsi,
        threshold: t.maxPsi,
        samples: recent.length,
        breached: driftReady ? features.some((f) => f.drifted) : null,
        features,
      },
      alerts: [],
      cleared: [],
    };
  }
}

function positive(field: string, v: number): number {
  if (!Number.isInteger(v) || v <= 0) throw new InvalidArgumentError(field, `must be a positive integer, got ${v}`);
  return v;
}

function fmt(v: number | null): string {
  return v === null ? 'n/a' : String(Math.round(v * 1000) / 1000);
}

function driftMessage(report: MonitorReport): string {
  const drifted = report.drift.features.filter((f) => f.drifted);
  const list = drifted.map((f) => `#${f.feature} (PSI ${fmt(f.psi)}, KS p ${f.ksPValue.toExponential(1)})`).join(', ');
  return `input drift on ${drifted.length} feature(s) ${list} over the last ${report.drift.samples} inputs (PSI > ${report.drift.threshold} and KS p < alpha)`;
}
