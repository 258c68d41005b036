import { status, type ServiceError } from '@grpc/grpc-js';
import { errorMessage } from '@x0/core';

/** True when `err` is a failed gRPC call (it carries a numeric `code` and string `details`). */
export function isRpcError(err: unknown): err is ServiceError {
  const e = err as Partial<ServiceError> | undefined;
  return typeof e?.code === 'number' && typeof e.details === 'string';
}

/**
 * What a failed call means to the person who made it: the service's own words without the
 * status-code prefix ("'policy.priority' must be ≤ 100"), and for a service that is down or
 * does not answer, "service unreachable (…); is it running? (x0 status)" instead of grpc-js's
 * "14 UNAVAILABLE: No connection established. Last error: … Resolution note:".
 */
export function rpcErrorMessage(err: unknown): string {
  if (!isRpcError(err)) return errorMessage(err);
  if (err.code === status.UNAVAILABLE) {
    const why = err.details
      .replace(/\s*Resolution note:.*$/s, '')
      .replace(/^No connection established\.\s*(Last error:\s*)?(Error:\s*)?/, '')
      .replace(/\.?\s*$/, '');
    return `service unreachable${why ? ` (${why})` : ''}; is it running? (x0 status)`;
  }
  if (err.code === status.DEADLINE_EXCEEDED) return `service did not answer in time (${err.details}); is it running? (x0 status)`;
  return err.details;
}
