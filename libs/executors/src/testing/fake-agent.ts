import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { AgentRequest } from '../nats-agent-executor';

/** What a fake agent's handler returns: the reply object, or a raw string to send as is. */
export type FakeAgentReply = { ok: boolean; message?: string; details?: Record<string, unknown> } | string;

/** A responder on `x0.agents.<component>.>` for tests and benchmarks. */
export interface FakeAgent {
  /** Requests received, in order (not counting discovery). */
  readonly received: AgentRequest[];
  stop(): void;
}

/**
 * Answers action requests for `component` with `handlers[action]` and discovery requests
 * (`x0.agents.<component>.actions`) with the handlers' names. A handler returning
 * `undefined` sends no reply (the caller times out). Unknown actions get `{ok: false}`.
 */
export function startFakeAgent(
  nc: NatsConnection,
  component: string,
  handlers: Record<string, (req: AgentRequest) => FakeAgentReply | undefined>,
): FakeAgent {
  const received: AgentRequest[] = [];
  const sub: Subscription = nc.subscribe(`x0.agents.${component}.>`, {
    callback: (err, msg) => {
      if (err) return;
      const action = msg.subject.split('.')[3];
      if (action === 'actions') {
        msg.respond(JSON.stringify({ actions: Object.keys(handlers) }));
        return;
      }
      const req = JSON.parse(msg.string()) as AgentRequest;
      received.push(req);
      const handler = handlers[action];
      const reply = handler ? handler(req) : { ok: false, message: `unknown action ${action}` };
      if (reply === undefined) return;
      msg.respond(typeof reply === 'string' ? reply : JSON.stringify(reply));
    },
  });
  return { received, stop: () => sub.unsubscribe() };
}
