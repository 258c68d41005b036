import { InvalidArgumentError } from '@x0/core';
import type { z } from 'zod';

/** `['policies', 2, 'priority']` → `policies[2].priority`. */
export function fieldPath(path: readonly PropertyKey[], prefix = ''): string {
  let out = prefix;
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out;
}

/**
 * One issue of a zod error as an InvalidArgumentError naming the field. An unknown key is
 * reported before anything else (a typo like `priorty` would otherwise surface as a
 * missing `priority`); a missing value says "is required".
 */
export function issueToError(error: z.ZodError, input: unknown, prefix = ''): InvalidArgumentError {
  const issue = error.issues.find((i) => i.code === 'unrecognized_keys') ?? error.issues[0];
  if (issue.code === 'unrecognized_keys') {
    return new InvalidArgumentError(fieldPath([...issue.path, issue.keys[0]], prefix), 'is not a known field', { cause: error });
  }
  // A missing literal (`version`) is an invalid_value, a missing anything else an invalid_type.
  if ((issue.code === 'invalid_type' || issue.code === 'invalid_value') && valueAt(input, issue.path) === undefined) {
    return new InvalidArgumentError(fieldPath(issue.path, prefix), 'is required', { cause: error });
  }
  // A bad record key: the key's own schema says what is wrong with it.
  const message = issue.code === 'invalid_key' && issue.issues.length > 0 ? issue.issues[0].message : issue.message;
  return new InvalidArgumentError(fieldPath(issue.path, prefix), message, { cause: error });
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = input;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}
