import { InvalidArgumentError } from '@x0/core';
import { z } from 'zod';
import { issueToError } from './validation';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, WEBHOOK_IDEMPOTENCY_HEADER } from './webhook-signature';

const TOKEN = /^[a-z][a-z0-9_-]{0,63}$/;
const token = z.string('must be a string').regex(TOKEN, 'must be a lower-case token ([a-z][a-z0-9_-]*)');
const ms = (d: number) => z.number().int('must be an integer').positive('must be > 0').default(d);
const actions = z.array(token).min(1, 'must list at least one action').optional();

/** Headers a webhook executor sets on every request (and those HTTP itself owns): not configurable. */
const RESERVED_HEADER_NAMES = ['Content-Type', 'User-Agent', SIGNATURE_HEADER, TIMESTAMP_HEADER, WEBHOOK_IDEMPOTENCY_HEADER, 'Content-Length', 'Host', 'Transfer-Encoding', 'Connection'];
const RESERVED_HEADERS = RESERVED_HEADER_NAMES.map((h) => h.toLowerCase());

const kubernetesOperation = z.discriminatedUnion(
  'op',
  [
    z.strictObject({ op: z.literal('scale'), delta: z.number().int('must be an integer').refine((d) => d !== 0, 'must not be 0') }),
    z.strictObject({ op: z.literal('scale_to'), replicas: z.number().int('must be an integer').min(0, 'must be ≥ 0').optional() }),
    z.strictObject({ op: z.literal('rollout_restart') }),
  ],
  "must have op: scale, scale_to or rollout_restart",
);

const executorConfig = z.discriminatedUnion(
  'type',
  [
    z.strictObject({ type: z.literal('dry_run') }),
    z.strictObject({ type: z.literal('nats_agent'), timeout_ms: ms(5000), actions }),
    z.strictObject({
      type: z.literal('webhook'),
      url: z.url('must be an absolute URL'),
      /** The HMAC key itself (prefer secret_env). */
      secret: z.string().min(16, 'must be at least 16 characters').optional(),
      /** Name of the environment variable holding the HMAC key. */
      secret_env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name').optional(),
      actions,
      timeout_ms: ms(5000),
      max_attempts: z.number().int().min(1, 'must be ≥ 1').max(10, 'must be ≤ 10').default(4),
      backoff_initial_ms: ms(200),
      backoff_max_ms: ms(5000),
      headers: z.record(z.string().regex(/^[A-Za-z0-9-]+$/, 'must be a header name'), z.string()).optional(),
      /** Allow plain http to a non-loopback host (never in production). */
      allow_http: z.boolean().default(false),
    }),
    z.strictObject({
      type: z.literal('kubernetes'),
      namespace: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a namespace name'),
      deployment: z.string().includes('{component}', { message: 'must contain {component}' }).default('{component}'),
      kubeconfig: z.string().min(1).optional(),
      context: z.string().min(1).optional(),
      in_cluster: z.boolean().default(false),
      min_replicas: z.number().int().min(0, 'must be ≥ 0').default(1),
      max_replicas: z.number().int().min(1, 'must be ≥ 1').default(50),
      max_step: z.number().int().min(1, 'must be ≥ 1').default(5),
      timeout_ms: ms(10_000),
      actions: z.record(token, kubernetesOperation).refine((a) => Object.keys(a).length > 0, 'must map at least one action'),
    }),
  ],
  'must have type: dry_run, nats_agent, webhook or kubernetes',
);

const registryConfig = z.strictObject({
  executors: z.record(z.string().regex(TOKEN, 'executor names must be lower-case tokens ([a-z][a-z0-9_-]*)'), executorConfig),
});

/** One executor's validated settings (snake_case, as written). */
export type ExecutorConfig = z.output<typeof executorConfig>;
/** The validated executor configuration: name → settings. */
export type ExecutorRegistryConfig = z.output<typeof registryConfig>;

/**
 * Validates an executor configuration object (e.g. parsed from YAML/JSON). Throws
 * InvalidArgumentError naming the field: `'executors.ops-hook.url' must be an absolute URL`.
 * Webhook URLs must be https (http only to a loopback host, or with allow_http); a webhook
 * needs exactly one of secret and secret_env.
 */
export function parseExecutorConfig(input: unknown): ExecutorRegistryConfig {
  const parsed = registryConfig.safeParse(input);
  if (!parsed.success) throw issueToError(parsed.error, input);
  for (const [name, cfg] of Object.entries(parsed.data.executors)) {
    const field = `executors.${name}`;
    if (cfg.type === 'webhook') {
      const url = new URL(cfg.url);
      const loopback = ['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname);
      if (url.protocol !== 'https:' && !(url.protocol === 'http:' && (loopback || cfg.allow_http))) {
        throw new InvalidArgumentError(`${field}.url`, 'must be https (http only to a loopback host or with allow_http: true)');
      }
      if ((cfg.secret === undefined) === (cfg.secret_env === undefined)) throw new InvalidArgumentError(`${field}.secret`, 'set exactly one of secret and secret_env');
      if (cfg.backoff_max_ms < cfg.backoff_initial_ms) throw new InvalidArgumentError(`${field}.backoff_max_ms`, 'must be ≥ backoff_initial_ms');
      // HTTP header names are case-insensitive: `x-x0-signature: …` would be sent beside the real
      // signature (fetch joins the two values), and every request would fail its verification.
      for (const name of Object.keys(cfg.headers ?? {})) {
        if (RESERVED_HEADERS.includes(name.toLowerCase())) {
          throw new InvalidArgumentError(`${field}.headers.${name}`, `is set by the executor itself (${RESERVED_HEADER_NAMES.join(', ')}); leave it out`);
        }
      }
    }
    if (cfg.type === 'kubernetes') {
      if (cfg.max_replicas < cfg.min_replicas) throw new InvalidArgumentError(`${field}.max_replicas`, 'must be ≥ min_replicas');
      if (cfg.in_cluster && cfg.kubeconfig) throw new InvalidArgumentError(`${field}.in_cluster`, 'cannot be combined with kubeconfig');
      // The executor refuses these at every action: say so at start instead.
      for (const [action, op] of Object.entries(cfg.actions)) {
        if (op.op === 'scale' && Math.abs(op.delta) > cfg.max_step) {
          throw new InvalidArgumentError(`${field}.actions.${action}.delta`, `must be at most max_step (${cfg.max_step}) away from 0, got ${op.delta}`);
        }
        if (op.op === 'scale_to' && op.replicas !== undefined && (op.replicas < cfg.min_replicas || op.replicas > cfg.max_replicas)) {
          throw new InvalidArgumentError(`${field}.actions.${action}.replicas`, `must be within min_replicas..max_replicas (${cfg.min_replicas}..${cfg.max_replicas}), got ${op.replicas}`);
        }
      }
    }
  }
  return parsed.data;
}
