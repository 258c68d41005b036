import { InvalidArgumentError } from '@x0/core';
import { z } from 'zod';
import { issueToError } from './validation';

const weight = (d: number) => z.number().min(0, 'must be ≥ 0').default(d);

/** Schema of ScoringConfig; each field's default is the documented one. */
export const scoringConfigSchema = z.strictObject({
  /** score = w.successRate·successRate + w.priority·priority + w.recency·recency. */
  weights: z.strictObject({ successRate: weight(0.5), priority: weight(0.3), recency: weight(0.2) }).prefault({}),
  /**
   * Beta(α, β) prior of a policy's success rate. α = β = 1 (uniform): a policy with no
   * history scores 0.5, and one outcome moves it to 2/3 or 1/3 rather than 1 or 0.
   */
  prior: z.strictObject({ alpha: z.number().positive('must be > 0').default(1), beta: z.number().positive('must be > 0').default(1) }).prefault({}),
  /** Weight of the policy's outcomes on *other* components relative to this component's (1). */
  otherComponentsWeight: z.number().min(0, 'must be ≥ 0').max(1, 'must be ≤ 1').default(0.5),
  /** Recency half-life: a success this long ago contributes recency 0.5 (default 24 h). */
  recencyHalfLifeS: z.number().positive('must be > 0').default(86_400),
  evidence: z
    .strictObject({
      /** Pseudo-observations per similar incident, times the candidate's support in [0, 1]. */
      weight: z.number().min(0, 'must be ≥ 0').default(1),
      /** At most this many similar incidents are counted per action (their rate is kept). */
      maxIncidents: z.number().int().min(0, 'must be ≥ 0').default(20),
    })
    .prefault({}),
});

/** Scoring settings after defaults. */
export type ScoringConfig = z.output<typeof scoringConfigSchema>;
/** Any subset of ScoringConfig. */
export type ScoringConfigInput = z.input<typeof scoringConfigSchema>;

/** Validates a (partial) scoring configuration; throws InvalidArgumentError naming the field. */
export function resolveScoringConfig(input: ScoringConfigInput = {}): ScoringConfig {
  const parsed = scoringConfigSchema.safeParse(input);
  if (!parsed.success) throw issueToError(parsed.error, input, 'scoring');
  const w = parsed.data.weights;
  if (w.successRate + w.priority + w.recency <= 0) throw new InvalidArgumentError('scoring.weights', 'must not all be 0');
  return parsed.data;
}

/** exp(−ln2·Δt/halfLife) of the time since the last success; 0 when there was none. */
export function recency(lastSuccessMs: number, nowMs: number, halfLifeMs: number): number {
  if (!(lastSuccessMs > 0)) return 0;
  const dt = Math.max(0, nowMs - lastSuccessMs);
  return Math.exp((-Math.LN2 * dt) / halfLifeMs);
}
