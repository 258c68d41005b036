import { InvalidArgumentError } from '@x0/core';

/**
 * One tunable parameter of an action: its name in `Plan.params`, its range and grid, and
 * which direction is the stronger remedy. The model works on a normalised *strength* in
 * [0, 1] (0 = the mildest setting, 1 = the strongest), so one network serves every action.
 */
export interface ParamSpec {
  /** Key in the plan's and the action result's params (e.g. `delta`). */
  param: string;
  min: number;
  max: number;
  /** Grid step: suggestions are multiples of it from `min`. */
  step: number;
  /** 'up': a larger value is a stronger remedy (replicas); 'down': a smaller one is (admitted rate). */
  stronger: 'up' | 'down';
}

/**
 * Actions whose parameters the model sets, with the parameter it sets (the names the
 * default policies and executors use: `scale_up.delta` replicas to add, `throttle.rate_percent`
 * share of traffic still admitted). The order is the model's one-hot input order: changing
 * it changes the model's input, so append only, and retrain the base.
 */
export const ACTION_PARAMS: Readonly<Record<string, ParamSpec>> = Object.freeze({
  scale_up: { param: 'delta', min: 1, max: 5, step: 1, stronger: 'up' },
  throttle: { param: 'rate_percent', min: 40, max: 95, step: 5, stronger: 'down' },
});

/** Actions in input order. */
export const PARAM_ACTIONS: readonly string[] = Object.freeze(Object.keys(ACTION_PARAMS));

/** Width of the model input: one-hot action, anomaly score, severity, strength. */
export const FEATURE_DIM = PARAM_ACTIONS.length + 3;

/** What the model knows about the incident when it picks a strength. */
export interface IncidentFeatures {
  /** Calibrated anomaly score in [0, 1]. */
  score: number;
  /** Severity as 0 (unknown/none), 1 low, 2 medium, 3 high. */
  severity: number;
}

/** True when the model sets a parameter of `action`. */
export function hasParams(action: string): boolean {
  return Object.prototype.hasOwnProperty.call(ACTION_PARAMS, action);
}

/** The spec of `action`; throws InvalidArgumentError for an action without parameters. */
export function specOf(action: string): ParamSpec {
  if (!hasParams(action)) throw new InvalidArgumentError('action', `has no tunable parameters (known: ${PARAM_ACTIONS.join(', ')}), got ${JSON.stringify(action)}`);
  return ACTION_PARAMS[action];
}

/** The grid of values of `action`'s parameter, mildest first. */
export function gridOf(action: string): number[] {
  const s = specOf(action);
  const n = Math.round((s.max - s.min) / s.step);
  const values = Array.from({ length: n + 1 }, (_, i) => round(s.min + i * s.step));
  return s.stronger === 'up' ? values : values.reverse();
}

/** Bounds an executor puts on a parameter's value (inclusive; a missing side is open). */
export interface ParamBounds {
  min?: number;
  max?: number;
}

/** The grid of `action`'s parameter within `bounds` (all of it without), mildest first; may be empty. */
export function gridWithin(action: string, bounds?: ParamBounds): number[] {
  const grid = gridOf(action);
  if (!bounds) return grid;
  return grid.filter((v) => (bounds.min === undefined || v >= bounds.min) && (bounds.max === undefined || v <= bounds.max));
}

/** Strength in [0, 1] of a parameter value (clamped to the range). */
export function strengthOf(action: string, value: number): number {
  const s = specOf(action);
  if (!Number.isFinite(value)) throw new InvalidArgumentError(s.param, `must be a finite number, got ${value}`);
  const u = (Math.min(s.max, Math.max(s.min, value)) - s.min) / (s.max - s.min);
  return s.stronger === 'up' ? u : 1 - u;
}

/** Parameter value of a strength, snapped to the grid. */
export function valueOf(action: string, strength: number): number {
  const s = specOf(action);
  const u = s.stronger === 'up' ? strength : 1 - strength;
  const raw = s.min + Math.min(1, Math.max(0, u)) * (s.max - s.min);
  return round(s.min + Math.round((raw - s.min) / s.step) * s.step);
}

/** The model input row for one (action, incident, strength). */
export function encodeFeatures(action: string, incident: IncidentFeatures, strength: number): number[] {
  const index = PARAM_ACTIONS.indexOf(action);
  if (index < 0) specOf(action); // throws with the list of known actions
  if (!(incident.score >= 0 && incident.score <= 1)) throw new InvalidArgumentError('score', `must be in [0, 1], got ${incident.score}`);
  if (!(incident.severity >= 0 && incident.severity <= 3)) throw new InvalidArgumentError('severity', `must be in [0, 3], got ${incident.severity}`);
  const row = new Array<number>(FEATURE_DIM).fill(0);
  row[index] = 1;
  row[PARAM_ACTIONS.length] = incident.score;
  row[PARAM_ACTIONS.length + 1] = incident.severity / 3;
  row[PARAM_ACTIONS.length + 2] = strength;
  return row;
}

function round(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}
