import type { ComponentSample } from './types';

const MAX_NAME = 200;

/** The largest magnitude a value may have: the detector keeps recent values as 32-bit floats, beyond which a number is Infinity. */
export const MAX_METRIC_VALUE = 3.4028234663852886e38;

/**
 * Checks one sample before it reaches any model. Returns the reason it must be rejected,
 * naming the offending field (e.g. `values['cpu'] must be finite, got NaN`), or undefined
 * when the sample is fine. Never throws.
 */
export function validateSample(sample: ComponentSample): string | undefined {
  const why = validateSampleHeader(sample);
  if (why) return why;
  for (const [metric, value] of sample.values) {
    const bad = validateMetricValue(metric, value);
    if (bad) return bad;
  }
  return undefined;
}

/** `validateSample` without the per-metric checks (`validateMetricValue`): object, component, time, a non-empty Map. */
export function validateSampleHeader(sample: ComponentSample): string | undefined {
  if (sample === null || typeof sample !== 'object') return 'sample must be an object';
  const { component, timeMs, values } = sample;
  if (typeof component !== 'string' || component.trim() === '') return "'component' must be a non-empty string";
  if (component.length > MAX_NAME) return `'component' must be at most ${MAX_NAME} characters`;
  if (typeof timeMs !== 'number' || !Number.isFinite(timeMs)) return `'timeMs' must be a finite number, got ${String(timeMs)}`;
  if (!(values instanceof Map)) return "'values' must be a Map of metric name to number";
  if (values.size === 0) return "'values' must hold at least one metric";
  return undefined;
}

/** The check of one metric of a sample (see `validateSample`). */
export function validateMetricValue(metric: unknown, value: unknown): string | undefined {
  if (typeof metric !== 'string' || metric.trim() === '') return "'values' has an empty metric name";
  if (metric.length > MAX_NAME) return `metric name '${metric.slice(0, 40)}…' is longer than ${MAX_NAME} characters`;
  if (typeof value !== 'number' || !Number.isFinite(value)) return `'values['${metric}']' must be a finite number, got ${String(value)}`;
  if (Math.abs(value) > MAX_METRIC_VALUE) return `'values['${metric}']' is ${String(value)}, beyond the ±3.4e38 the detector can hold (32-bit floats)`;
  return undefined;
}
