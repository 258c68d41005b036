import { InvalidArgumentError, errorMessage } from '@x0/core';
import { describeRequest } from './dry-run-executor';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, WEBHOOK_IDEMPOTENCY_HEADER, signWebhookBody } from './webhook-signature';
import { result, type ExecutionRequest, type ExecutionResult, type Executor } from './types';

/** Options of WebhookExecutor. */
export interface WebhookExecutorOptions {
  name: string;
  /** The one URL this executor posts to (from configuration, never from a message). */
  url: string;
  /** HMAC-SHA256 key for X-X0-Signature. */
  secret: string;
  /** Actions allowed through this executor; undefined = any. */
  actions?: readonly string[];
  /** Per-attempt timeout (default 5,000 ms; the request's deadline may cut it shorter). */
  timeoutMs?: number;
  /** Attempts in all, first included (default 4). */
  maxAttempts?: number;
  /** Backoff before retry n (n = 1, 2, …): random in [0, min(maxMs, initialMs·2^(n−1))] (defaults 200, 5,000 ms). */
  backoff?: { initialMs?: number; maxMs?: number };
  /** Extra static headers from configuration. */
  headers?: Readonly<Record<string, string>>;
  clock?: () => number;
  /** Injected by tests. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  fetch?: typeof fetch;
}

/** The JSON body posted to a webhook (and signed). */
export interface WebhookBody {
  component: string;
  action: string;
  params: Record<string, string>;
  idempotencyKey: string;
  deadline: number;
  sentAtMs: number;
  attempt: number;
}

type Attempt = { kind: 'done'; result: ExecutionResult } | { kind: 'retry'; reason: string };

/**
 * Posts the action as signed JSON to a configured URL. 2xx is success; 3xx (redirects are
 * not followed) and 4xx fail at once; 5xx, timeouts and network errors are retried with
 * exponential backoff and full jitter until maxAttempts or the deadline.
 */
export class WebhookExecutor implements Executor {
  readonly type = 'webhook';
  readonly name: string;
  readonly actions?: readonly string[];
  private readonly url: string;
  private readonly secret: string;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly extraHeaders: Readonly<Record<string, string>>;
  private readonly clock: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly fetchFn: typeof fetch;

  /** Throws InvalidArgumentError for a bad URL, an empty secret or bad retry settings. */
  constructor(options: WebhookExecutorOptions) {
    this.name = options.name;
    this.url = new URL(options.url).toString();
    if (!options.secret) throw new InvalidArgumentError('secret', 'must be non-empty');
    this.secret = options.secret;
    this.actions = options.actions;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.maxAttempts = options.maxAttempts ?? 4;
    this.initialMs = options.backoff?.initialMs ?? 200;
    this.maxMs = options.backoff?.maxMs ?? 5000;
    if (!(this.maxAttempts >= 1)) throw new InvalidArgumentError('maxAttempts', 'must be ≥ 1');
    this.extraHeaders = options.headers ?? {};
    this.clock = options.clock ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.random = options.random ?? Math.random;
    this.fetchFn = options.fetch ?? fetch;
  }

  describe(request: ExecutionRequest): string {
    return `POST ${describeRequest(request)} to ${this.url}`;
  }

  async execute(request: ExecutionRequest): Promise<ExecutionResult> {
    const started = performance.now();
    const reasons: string[] = [];
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      if (attempt > 1) {
        const delay = this.random() * Math.min(this.maxMs, this.initialMs * 2 ** (attempt - 2));
        if (this.clock() + delay >= request.deadline) break;
        await this.sleep(delay);
      }
      const remaining = request.deadline - this.clock();
      if (remaining <= 0) break;
      const outcome = await this.attempt(request, attempt, Math.min(this.timeoutMs, remaining), started);
      if (outcome.kind === 'done') return outcome.result;
      reasons.push(outcome.reason);
    }
    const why = reasons.length > 0 ? reasons[reasons.length - 1] : 'deadline passed before the first attempt';
    return result('failed', `webhook ${this.url} failed after ${reasons.length} attempt${reasons.length === 1 ? '' : 's'}: ${why}`, started, {
      url: this.url,
      attempts: reasons.length,
      reasons,
    });
  }

  private async attempt(request: ExecutionRequest, attempt: number, timeoutMs: number, started: number): Promise<Attempt> {
    const sentAtMs = this.clock();
    const body: WebhookBody = {
      component: request.component,
      action: request.action,
      params: { ...request.params },
      idempotencyKey: request.idempotencyKey,
      deadline: request.deadline,
      sentAtMs,
      attempt,
    };
    const text = JSON.stringify(body);
    let res: Response;
    try {
      res = await this.fetchFn(this.url, {
        method: 'POST',
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
        headers: {
          ...this.extraHeaders,
          'content-type': 'application/json',
          'user-agent': 'x0tta6bl4-executor',
          [SIGNATURE_HEADER]: signWebhookBody(text, this.secret),
          [TIMESTAMP_HEADER]: String(sentAtMs),
          [WEBHOOK_IDEMPOTENCY_HEADER]: request.idempotencyKey,
        },
        body: text,
      });
    } catch (err) {
      // Duck-typed: fetch's errors may come from another realm (instanceof Error can be false).
      const name = (err as { name?: unknown } | null)?.name;
      const timedOut = name === 'TimeoutError' || name === 'AbortError';
      return { kind: 'retry', reason: timedOut ? `no response within ${timeoutMs} ms` : `network error: ${networkMessage(err)}` };
    }
    const responseText = await res.text().catch(() => '');
    const details = { url: this.url, status: res.status, attempts: attempt, response: responseText.slice(0, 500) };
    if (res.status >= 200 && res.status < 300) {
      return { kind: 'done', result: result('succeeded', messageFrom(responseText) ?? `HTTP ${res.status}`, started, details) };
    }
    if (res.status >= 500) return { kind: 'retry', reason: `HTTP ${res.status}` };
    const what = res.status >= 300 && res.status < 400 ? 'redirects are not followed' : 'not retried';
    return { kind: 'done', result: result('failed', `webhook ${this.url} answered HTTP ${res.status} (${what})${suffix(messageFrom(responseText))}`, started, details) };
  }
}

function messageFrom(text: string): string | undefined {
  try {
    const v = JSON.parse(text) as unknown;
    if (v && typeof v === 'object' && typeof (v as { message?: unknown }).message === 'string') return (v as { message: string }).message;
  } catch {
    // not JSON: no message
  }
  return undefined;
}

function suffix(message: string | undefined): string {
  return message ? `: ${message}` : '';
}

function networkMessage(err: unknown): string {
  // undici wraps the socket error in `cause` ("fetch failed" alone says nothing).
  const cause = (err as { cause?: { code?: string; message?: string } } | null)?.cause;
  return cause?.code ?? cause?.message ?? errorMessage(err);
}
