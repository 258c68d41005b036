/** Severity of a detection; 'none' below the low cut-off. */
export type Severity = 'none' | 'low' | 'medium' | 'high';

/** Detector phase of a component: learning its baseline, or scoring. */
export type Phase = 'learning' | 'scoring';

/** One observation of a component: all its metrics at one time. */
export interface ComponentSample {
  component: string;
  /** Milliseconds since the epoch (or any monotonic ms clock); equal times are allowed, going back is not. */
  timeMs: number;
  /** Metric name → value. Values must be finite; see `validateSample`. */
  values: ReadonlyMap<string, number>;
  /** Free-form component kind (service, node, queue); informational. */
  kind?: string;
}

/** How much one metric contributed to a detection. */
export interface MetricContribution {
  metric: string;
  value: number;
  /** What the baseline expected for this sample (forecast). */
  expected: number;
  /** Calibrated per-metric score in [0,1]. */
  score: number;
}

/** The detector's verdict on one sample. */
export interface Detection {
  component: string;
  timeMs: number;
  /** Calibrated anomaly score in [0,1] (probability-like). */
  score: number;
  severity: Severity;
  phase: Phase;
  /** Most anomalous first. */
  metrics: MetricContribution[];
  /**
   * Fixed length SIGNATURE_DIM, unit L2 norm: the recent window shape. When severity is 'none'
   * (or the sample was rejected) it is the shared all-zero ZERO_SIGNATURE: read-only, copy before changing.
   */
  signature: Float32Array;
  /** Set when the sample was rejected (bad value, time going back); the state was not touched. */
  rejected?: string;
  /** Metrics of the sample that were not scored: the component already has `maxMetrics` others. */
  ignoredMetrics?: string[];
}

/** Severity cut-offs on the calibrated score. */
export interface SeverityThresholds {
  low: number;
  medium: number;
  high: number;
}

/** What is running. */
export interface DetectorInfo {
  detector: string;
  modelVersion: string;
  backend: string;
  warmupSamples: number;
  thresholds: SeverityThresholds;
}

/** Live view of one component's state. */
export interface ComponentStatusInfo {
  component: string;
  phase: Phase;
  samplesSeen: number;
  lastScore: number;
  lastSeverity: Severity;
  lastTimeMs: number;
  metrics: Array<{ metric: string; last: number; mean: number; std: number; samples: number }>;
}

/** Which TensorFlow.js backend runs the neural part. */
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

/** Options of `createAnomalyDetector`; every field has a default (see DEFAULT_DETECTOR_OPTIONS). */
export interface DetectorOptions {
  /** Samples a component learns from before it scores (its baseline). */
  warmupSamples: number;
  /** Severity cut-offs on the calibrated score. */
  thresholds: SeverityThresholds;
  /** Preferred backend; falls back tensorflow → wasm → cpu. 'auto' tries them in that order. */
  backend: BackendName | 'auto';
  /** Horizon (samples) of the slow baseline statistics: location, scale, score distribution. The effective horizon is max(baselineHorizon, warmupSamples). */
  baselineHorizon: number;
  /** Samples after an alarm (severity ≥ low) during which a single-metric component's surprise counts half. */
  refractorySamples: number;
  /** A gap longer than this many typical sampling intervals restarts the short-term windows. */
  gapFactor: number;
  /** Maximum metrics per component (bounds the state size). */
  maxMetrics: number;
  /** 'neural': shared TensorFlow.js forecaster + per-metric adapter; 'naive': mean of the last 3 values (no tensors). */
  forecaster: 'neural' | 'naive';
  /**
   * Components of two or more metrics also count the metrics that jump far (in their plain
   * standard deviation) from their last values, and score how rare that count is for the
   * component (docs/anomaly-detection.md). On by default; off reproduces the scores of before.
   */
  jumpCounts: boolean;
}

/** Defaults of every option. */
export const DEFAULT_DETECTOR_OPTIONS: Readonly<DetectorOptions> = Object.freeze({
  warmupSamples: 300,
  thresholds: Object.freeze({ low: 0.2, medium: 0.5, high: 0.8 }),
  backend: 'auto',
  baselineHorizon: 10000,
  refractorySamples: 100,
  gapFactor: 10,
  maxMetrics: 40,
  forecaster: 'neural',
  jumpCounts: true,
});
