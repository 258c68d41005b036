import fs from 'node:fs/promises';
import { InvalidArgumentError } from '@x0/core';
import { parse as parseYaml, stringify as stringifyYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import { misspeltCause, misspeltCauseMessage } from '@x0/contracts';
import type { Policy } from './policy';
import { fieldPath, issueToError } from './validation';

const TOKEN = /^[a-z][a-z0-9_-]{0,63}$/;
const ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
const token = () => z.string('must be a string').regex(TOKEN, `must be a lower-case token ([a-z][a-z0-9_-]*, at most 64 characters)`);
const severity = z.enum(['low', 'medium', 'high'], 'must be one of low, medium, high');
const risk = z.enum(['low', 'medium', 'high'], 'must be one of low, medium, high');
const glob = z
  .string()
  .min(1, 'must be non-empty')
  .regex(/^[^\s.>]+$/, "must be a component glob (no whitespace, '.' or '>')");

/** Longest cooldown a policy may set: 30 days (also the largest cap PLAN_MAX_COOLDOWN_S takes). */
export const MAX_COOLDOWN_S = 30 * 86_400;

/** How strictly `validatePolicyFile` and friends check a policy's values. */
export interface PolicyCheckOptions {
  /**
   * Also check values the way a policy is checked when written (default true): a whole-number
   * priority, `cooldown_s` ≤ MAX_COOLDOWN_S, no misspelt cause. False reads policies an older
   * release stored (the plan service's bucket) so that one it accepted keeps applying.
   */
  values?: boolean;
}

const cooldown = (values: boolean) => {
  const n = z.number('must be a number').min(0, 'must be ≥ 0');
  return values ? n.max(MAX_COOLDOWN_S, `must be ≤ ${MAX_COOLDOWN_S} (30 days)`) : n;
};

const cause = (values: boolean) => {
  const t = token();
  return values
    ? t.superRefine((c, ctx) => {
        const known = misspeltCause(c);
        if (known) ctx.addIssue({ code: 'custom', message: misspeltCauseMessage(c, known) });
      })
    : t;
};

/** One policy as written in a policy file (snake_case, like the protobuf fields). */
const policySchema = (values: boolean) =>
  z.strictObject({
    id: z.string('must be a string').regex(ID, 'must match [A-Za-z0-9][A-Za-z0-9_-]* (at most 128 characters)'),
    action: token(),
    params: z
      .record(
        z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an identifier'),
        z.union([z.string(), z.number(), z.boolean()], 'must be a string, number or boolean').transform(String),
      )
      .default({}),
    priority: values
      ? z.number('must be a number').min(0, 'must be ≥ 0').max(100, 'must be ≤ 100').int('must be a whole number')
      : z.number('must be a number').min(0, 'must be ≥ 0').max(100, 'must be ≤ 100'),
    conditions: z
      .strictObject({
        component: glob.default('*'),
        kinds: z.array(token()).default([]),
        min_severity: severity.default('low'),
        causes: z.array(cause(values)).default([]),
      })
      .prefault({}),
    risk: risk.optional(),
    cooldown_s: cooldown(values).optional(),
    enabled: z.boolean('must be true or false').optional(),
    dry_run: z.boolean('must be true or false').optional(),
    executor: z.string().regex(TOKEN, 'must be an executor name ([a-z][a-z0-9_-]*)').optional(),
    description: z.string('must be a string').default(''),
  });
const policyDocument = policySchema(true);
const storedPolicyDocument = policySchema(false);

/** Values a policy file may set once for every policy. */
const defaultsSchema = (values: boolean) =>
  z
    .strictObject({
      risk: risk.default('low'),
      cooldown_s: cooldown(values).default(300),
      enabled: z.boolean().default(true),
      dry_run: z.boolean().default(false),
      executor: z.string().regex(TOKEN, 'must be an executor name ([a-z][a-z0-9_-]*)').default('agent'),
    })
    .prefault({});
const defaultsDocument = defaultsSchema(true);

const fileSchema = (values: boolean) =>
  z.strictObject({
    version: z.literal(1, 'must be 1'),
    defaults: values ? defaultsDocument : defaultsSchema(false),
    policies: z.array(values ? policyDocument : storedPolicyDocument, 'must be a list of policies'),
  });
const fileDocument = fileSchema(true);
const storedFileDocument = fileSchema(false);

/** A policy in file form (snake_case keys). */
export type PolicyDocument = z.input<typeof policyDocument>;

/**
 * Parses and validates the text of a policy file (YAML, see docs/decision-engine.md).
 * Throws InvalidArgumentError naming the field, e.g. `'policies[2].priority' must be ≤ 100`,
 * or the line of a YAML syntax error.
 */
export function parsePolicyFile(text: string, source = 'policy file', options: PolicyCheckOptions = {}): Policy[] {
  let doc: unknown;
  try {
    doc = parseYaml(text, { uniqueKeys: true });
  } catch (err) {
    // The yaml package's first line already says where ("… at line 4, column 3:").
    const first = err instanceof YAMLParseError ? err.message.split('\n')[0].replace(/:$/, '') : String(err);
    throw new InvalidArgumentError('', `${source}: YAML error: ${first}`, { cause: err });
  }
  return validatePolicyFile(doc, options);
}

/** Reads and parses a policy file; throws like parsePolicyFile (and fs errors as they are). */
export async function loadPolicyFile(path: string, options: PolicyCheckOptions = {}): Promise<Policy[]> {
  return parsePolicyFile(await fs.readFile(path, 'utf8'), path, options);
}

/**
 * Validates an already-decoded policy file object ({ version, defaults?, policies }): the
 * version, every policy, unique ids. Throws InvalidArgumentError naming the field.
 */
export function validatePolicyFile(doc: unknown, options: PolicyCheckOptions = {}): Policy[] {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new InvalidArgumentError('', 'a policy file must be a mapping with `version: 1` and `policies: [...]`');
  }
  const parsed = (options.values === false ? storedFileDocument : fileDocument).safeParse(doc);
  if (!parsed.success) throw issueToError(parsed.error, doc);
  const { defaults, policies } = parsed.data;
  const out = policies.map((p) => fromDocument(p, defaults));
  checkUnique(out, 'policies');
  return out;
}

/**
 * Validates one policy given in domain form (camelCase, e.g. converted from a gRPC
 * UpsertPolicy request) and returns a normalised copy. Throws InvalidArgumentError naming
 * the field under `field` (e.g. `policy.priority`).
 */
export function validatePolicy(policy: Policy, field = 'policy', options: PolicyCheckOptions = {}): Policy {
  return validatePolicyDocument(toPolicyDocument(policy), field, options);
}

/**
 * Validates one policy in file form (snake_case, e.g. a YAML document holding a single
 * policy); fields it leaves out take the policy file's built-in defaults. Throws
 * InvalidArgumentError naming the field under `field`.
 */
export function validatePolicyDocument(doc: unknown, field = 'policy', options: PolicyCheckOptions = {}): Policy {
  const parsed = (options.values === false ? storedPolicyDocument : policyDocument).safeParse(doc);
  if (!parsed.success) throw issueToError(parsed.error, doc, field);
  return fromDocument(parsed.data, defaultsDocument.parse({}));
}

/** A policy in file form (snake_case), e.g. to store it or write a policy file. */
export function toPolicyDocument(p: Policy): PolicyDocument {
  return {
    id: p.id,
    action: p.action,
    params: { ...p.params },
    priority: p.priority,
    conditions: { component: p.conditions.component, kinds: [...p.conditions.kinds], min_severity: p.conditions.minSeverity, causes: [...p.conditions.causes] },
    risk: p.risk,
    cooldown_s: p.cooldownS,
    enabled: p.enabled,
    dry_run: p.dryRun,
    executor: p.executor,
    description: p.description,
  };
}

/** Renders policies as a policy file (YAML). */
export function stringifyPolicyFile(policies: readonly Policy[]): string {
  return stringifyYaml({ version: 1, policies: policies.map(toPolicyDocument) });
}

/** Throws InvalidArgumentError when two policies share an id. */
export function checkUnique(policies: readonly Policy[], field: string): void {
  const seen = new Map<string, number>();
  policies.forEach((p, i) => {
    const first = seen.get(p.id);
    if (first !== undefined) throw new InvalidArgumentError(fieldPath([i, 'id'], field), `duplicates ${field}[${first}] ('${p.id}')`);
    seen.set(p.id, i);
  });
}

function fromDocument(d: z.output<typeof storedPolicyDocument>, defaults: z.output<typeof defaultsDocument>): Policy {
  return {
    id: d.id,
    action: d.action,
    params: d.params,
    priority: d.priority,
    conditions: { component: d.conditions.component, kinds: d.conditions.kinds, minSeverity: d.conditions.min_severity, causes: d.conditions.causes },
    risk: d.risk ?? defaults.risk,
    cooldownS: d.cooldown_s ?? defaults.cooldown_s,
    enabled: d.enabled ?? defaults.enabled,
    dryRun: d.dry_run ?? defaults.dry_run,
    executor: d.executor ?? defaults.executor,
    description: d.description,
  };
}
