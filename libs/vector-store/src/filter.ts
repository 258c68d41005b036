import type { Condition, Filter, Payload } from './types';

/** Reads a dot-path (`labels.team`) from a payload; undefined when any step is missing. */
export function payloadValue(payload: Payload, key: string): unknown {
  if (key in payload) return payload[key];
  let cur: unknown = payload;
  for (const part of key.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function valuesOf(v: unknown): unknown[] {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

/** True when the payload satisfies one condition (any element of an array field may satisfy it). */
export function matchesCondition(payload: Payload, c: Condition): boolean {
  const values = valuesOf(payloadValue(payload, c.key));
  if ('match' in c) {
    if ('value' in c.match) {
      const want = c.match.value;
      return values.some((v) => v === want);
    }
    const any = c.match.any;
    return values.some((v) => (typeof v === 'string' || typeof v === 'number') && any.includes(v));
  }
  const r = c.range;
  return values.some(
    (v) =>
      typeof v === 'number' &&
      (r.gt === undefined || v > r.gt) &&
      (r.gte === undefined || v >= r.gte) &&
      (r.lt === undefined || v < r.lt) &&
      (r.lte === undefined || v <= r.lte),
  );
}

/** True when the payload satisfies the filter: all `must`, one of `should` (when non-empty), no `mustNot`. */
export function matchesFilter(payload: Payload, filter: Filter | undefined): boolean {
  if (!filter) return true;
  if (filter.must) for (const c of filter.must) if (!matchesCondition(payload, c)) return false;
  if (filter.mustNot) for (const c of filter.mustNot) if (matchesCondition(payload, c)) return false;
  if (filter.should && filter.should.length > 0) return filter.should.some((c) => matchesCondition(payload, c));
  return true;
}

/** True when the filter has no conditions at all. */
export function isEmptyFilter(filter: Filter | undefined): boolean {
  return !filter || ((filter.must?.length ?? 0) === 0 && (filter.should?.length ?? 0) === 0 && (filter.mustNot?.length ?? 0) === 0);
}
