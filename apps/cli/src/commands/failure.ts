import { status } from '@grpc/grpc-js';
import { isRpcError, rpcErrorMessage } from '@x0/client';
import { InvalidArgumentError } from '@x0/core';

/** Thrown for bad arguments or options: reported as `x0: <message>`, exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * The exit code of a failure: 2 for bad input — a UsageError, an InvalidArgumentError (a
 * library's validation) or a service's INVALID_ARGUMENT, also when wrapped as a `cause` —
 * otherwise 1 (a service unreachable, an RPC error).
 */
export function exitCodeOf(err: unknown): 1 | 2 {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof UsageError || e instanceof InvalidArgumentError) return 2;
    if (isRpcError(e) && e.code === status.INVALID_ARGUMENT) return 2;
  }
  return 1;
}

/** Writes `x0: <message>` to stderr and sets the exit code for `err` (see exitCodeOf). */
export function reportFailure(err: unknown): void {
  process.stderr.write(`x0: ${rpcErrorMessage(err)}\n`);
  process.exitCode = exitCodeOf(err);
}
