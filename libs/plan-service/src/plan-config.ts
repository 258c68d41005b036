import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { InvalidArgumentError, errorMessage } from '@x0/core';
import { resolveGuardrailsConfig, type GuardrailsConfig, type GuardrailsConfigInput } from '@x0/guardrails';
import { envBool, envInt } from '@x0/service-kit';
import { parse as parseYaml } from 'yaml';
import { longestRestorePart } from './plan-restore';

/** Environment variables of the plan service (besides the common ones in @x0/service-kit). */
export const planConfigShape = {
  /** Policy file that seeds the policy bucket when it is empty (relative to the working directory). */
  PLAN_POLICY_FILE: z.string().trim().min(1).default('deploy/policies.yaml'),
  /** Optional guardrails settings (YAML or JSON), merged over the service defaults. */
  PLAN_GUARDRAILS_FILE: z.string().trim().default(''),
  /** true: every action is only described (global dry-run), whatever the guardrails file says. */
  PLAN_DRY_RUN: envBool(false),
  /** Recent plans kept in memory (redelivered diagnoses; Explain without a KV read). */
  PLAN_EXPLAIN_CACHE: envInt(10_000, 1, 1_000_000),
  /**
   * How long every plan is kept in the KV bucket x0_plans for Explain, also across restarts
   * (seconds). At least the window the guardrails are rebuilt from at start (checkExplainTtl).
   */
  PLAN_EXPLAIN_TTL_S: envInt(7 * 86_400, 60, 365 * 86_400),
  /** Debounce of statistics updates from the policy-stats bucket before the engine re-imports them. */
  PLAN_STATS_DEBOUNCE_MS: envInt(200, 0, 60_000),
  /** Caps every policy's cooldown_s (seconds; 0 = no cap): for demos whose faults come faster than production cooldowns. */
  PLAN_MAX_COOLDOWN_S: envInt(0, 0, 30 * 86_400),
  /** Diagnoses older than this are not planned (acked and counted); 0 = no limit. */
  PLAN_MAX_DIAGNOSIS_AGE_S: envInt(300, 0, 30 * 86_400),
};

/**
 * Guardrail defaults of the service where they differ from the library's (see
 * docs/plan-service.md): the monitor already opens an incident only after
 * MONITOR_OPEN_SAMPLES alarming samples in a row and sends one anomaly per incident, so a
 * single anomaly is enough (`minConsecutive: 1`); a component anomalous again within 15 s of a
 * verified recovery is flapping (a fix that did not hold; execute's hold catches the quicker
 * returns); at most 5 actions per component in 5 minutes.
 */
export const SERVICE_GUARDRAIL_DEFAULTS: GuardrailsConfigInput = {
  stabilisation: { minConsecutive: 1, flapWindowS: 15 },
  rateLimit: { component: { max: 5, windowS: 300 } },
};

/**
 * The guardrails configuration the service runs with: the service defaults, overridden by
 * the file's settings (when a file is given), and global dry-run forced on by `dryRun`.
 * Throws InvalidArgumentError naming the file and the setting.
 */
export async function loadGuardrailsConfig(file: string, options: { dryRun?: boolean; cwd?: string } = {}): Promise<GuardrailsConfig> {
  let fromFile: unknown = {};
  if (file) {
    const full = path.resolve(options.cwd ?? process.cwd(), file);
    let text: string;
    try {
      text = await fs.readFile(full, 'utf8');
    } catch (err) {
      throw new InvalidArgumentError('PLAN_GUARDRAILS_FILE', `cannot read ${full}: ${errorMessage(err)}`, { cause: err });
    }
    try {
      fromFile = parseYaml(text, { uniqueKeys: true }) ?? {};
    } catch (err) {
      throw new InvalidArgumentError('PLAN_GUARDRAILS_FILE', `${full}: YAML error: ${errorMessage(err).split('\n')[0]}`, { cause: err });
    }
    if (typeof fromFile !== 'object' || Array.isArray(fromFile)) throw new InvalidArgumentError('PLAN_GUARDRAILS_FILE', `${full} must hold a mapping of guardrail settings`);
  }
  const merged = mergeDeep(SERVICE_GUARDRAIL_DEFAULTS as Record<string, unknown>, fromFile as Record<string, unknown>);
  if (options.dryRun) merged['dryRun'] = true;
  try {
    return resolveGuardrailsConfig(merged as GuardrailsConfigInput);
  } catch (err) {
    if (err instanceof InvalidArgumentError && file) throw new InvalidArgumentError(err.field, `${err.message.replace(/^'[^']*' /, '')} (in ${file})`, { cause: err });
    throw err;
  }
}

/**
 * Refuses a PLAN_EXPLAIN_TTL_S shorter than the window of stored plans a restarted plan service
 * rebuilds its guardrails from (the longest of restoreWindowParts: the approval and in-flight
 * timeouts, the rate windows, the default cooldown, two cool-offs of each breaker, the
 * stabilisation window): with a shorter TTL the plans that should rebuild in-flight slots, open
 * breakers and flapping components would have expired, and a plan still waiting for an
 * operator (listed by `x0 pending`) must stay explainable. The policies' own cooldowns are not
 * covered (they change at run time). Throws InvalidArgumentError naming the variable, the
 * minimum and the setting it comes from.
 */
export function checkExplainTtl(ttlS: number, guardrails: GuardrailsConfig): void {
  const longest = longestRestorePart(guardrails);
  const minS = Math.ceil(longest.seconds);
  if (ttlS < minS) {
    throw new InvalidArgumentError(
      'PLAN_EXPLAIN_TTL_S',
      `must be ≥ ${minS}, the window of stored plans a restarted plan service rebuilds its guardrails from (its longest part: ${longest.source}): a shorter one rebuilds in-flight actions, circuit breakers and flapping components only in part, and a plan waiting for an operator must stay explainable; got ${ttlS}`,
    );
  }
}

/** `b` over `a`, recursing into plain objects (arrays and scalars are replaced). */
export function mergeDeep(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] = isPlain(prev) && isPlain(v) ? mergeDeep(prev, v) : v;
  }
  return out;
}

function isPlain(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
