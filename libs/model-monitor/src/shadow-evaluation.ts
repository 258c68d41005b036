import { errorMessage, InvalidArgumentError } from '@x0/core';
import { classificationMetrics, confusion, type ClassificationMetrics } from './classification';

/** A model under evaluation: scores a batch of inputs; a score >= threshold means "anomaly". */
export interface ShadowModel<X> {
  /** Version or name, for the reason text. */
  name: string;
  score(inputs: readonly X[]): readonly number[] | Promise<readonly number[]>;
  threshold: number;
}

/** One labelled input from recent traffic (label: the anomaly was confirmed). */
export interface LabelledSample<X> {
  input: X;
  label: boolean;
}

/** Options of {@link evaluateShadow}. */
export interface ShadowEvaluationOptions<X> {
  champion: ShadowModel<X>;
  challenger: ShadowModel<X>;
  samples: readonly LabelledSample<X>[];
  /** Metric compared (default 'f1': anomalies are rare, accuracy rewards never alerting). */
  metric?: 'f1' | 'accuracy' | 'precision' | 'recall';
  /** The challenger must beat the champion by at least this much (default 0.02). */
  margin?: number;
  /** Fewest labelled samples to decide on (default 50); fewer → keep. */
  minSamples?: number;
}

/** The verdict, for the trainer to act on and record. */
export interface ShadowEvaluation {
  decision: 'promote' | 'keep';
  /** One sentence saying why, with the numbers. */
  reason: string;
  metric: 'f1' | 'accuracy' | 'precision' | 'recall';
  margin: number;
  samples: number;
  champion: ClassificationMetrics | null;
  challenger: ClassificationMetrics | null;
}

/**
 * Scores the same labelled window with the champion and the challenger and decides:
 * `promote` only when the challenger's metric is at least the champion's plus `margin`;
 * `keep` otherwise, also when there are too few samples, the metric is undefined for
 * either (e.g. F1 with no confirmed anomaly in the window), or a scorer fails.
 * Throws InvalidArgumentError for a bad margin or a scorer returning the wrong count.
 */
export async function evaluateShadow<X>(options: ShadowEvaluationOptions<X>): Promise<ShadowEvaluation> {
  const metric = options.metric ?? 'f1';
  const margin = options.margin ?? 0.02;
  if (!Number.isFinite(margin) || margin < 0) throw new InvalidArgumentError('margin', `must be a finite number >= 0, got ${margin}`);
  const minSamples = options.minSamples ?? 50;
  const { champion, challenger, samples } = options;
  const base = { metric, margin, samples: samples.length, champion: null, challenger: null };
  if (samples.length < minSamples) {
    return { ...base, decision: 'keep', reason: `only ${samples.length} labelled samples, at least ${minSamples} are needed to compare ${metric}` };
  }
  const inputs = samples.map((s) => s.input);
  const scored: ClassificationMetrics[] = [];
  for (const [role, model] of [['champion', champion], ['challenger', challenger]] as const) {
    let scores: readonly number[];
    try {
      scores = await model.score(inputs);
    } catch (err) {
      return { ...base, decision: 'keep', reason: `${role} ${model.name} failed to score: ${errorMessage(err)}` };
    }
    if (scores.length !== inputs.length) {
      throw new InvalidArgumentError(`${role}.score`, `returned ${scores.length} scores for ${inputs.length} inputs`);
    }
    scored.push(classificationMetrics(confusion(samples.map((s, i) => ({ predicted: scores[i] >= model.threshold, actual: s.label })))));
  }
  const [cm, ch] = scored;
  const a = cm[metric];
  const b = ch[metric];
  const result = { ...base, champion: cm, challenger: ch };
  const n = samples.length;
  if (a === null || b === null) {
    return { ...result, decision: 'keep', reason: `${metric} is undefined on this window of ${n} samples (${cm.tp + cm.fn} confirmed anomalies)` };
  }
  // Tolerance so that 0.82 vs 0.80 + 0.02 (0.8200000000000001 in floating point) counts as meeting the margin.
  const promote = b >= a + margin - 1e-9;
  const reason =
    `challenger ${challenger.name} ${metric} ${r3(b)} ${promote ? '>=' : '<'} champion ${champion.name} ${metric} ${r3(a)} ` +
    `+ margin ${margin} over ${n} labelled samples`;
  return { ...result, decision: promote ? 'promote' : 'keep', reason };
}

function r3(v: number): number {
  return Math.round(v * 1000) / 1000;
}
