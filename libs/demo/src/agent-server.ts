import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { errorMessage } from '@x0/core';
import { agentActionsSubject, agentAnnounceSubject, agentSubject } from '@x0/contracts';

/** What an agent gets for one action request (the body x0's execute phase sends). */
export interface AgentRequest {
  component: string;
  action: string;
  params: Record<string, string>;
  idempotencyKey: string;
  deadline: number;
}

/** What an agent answers: `ok` false means it refused or failed. */
export interface AgentReply {
  ok: boolean;
  message?: string;
  details?: Record<string, unknown>;
}

export type ActionHandler = (request: AgentRequest) => AgentReply | Promise<AgentReply>;

/**
 * Serves a component's agent on NATS: `x0.agents.<component>.<action>` runs the handler and
 * replies JSON; `x0.agents.<component>.actions` answers the list of actions; the list is also
 * announced once at start on `x0.agents.<component>.actions.announce`. Repeated idempotency keys get the first reply again.
 */
export class AgentServer {
  private readonly subs: Subscription[] = [];
  private readonly replies = new Map<string, AgentReply>();

  constructor(
    private readonly nc: NatsConnection,
    readonly component: string,
    private readonly handlers: Readonly<Record<string, ActionHandler>>,
  ) {}

  get actions(): string[] {
    return Object.keys(this.handlers).sort();
  }

  start(): void {
    for (const action of this.actions) {
      const sub = this.nc.subscribe(agentSubject(this.component, action));
      this.subs.push(sub);
      (async () => {
        for await (const m of sub) {
          let reply: AgentReply;
          try {
            const req = JSON.parse(m.string()) as AgentRequest;
            const key = req.idempotencyKey || m.headers?.get('X0-Idempotency-Key') || '';
            const seen = key ? this.replies.get(key) : undefined;
            reply = seen ?? (await this.handlers[action](req));
            if (key && !seen) this.remember(key, reply);
          } catch (err) {
            reply = { ok: false, message: `agent error: ${errorMessage(err)}` };
          }
          m.respond(JSON.stringify(reply));
        }
      })().catch(() => undefined);
    }
    const discovery = this.nc.subscribe(agentActionsSubject(this.component));
    this.subs.push(discovery);
    (async () => {
      for await (const m of discovery) if (m.reply) m.respond(JSON.stringify({ actions: this.actions }));
    })().catch(() => undefined);
    this.nc.publish(agentAnnounceSubject(this.component), JSON.stringify({ actions: this.actions }));
  }

  stop(): void {
    for (const s of this.subs.splice(0)) s.unsubscribe();
  }

  private remember(key: string, reply: AgentReply): void {
    this.replies.set(key, reply);
    if (this.replies.size > 10_000) this.replies.delete(this.replies.keys().next().value!);
  }
}
