import { status } from '@grpc/grpc-js';
import { isRpcError, rpcErrorMessage } from '@x0/client';
import { InvalidArgumentError } from '@x0/core';

/** Thrown for bad arguments or options: reported as `x0: <message>`, exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * Runs `fn` (validation of command-line arguments) turning an InvalidArgumentError into a
 * UsageError. Library validation in general is not a usage error: `x0 detect` rejects its
 * stdin with InvalidArgumentError, and bad input data exits 1.
 */
export function asUsage<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof InvalidArgumentError) throw new UsageError(err.message, { cause: err });
    throw err;
  }
}

/**
 * The exit code of a failure: 2 for bad arguments — a UsageError, or a service's
 * INVALID_ARGUMENT (its request is built from them), also when wrapped as a `cause` —
 * otherwise 1 (a service unreachable, an RPC error, input data that cannot be used).
 */
export function exitCodeOf(err: unknown): 1 | 2 {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof UsageError) return 2;
    if (isRpcError(e) && e.code === status.INVALID_ARGUMENT) return 2;
  }
  return 1;
}

/** Writes `x0: <message>` to stderr and sets the exit code for `err` (see exitCodeOf). */
export function reportFailure(err: unknown): void {
  process.stderr.write(`x0: ${rpcErrorMessage(err)}\n`);
  process.exitCode = exitCodeOf(err);
}
