import { InvalidArgumentError } from '@x0/core';
import { z } from 'zod';

const seconds = (d: number) => z.number().finite('must be a finite number').min(0, 'must be ≥ 0').default(d);
const count = (d: number) => z.number().int('must be an integer').min(0, 'must be ≥ 0').default(d);
// Every field has a default, so an omitted section parses as {} (the cast is for the generic).
const section = <T extends z.ZodRawShape>(shape: T) => z.strictObject(shape).prefault({} as never);

const rateLimit = (max: number, windowS: number) =>
  section({ enabled: z.boolean().default(true), max: count(max), windowS: z.number().positive('must be > 0').default(windowS) });
const breaker = (failures: number, coolOffS: number) =>
  section({ enabled: z.boolean().default(true), failures: z.number().int('must be an integer').min(1, 'must be ≥ 1').default(failures), coolOffS: seconds(coolOffS) });

/** Schema of GuardrailsConfig; every field has a default (docs/guardrails-and-executors.md). */
export const guardrailsConfigSchema = z.strictObject({
  /** Global dry-run: every action is only described. */
  dryRun: z.boolean().default(false),
  approval: section({
    enabled: z.boolean().default(true),
    /** Actions at or above this risk wait for an operator. */
    minRisk: z.enum(['low', 'medium', 'high']).default('high'),
    /** A pending approval expires (and is rejected) after this long. */
    timeoutS: z.number().positive('must be > 0').default(900),
  }),
  cooldown: section({ enabled: z.boolean().default(true), defaultS: seconds(300) }),
  rateLimit: section({
    /** At most `max` actions per component in any sliding window of `windowS` seconds. */
    component: rateLimit(3, 600),
    /** At most `max` actions in total in any sliding window of `windowS` seconds. */
    global: rateLimit(20, 60),
  }),
  blastRadius: section({
    enabled: z.boolean().default(true),
    /** At most this many components of one kind with an action in flight. */
    maxPerGroup: count(5),
    /** …and at most this fraction of the kind's components (at least one). */
    maxFraction: z.number().min(0, 'must be ≥ 0').max(1, 'must be ≤ 1').default(0.25),
    /** An action without an outcome stops counting as in flight after this long. */
    inFlightTimeoutS: z.number().positive('must be > 0').default(600),
  }),
  circuitBreaker: section({ policy: breaker(3, 600), global: breaker(10, 900) }),
  stabilisation: section({
    enabled: z.boolean().default(true),
    /** Act once the anomaly was seen this many times in a row… (0 = not required) */
    minConsecutive: count(2),
    /** …or has persisted this long, whichever comes first (0 = not required). */
    minPersistS: seconds(30),
    /** A gap longer than this between anomalies starts a new episode. */
    episodeGapS: z.number().positive('must be > 0').default(300),
    /** Anomalies within this long after a recovery are flapping: no automatic action. */
    flapWindowS: seconds(600),
  }),
});

/** Guardrail settings after defaults (see guardrailsConfigSchema for each field). */
export type GuardrailsConfig = z.output<typeof guardrailsConfigSchema>;

/** Any subset of GuardrailsConfig, nested sections included. */
export type GuardrailsConfigInput = z.input<typeof guardrailsConfigSchema>;

/**
 * Validates a (partial) configuration and fills in the defaults.
 * Throws InvalidArgumentError naming the first bad field, e.g. `'rateLimit.global.max' must be ≥ 0`.
 */
export function resolveGuardrailsConfig(input: GuardrailsConfigInput = {}): GuardrailsConfig {
  const parsed = guardrailsConfigSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      const key = [path, issue.keys[0]].filter(Boolean).join('.');
      throw new InvalidArgumentError(key, 'is not a known setting');
    }
    throw new InvalidArgumentError(path, issue.message);
  }
  return parsed.data;
}
