import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError } from '@x0/core';
import { encodeFeatures, FEATURE_DIM, gridWithin, specOf, strengthOf, type IncidentFeatures, type ParamBounds } from './action-space';
import { DenseForward } from './dense-forward';

/** Registry name of the shared base model. */
export const ACTION_PARAMS_MODEL = 'action-params';

/** Hidden width of the base network (64: wide enough that a rank-1 adapter of two layers is under 5 % of it). */
export const HIDDEN_UNITS = 64;

/**
 * The base network: P(the component recovers | action, incident, strength).
 * Dense FEATURE_DIM→64 (relu) → 64 (relu) → 1 (sigmoid), 4,609 parameters (`units` 32: 1,281).
 * Deterministic for a seed.
 */
export function createBaseModel(seed = 1, units = HIDDEN_UNITS): tf.Sequential {
  const init = (k: number) => tf.initializers.glorotUniform({ seed: seed * 100 + k });
  return tf.sequential({
    name: ACTION_PARAMS_MODEL.replace('-', '_'),
    layers: [
      tf.layers.dense({ inputShape: [FEATURE_DIM], units, activation: 'relu', kernelInitializer: init(1), name: 'hidden1' }),
      tf.layers.dense({ units, activation: 'relu', kernelInitializer: init(2), name: 'hidden2' }),
      tf.layers.dense({ units: 1, activation: 'sigmoid', kernelInitializer: init(3), name: 'recovery' }),
    ],
  });
}

/**
 * Probabilities the model gives to each input row (one forward pass; no tensors leak). A
 * {@link DenseForward} snapshot of a model that no longer changes answers the same without tfjs.
 */
export function predictRecovery(model: tf.LayersModel | DenseForward, rows: readonly (readonly number[])[]): number[] {
  if (rows.length === 0) return [];
  if (model instanceof DenseForward) return model.predict(rows);
  const out = tf.tidy(() => model.predict(tf.tensor2d(rows as number[][], [rows.length, FEATURE_DIM])) as tf.Tensor);
  const values = Array.from(out.dataSync());
  out.dispose();
  return values;
}

/** A parameter choice and why. */
export interface Suggestion {
  action: string;
  /** Parameter name (e.g. `delta`) and value (e.g. 3), also as plan params. */
  param: string;
  value: number;
  params: Record<string, string>;
  strength: number;
  /** Predicted probability that the component recovers with this value. */
  probability: number;
  /**
   * Every grid value with its predicted probability, mildest first, made monotone: a value's P is
   * the highest predicted for it or any milder value (so it never falls as the step grows).
   */
  curve: Array<{ value: number; probability: number }>;
}

/** Options of {@link suggestFrom}. */
export interface SuggestOptions {
  /** Pick the mildest value whose predicted recovery reaches this (default 0.8). */
  targetProbability?: number;
  /** Only values within these bounds (what the executor accepts, e.g. a Kubernetes max_step). */
  bounds?: ParamBounds;
}

/**
 * Scores every grid value of `action`'s parameter in one batch and picks the mildest one
 * predicted to recover with at least `targetProbability`; when none does, the most likely
 * (the mildest among equals). With `bounds`, only the grid values within them are scored.
 * Throws InvalidArgumentError for an action without parameters, bad incident features or
 * bounds that leave no grid value.
 */
export function suggestFrom(model: tf.LayersModel | DenseForward, action: string, incident: IncidentFeatures, options: SuggestOptions = {}): Suggestion {
  const target = options.targetProbability ?? 0.8;
  if (!(target > 0 && target <= 1)) throw new InvalidArgumentError('targetProbability', `must be in (0, 1], got ${target}`);
  const spec = specOf(action);
  const grid = gridWithin(action, options.bounds);
  if (grid.length === 0) throw new InvalidArgumentError('bounds', `leave no value of ${spec.param} (grid ${spec.min}..${spec.max}), got ${JSON.stringify(options.bounds)}`);
  const strengths = grid.map((v) => strengthOf(action, v));
  const probs = predictRecovery(
    model,
    strengths.map((s) => encodeFeatures(action, incident, s)),
  );
  let pick = probs.findIndex((p) => p >= target);
  if (pick < 0) pick = probs.reduce((best, p, i) => (p > probs[best] + 1e-9 ? i : best), 0);
  const value = grid[pick];
  // The curve as monotonicity says it must be (a stronger step recovers at least as often as a
  // milder one): each value's P is the highest of it and the milder ones. The pick is the same —
  // the first value reaching the target, or the mildest with the highest P — and so is its P.
  let envelope = 0;
  return {
    action,
    param: spec.param,
    value,
    params: { [spec.param]: String(value) },
    strength: strengths[pick],
    probability: probs[pick],
    curve: grid.map((v, i) => ({ value: v, probability: (envelope = Math.max(envelope, probs[i])) })),
  };
}
