/** Options accepted by every x0 error: the underlying cause, kept for logs. */
export interface X0ErrorOptions {
  cause?: unknown;
}

/** Thrown when an input (message field, request, env var, CLI argument) is malformed or out of range. */
export class InvalidArgumentError extends Error {
  override readonly name = 'InvalidArgumentError';
  /** Path of the offending field, e.g. `samples[3].value`; '' when the whole input is wrong. */
  readonly field: string;
  constructor(field: string, message: string, options?: X0ErrorOptions) {
    super(field ? `'${field}' ${message}` : message, options);
    this.field = field;
  }
}

/** Thrown when a named thing (incident, plan, model version, collection) does not exist. */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
  readonly kind: string;
  readonly id: string;
  /** `hint`, when given, follows the message: what to do instead (`plan 'p' not found: <hint>`). */
  constructor(kind: string, id: string, options?: X0ErrorOptions & { hint?: string }) {
    super(`${kind} '${id}' not found${options?.hint ? `: ${options.hint}` : ''}`, options);
    this.kind = kind;
    this.id = id;
  }
}

/** Thrown when a dependency (NATS, Qdrant, an agent, an executor target) cannot be reached or timed out. */
export class UnavailableError extends Error {
  override readonly name = 'UnavailableError';
  constructor(message: string, options?: X0ErrorOptions) {
    super(message, options);
  }
}

/** Thrown when an operation conflicts with the current state (already decided, version exists, guardrail). */
export class FailedPreconditionError extends Error {
  override readonly name = 'FailedPreconditionError';
  constructor(message: string, options?: X0ErrorOptions) {
    super(message, options);
  }
}

/** A thrown value as an Error (itself when it is one). */
export function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/** Message of any thrown value, for logs and dead-letter reasons. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
