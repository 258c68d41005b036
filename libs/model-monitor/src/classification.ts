/** Confusion counts of binary anomaly predictions (positive = anomaly). */
export interface ConfusionCounts {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

/** Metrics of binary predictions; null where undefined (no samples, or 0/0). */
export interface ClassificationMetrics extends ConfusionCounts {
  samples: number;
  accuracy: number | null;
  precision: number | null;
  recall: number | null;
  f1: number | null;
}

/** Confusion counts of (predicted, actual) pairs. */
export function confusion(pairs: Iterable<{ predicted: boolean; actual: boolean }>): ConfusionCounts {
  const c = { tp: 0, fp: 0, tn: 0, fn: 0 };
  for (const { predicted, actual } of pairs) {
    if (predicted && actual) c.tp++;
    else if (predicted) c.fp++;
    else if (actual) c.fn++;
    else c.tn++;
  }
  return c;
}

/**
 * Accuracy, precision, recall and F1 from confusion counts. A ratio whose denominator is 0
 * is null (precision with nothing predicted, recall and F1 with no actual anomaly).
 */
export function classificationMetrics(c: ConfusionCounts): ClassificationMetrics {
  const samples = c.tp + c.fp + c.tn + c.fn;
  const ratio = (num: number, den: number) => (den === 0 ? null : num / den);
  return {
    ...c,
    samples,
    accuracy: ratio(c.tp + c.tn, samples),
    precision: ratio(c.tp, c.tp + c.fp),
    recall: ratio(c.tp, c.tp + c.fn),
    f1: c.tp + c.fn === 0 ? null : (2 * c.tp) / (2 * c.tp + c.fp + c.fn),
  };
}
