import { FailedPreconditionError, InvalidArgumentError, NotFoundError, errorMessage } from '@x0/core';
import type { NatsConnection } from '@nats-io/transport-node';
import { z } from 'zod';
import { DryRunExecutor } from './dry-run-executor';
import { IdempotencyGuard, type IdempotencyGuardOptions } from './idempotency';
import { KubernetesExecutor } from './kubernetes-executor';
import { NatsAgentExecutor } from './nats-agent-executor';
import { parseExecutorConfig, type ExecutorConfig } from './registry-config';
import { ACTIONS_TOKEN } from '@x0/contracts';
import { result, type ExecutionRequest, type ExecutionResult, type Executor, type ParamLimits } from './types';
import { issueToError } from './validation';
import { WebhookExecutor } from './webhook-executor';

/** An execution request addressed to a configured executor by name. */
export interface DispatchRequest extends ExecutionRequest {
  executor: string;
}

/** What came of a dispatch. */
export interface DispatchResult extends ExecutionResult {
  executor: string;
  dryRun: boolean;
  /** The idempotency key was seen before: this is the earlier result, nothing was done now. */
  replayed: boolean;
}

/** Options of ExecutorRegistry. */
export interface ExecutorRegistryOptions {
  /** Idempotency memory (LRU size, durable store). */
  idempotency?: IdempotencyGuardOptions;
  clock?: () => number;
}

const TOKEN = /^[a-z][a-z0-9_-]{0,63}$/;
// Exactly the fields of a DispatchRequest: anything else (a URL, a command) is refused.
const dispatchSchema = z.strictObject({
  executor: z.string('must be a string').regex(TOKEN, 'must be an executor name'),
  component: z
    .string('must be a string')
    .min(1, 'must be non-empty')
    .max(128, 'must be at most 128 characters')
    .regex(/^[^\s.*>\u0000-\u001f\u007f]+$/, "must be a subject token (no whitespace, '.', '*' or '>')"),
  action: z
    .string('must be a string')
    .regex(TOKEN, 'must be a lower-case action token')
    .refine((a) => a !== ACTIONS_TOKEN, `'${ACTIONS_TOKEN}' is reserved`),
  params: z
    .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'must be an identifier'), z.string('must be a string').max(1024, 'must be at most 1024 characters'))
    .refine((p) => Object.keys(p).length <= 32, 'must have at most 32 entries'),
  idempotencyKey: z
    .string('must be a string')
    .min(1, 'must be non-empty')
    .max(256, 'must be at most 256 characters')
    .regex(/^[^\u0000-\u001f\u007f]+$/, 'must not contain control characters'),
  dryRun: z.boolean('must be true or false'),
  deadline: z.number('must be a number').finite('must be finite'),
});

/**
 * The allowlist of executors, built from configuration. A request can only name one of
 * them and an action it is configured for; it carries no URL, command or namespace, so
 * nothing in a message can make the system run something arbitrary or reach an arbitrary
 * address. Every dispatch goes through the idempotency guard: a redelivered request never
 * acts twice. Dry-run requests are answered by a DryRunExecutor describing what the named
 * executor would do.
 */
export class ExecutorRegistry {
  private readonly executors = new Map<string, Executor>();
  private readonly guard: IdempotencyGuard;
  private readonly clock: () => number;

  /** Throws InvalidArgumentError when two executors share a name. */
  constructor(executors: readonly Executor[], options: ExecutorRegistryOptions = {}) {
    for (const e of executors) {
      if (this.executors.has(e.name)) throw new InvalidArgumentError('executors', `duplicate executor name '${e.name}'`);
      this.executors.set(e.name, e);
    }
    this.clock = options.clock ?? Date.now;
    this.guard = new IdempotencyGuard({ clock: this.clock, ...options.idempotency });
  }

  /** Configured executor names, sorted. */
  names(): string[] {
    return [...this.executors.keys()].sort();
  }

  /** The executor called `name`; throws NotFoundError for any other name. */
  get(name: string): Executor {
    const e = this.executors.get(name);
    if (!e) throw new NotFoundError('executor', name);
    return e;
  }

  /** The bounds executor `name` puts on `action`'s parameters (undefined: none, or no such executor). */
  paramLimits(name: string, action: string): ParamLimits | undefined {
    return this.executors.get(name)?.paramLimits?.(action);
  }

  /**
   * Validates and carries out a request. Throws InvalidArgumentError for a malformed
   * request (naming the field; unknown fields are refused), NotFoundError for an executor
   * that is not configured, FailedPreconditionError for an action the executor is not
   * configured for. Anything that goes wrong while acting is a `failed` result.
   */
  async dispatch(input: unknown): Promise<DispatchResult> {
    const parsed = dispatchSchema.safeParse(input);
    if (!parsed.success) throw issueToError(parsed.error, input);
    const { executor: name, ...req } = parsed.data;
    const executor = this.get(name);
    if (executor.actions && !executor.actions.includes(req.action)) {
      throw new FailedPreconditionError(`executor ${executor.name} is not configured for action ${req.action} (allowed: ${executor.actions.join(', ')})`);
    }
    // A dry_run executor never acts, whatever the request says: its result is a dry run (not an
    // action that was "not performed", which would count as a failed one).
    const dryRun = req.dryRun || executor.type === 'dry_run';
    const base = { executor: executor.name, dryRun };
    if (req.deadline <= this.clock()) {
      return { ...result('failed', `deadline passed before dispatch (${new Date(req.deadline).toISOString()})`, performance.now(), { reason: 'deadline' }), ...base, replayed: false };
    }
    const target = req.dryRun ? new DryRunExecutor({ name: executor.name, describe: (r) => executor.describe(r) }) : executor;
    const key = `${dryRun ? 'dry' : 'run'}:${req.idempotencyKey}`;
    const { result: res, replayed } = await this.guard.run(key, executor.name, () => safeExecute(target, req));
    return { ...res, ...base, replayed };
  }
}

/** Dependencies for building executors from configuration. */
export interface ExecutorDeps {
  /** Needed by nats_agent executors. */
  nc?: NatsConnection;
  /** Where secret_env names are looked up (default process.env). */
  env?: NodeJS.ProcessEnv;
  clock?: () => number;
  /** Passed to webhook executors (tests inject sleep/random/fetch). */
  webhook?: { sleep?: (ms: number) => Promise<void>; random?: () => number; fetch?: typeof fetch };
  idempotency?: IdempotencyGuardOptions;
}

/**
 * Builds the registry from an executor configuration (validated with parseExecutorConfig).
 * Throws InvalidArgumentError naming the field for bad settings, an unset secret_env, or a
 * nats_agent executor without a NATS connection.
 */
export function createExecutorRegistry(config: unknown, deps: ExecutorDeps = {}): ExecutorRegistry {
  const parsed = parseExecutorConfig(config);
  const executors = Object.entries(parsed.executors).map(([name, cfg]) => buildExecutor(name, cfg, deps));
  return new ExecutorRegistry(executors, { idempotency: deps.idempotency, clock: deps.clock });
}

function buildExecutor(name: string, cfg: ExecutorConfig, deps: ExecutorDeps): Executor {
  const field = `executors.${name}`;
  switch (cfg.type) {
    case 'dry_run':
      return new DryRunExecutor({ name });
    case 'nats_agent':
      if (!deps.nc) throw new InvalidArgumentError(field, 'is a nats_agent executor but no NATS connection was given');
      return new NatsAgentExecutor({ name, nc: deps.nc, timeoutMs: cfg.timeout_ms, actions: cfg.actions, clock: deps.clock });
    case 'webhook': {
      const secret = cfg.secret ?? (deps.env ?? process.env)[cfg.secret_env!];
      if (!secret) throw new InvalidArgumentError(`${field}.secret_env`, `names ${cfg.secret_env}, which is not set`);
      if (secret.length < 16) throw new InvalidArgumentError(`${field}.secret_env`, `${cfg.secret_env} must hold at least 16 characters`);
      return new WebhookExecutor({
        name,
        url: cfg.url,
        secret,
        actions: cfg.actions,
        timeoutMs: cfg.timeout_ms,
        maxAttempts: cfg.max_attempts,
        backoff: { initialMs: cfg.backoff_initial_ms, maxMs: cfg.backoff_max_ms },
        headers: cfg.headers,
        clock: deps.clock,
        ...deps.webhook,
      });
    }
    case 'kubernetes':
      return new KubernetesExecutor({
        name,
        namespace: cfg.namespace,
        deployment: cfg.deployment,
        actions: cfg.actions,
        minReplicas: cfg.min_replicas,
        maxReplicas: cfg.max_replicas,
        maxStep: cfg.max_step,
        timeoutMs: cfg.timeout_ms,
        kubeconfig: { path: cfg.kubeconfig, context: cfg.context, inCluster: cfg.in_cluster },
        clock: deps.clock,
      });
  }
}

async function safeExecute(executor: Executor, request: ExecutionRequest): Promise<ExecutionResult> {
  const started = performance.now();
  try {
    return await executor.execute(request);
  } catch (err) {
    // Executors should not throw; if one does, it is still a failed action, not a crash.
    return result('failed', `executor ${executor.name} threw: ${errorMessage(err)}`, started, { reason: 'executor_error' });
  }
}
