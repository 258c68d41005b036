/** One action to carry out. */
export interface ExecutionRequest {
  /** Component to act on (a subject token). */
  component: string;
  /** Action token (`restart`, `scale_up`, …). */
  action: string;
  params: Readonly<Record<string, string>>;
  /** Unique per (incident, action): an executor never acts twice on the same key. */
  idempotencyKey: string;
  /** Describe what would be done; change nothing. */
  dryRun: boolean;
  /** Give up at this time, ms since the epoch. */
  deadline: number;
}

/** What an executor did. */
export interface ExecutionResult {
  status: 'succeeded' | 'failed' | 'skipped';
  message: string;
  durationMs: number;
  details: Record<string, unknown>;
}

/** Bounds an executor enforces on the numeric parameters of an action, by name (inclusive; a missing side is open). */
export type ParamLimits = Readonly<Record<string, { min?: number; max?: number }>>;

/**
 * Carries out actions of one kind (NATS agent, webhook, Kubernetes, dry run).
 * `execute` never rejects: every failure, including a timeout or a malformed answer,
 * is a `failed` result whose message says what went wrong.
 */
export interface Executor {
  /** Name in the configuration (what a policy's `executor` refers to). */
  readonly name: string;
  /** `dry_run`, `nats_agent`, `webhook` or `kubernetes`. */
  readonly type: string;
  /** Actions this executor is configured for; undefined = whatever the target accepts. */
  readonly actions?: readonly string[];
  execute(request: ExecutionRequest): Promise<ExecutionResult>;
  /** One line saying what `execute` would do, for dry runs. */
  describe(request: ExecutionRequest): string;
  /**
   * The values of `action`'s parameters this executor accepts, where it refuses others (a
   * Kubernetes `delta` beyond `max_step`), so a value chosen for the action can stay within
   * them; undefined when it puts none.
   */
  paramLimits?(action: string): ParamLimits | undefined;
}

/** A result built from a start time (performance.now() based). */
export function result(status: ExecutionResult['status'], message: string, startedAt: number, details: Record<string, unknown> = {}): ExecutionResult {
  return { status, message, durationMs: Math.max(0, performance.now() - startedAt), details };
}
