export type {
  BackendName,
  ComponentSample,
  ComponentStatusInfo,
  Detection,
  DetectorInfo,
  DetectorOptions,
  MetricContribution,
  Phase,
  Severity,
  SeverityThresholds,
} from './types';
export { DEFAULT_DETECTOR_OPTIONS } from './types';
export { createAnomalyDetector, resolveOptions, type AnomalyDetector } from './anomaly-detector';
export { selectBackend } from './backend';
export { detectCsv, parseTimestamp, type DetectCsvOptions, type DetectCsvResult } from './detect-csv';
export { scoreOfSurprise, severityOf, surpriseOfScore } from './severity';
export { SIGNATURE_DIM, ZERO_SIGNATURE } from './signature';
export { validateSample } from './validate';
export { BASE_WEIGHTS, DenseForecaster } from './neural-forecaster';
export { CLIP, normaliseWindows, type BaseWeights } from './forecaster';
