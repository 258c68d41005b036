import { InvalidArgumentError, UnavailableError, errorMessage } from '@x0/core';
import { NoRespondersError, RequestError, TimeoutError, headers, type NatsConnection } from '@nats-io/transport-node';
import { z } from 'zod';
import { describeRequest } from './dry-run-executor';
import { ACTIONS_TOKEN, agentActionsSubject, agentSubject } from '@x0/contracts';
import { result, type ExecutionRequest, type ExecutionResult, type Executor } from './types';

/** Header carrying the idempotency key, so an agent can drop a repeated request. */
export const IDEMPOTENCY_HEADER = 'X0-Idempotency-Key';

/** What an agent answers to an action request. */
export const agentReplySchema = z.object({
  ok: z.boolean(),
  message: z.string().optional(),
  details: z.record(z.string(), z.unknown()).optional(),
});

/** What an agent answers on `x0.agents.<component>.actions`. */
const actionsReplySchema = z.object({ actions: z.array(z.string().regex(/^[a-z][a-z0-9_-]{0,63}$/, 'must be an action token')) });

/** Body of the request sent to an agent. */
export interface AgentRequest {
  component: string;
  action: string;
  params: Record<string, string>;
  idempotencyKey: string;
  deadline: number;
}

/** Options of NatsAgentExecutor. */
export interface NatsAgentExecutorOptions {
  name?: string;
  nc: NatsConnection;
  /** Longest wait for the agent's reply (default 5,000 ms; the request's deadline may cut it shorter). */
  timeoutMs?: number;
  /** Actions allowed through this executor; undefined = any (the agent decides). */
  actions?: readonly string[];
  clock?: () => number;
}

/**
 * Asks the component's own agent to act: request/reply on `x0.agents.<component>.<action>`
 * with a JSON body (AgentRequest) and the idempotency key in the `X0-Idempotency-Key`
 * header. The agent answers `{ok, message?, details?}`. No reply in time, no agent
 * listening and a malformed reply are `failed` results that say so.
 */
export class NatsAgentExecutor implements Executor {
  readonly type = 'nats_agent';
  readonly name: string;
  readonly actions?: readonly string[];
  private readonly nc: NatsConnection;
  private readonly timeoutMs: number;
  private readonly clock: () => number;

  constructor(options: NatsAgentExecutorOptions) {
    this.name = options.name ?? 'agent';
    this.nc = options.nc;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.actions = options.actions;
    this.clock = options.clock ?? Date.now;
    if (!(this.timeoutMs > 0)) throw new InvalidArgumentError('timeoutMs', 'must be > 0');
  }

  describe(request: ExecutionRequest): string {
    return `request ${describeRequest(request)} from its agent on ${agentSubject(request.component, request.action)}`;
  }

  async execute(request: ExecutionRequest): Promise<ExecutionResult> {
    const started = performance.now();
    const subject = agentSubject(request.component, request.action);
    const timeout = Math.min(this.timeoutMs, request.deadline - this.clock());
    if (timeout <= 0) return result('failed', `deadline passed before asking the agent on ${subject}`, started, { subject, reason: 'deadline' });
    const body: AgentRequest = {
      component: request.component,
      action: request.action,
      params: { ...request.params },
      idempotencyKey: request.idempotencyKey,
      deadline: request.deadline,
    };
    const h = headers();
    h.set(IDEMPOTENCY_HEADER, request.idempotencyKey);
    let reply: string;
    try {
      const msg = await this.nc.request(subject, JSON.stringify(body), { timeout, headers: h });
      reply = msg.string();
    } catch (err) {
      const reason = failureReason(err);
      const message =
        reason === 'timeout'
          ? `agent did not reply on ${subject} within ${timeout} ms`
          : reason === 'no_responders'
            ? `no agent is listening on ${subject}`
            : `request on ${subject} failed: ${errorMessage(err)}`;
      return result('failed', message, started, { subject, reason });
    }
    const parsed = parseJson(reply, agentReplySchema);
    if (!parsed.ok) {
      return result('failed', `malformed agent reply on ${subject}: ${parsed.error}`, started, { subject, reason: 'malformed_reply', reply: reply.slice(0, 200) });
    }
    const { ok, message, details } = parsed.value;
    return result(ok ? 'succeeded' : 'failed', message ?? (ok ? `agent performed ${request.action}` : `agent refused or failed ${request.action}`), started, {
      subject,
      ...(details ? { agent: details } : {}),
    });
  }
}

/**
 * Asks a component's agent which actions it can perform (`x0.agents.<component>.actions`,
 * reply `{actions: [...]}`); returns them sorted and de-duplicated, without `actions`.
 * Throws UnavailableError when no agent answers in time, InvalidArgumentError for a
 * malformed reply.
 */
export async function discoverActions(nc: NatsConnection, component: string, options: { timeoutMs?: number } = {}): Promise<string[]> {
  const subject = agentActionsSubject(component);
  let reply: string;
  try {
    reply = (await nc.request(subject, '', { timeout: options.timeoutMs ?? 2000 })).string();
  } catch (err) {
    const reason = failureReason(err);
    throw new UnavailableError(reason === 'no_responders' ? `no agent is listening on ${subject}` : `no answer on ${subject}: ${errorMessage(err)}`, { cause: err });
  }
  const parsed = parseJson(reply, actionsReplySchema);
  if (!parsed.ok) throw new InvalidArgumentError('reply', `from ${subject} is malformed: ${parsed.error}`);
  return [...new Set(parsed.value.actions)].filter((a) => a !== ACTIONS_TOKEN).sort();
}

function failureReason(err: unknown): 'timeout' | 'no_responders' | 'error' {
  if (err instanceof TimeoutError || (err instanceof RequestError && err.cause instanceof TimeoutError)) return 'timeout';
  if (err instanceof NoRespondersError || (err instanceof RequestError && err.isNoResponders())) return 'no_responders';
  return 'error';
}

function parseJson<T>(text: string, schema: z.ZodType<T>): { ok: true; value: T } | { ok: false; error: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `not JSON (${errorMessage(err)})` };
  }
  const parsed = schema.safeParse(value);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0];
  return { ok: false, error: `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}` };
}
