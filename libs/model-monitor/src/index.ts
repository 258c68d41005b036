export { ModelMonitor, DEFAULT_THRESHOLDS, type ModelMonitorOptions, type InferenceRecord, type FeedbackRecord } from './model-monitor';
export { evaluateShadow, type ShadowModel, type LabelledSample, type ShadowEvaluationOptions, type ShadowEvaluation } from './shadow-evaluation';
export { psi, ksTest, featureDrift, DEFAULT_DRIFT_THRESHOLDS, type FeatureDrift } from './drift';
export { classificationMetrics, confusion, type ClassificationMetrics, type ConfusionCounts } from './classification';
export type { Alert, AlertType, MetricStatus, MonitorReport, MonitorThresholds, RetrainTrigger } from './types';
