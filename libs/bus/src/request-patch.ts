import { RequestOne } from '@nats-io/nats-core/internal';

interface RequestInternals {
  resolver(err: Error | null, msg: unknown): void;
  cancel(err?: Error): void;
  timer?: { cancel(): void };
  mux: { cancel(r: unknown): void };
  /** Set by the patched resolver: the request's promise is settled. */
  x0Settled?: boolean;
}

let installed: boolean | undefined;

/**
 * Stops nats-core from building an Error for every request that has already been answered.
 *
 * nats-core 3.4 ends every request (`nc.request`, and so every JetStream publish, KV put and
 * JetStream API call) with `cancel()`, which rejects the request's already-resolved promise with
 * `new RequestError("cancelled")`: a rejection nobody can see, but an Error object with a captured
 * stack trace per request. Profiles of the loop's services put that constructor at 1–5 % of their
 * CPU (~10 % of the whole stack's in the throughput benchmark, most of it in execute).
 *
 * The patch marks a request settled when its reply (or error) arrives, and `cancel()` without an
 * error on a settled request then only does the rest of its work (stop the timer, leave the reply
 * mux). A request that is not settled yet (a timeout, a caller's cancel, a publish that failed)
 * goes through the library's own `cancel`, unchanged. Installed only when the library's code still
 * has that shape; returns whether it is installed.
 */
export function installSettledRequestFix(): boolean {
  if (installed !== undefined) return installed;
  const proto = RequestOne.prototype as unknown as RequestInternals;
  const resolver = proto.resolver;
  const cancel = proto.cancel;
  installed = typeof resolver === 'function' && typeof cancel === 'function' && /RequestError\("cancelled"\)/.test(String(cancel)) && /this\.cancel\(\)/.test(String(resolver));
  if (!installed) return false;
  proto.resolver = function (this: RequestInternals, err: Error | null, msg: unknown): void {
    this.x0Settled = true;
    resolver.call(this, err, msg);
  };
  proto.cancel = function (this: RequestInternals, err?: Error): void {
    if (err === undefined && this.x0Settled) {
      this.timer?.cancel();
      this.mux.cancel(this);
      return;
    }
    cancel.call(this, err);
  };
  return true;
}
