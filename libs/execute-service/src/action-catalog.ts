import type { Subscription } from '@nats-io/transport-node';
import { UnavailableError, errorMessage } from '@x0/core';
import type { Bus } from '@x0/bus';
import { ACTIONS_TOKEN, AGENT_ANNOUNCE_FILTER, parseSubject } from '@x0/contracts';
import type { ComponentActionsRecord, ComponentActionsStore } from '@x0/component-actions';
import { discoverActions } from '@x0/executors';
import type { Logger } from '@x0/service-kit';
import type { ExecutorOffer } from './execute-config';

/** Options of ActionCatalog. */
export interface ActionCatalogOptions {
  bus: Bus;
  store: ComponentActionsStore;
  offer: ExecutorOffer;
  logger: Logger;
  discoveryTimeoutMs: number;
  /** A list older than this is asked for again when its component shows up. */
  refreshMs: number;
  /** Wait at least this long between two discoveries of one component (default 60 s). */
  retryMs?: number;
}

const ACTION = /^[a-z][a-z0-9_-]{0,63}$/;

/**
 * What each component can do, kept in the component-actions bucket for the plan service:
 * the actions its agent advertises on `x0.agents.<component>.actions.announce` (when it
 * starts) or answers on `x0.agents.<component>.actions` (when asked) — limited to the nats_agent executors' allowlists — plus the actions the
 * configured webhook and Kubernetes executors list, which any component can have done.
 * A component whose agent never answered stays unknown (no record: plan may try any policy's
 * action, and a missing agent then shows as a failed action); without any nats_agent
 * executor every component gets the configured actions only (source `config`).
 */
export class ActionCatalog {
  private readonly known = new Map<string, ComponentActionsRecord>();
  private readonly lastAttempt = new Map<string, number>();
  private sub?: Subscription;

  constructor(private readonly o: ActionCatalogOptions) {}

  /** Loads the stored lists and starts listening to agent advertisements. */
  async start(): Promise<void> {
    for (const r of await this.o.store.list()) this.known.set(r.component, r);
    this.sub = this.o.bus.nc.subscribe(AGENT_ANNOUNCE_FILTER);
    this.listen(this.sub);
  }

  stop(): void {
    this.sub?.unsubscribe();
  }

  /** The stored lists, sorted by component. */
  list(): ComponentActionsRecord[] {
    return [...this.known.values()].sort((a, b) => a.component.localeCompare(b.component));
  }

  get size(): number {
    return this.known.size;
  }

  /**
   * A component showed up (in a plan or a status): asks its agent for its actions when the
   * list is unknown or older than refreshMs (at most once per retryMs). Never throws.
   */
  notice(component: string): void {
    const now = Date.now();
    const rec = this.known.get(component);
    if (rec && now - rec.updatedMs < this.o.refreshMs) return;
    if (now - (this.lastAttempt.get(component) ?? 0) < (this.o.retryMs ?? 60_000)) return;
    this.lastAttempt.set(component, now);
    // Without an agent executor, what a component can do is the configuration's list alone.
    if (!this.o.offer.agents) void this.record(component, undefined);
    else void this.discover(component);
  }

  /** Asks the component's agent now and stores the answer; resolves to the stored record (if any). */
  async discover(component: string): Promise<ComponentActionsRecord | undefined> {
    try {
      const actions = await discoverActions(this.o.bus.nc, component, { timeoutMs: this.o.discoveryTimeoutMs });
      return await this.record(component, actions);
    } catch (err) {
      // No agent ("no responders", at once) or no answer in time (a busy agent may answer
      // late): the component stays as it was and is asked again after retryMs.
      const what = err instanceof UnavailableError ? 'no agent answered action discovery' : 'malformed answer to action discovery';
      this.o.logger.debug({ component, err: errorMessage(err) }, `${what}; will ask again later`);
      return this.known.get(component);
    }
  }

  /** Stores what `component` can do given its agent's actions (undefined: no agent can be used). */
  async record(component: string, agentActions: readonly string[] | undefined): Promise<ComponentActionsRecord | undefined> {
    const { offer } = this.o;
    const viaAgent = agentActions && offer.agents ? agentActions.filter((a) => !offer.agentAllowlist || offer.agentAllowlist.has(a)) : [];
    const actions = [...new Set([...viaAgent, ...offer.configActions])].sort();
    const source = agentActions ? 'agent' : 'config';
    try {
      const rec = await this.o.store.put(component, { actions, source });
      const before = this.known.get(component);
      this.known.set(component, rec);
      if (!before || before.actions.join() !== rec.actions.join()) this.o.logger.info({ component, actions, source }, 'component actions learnt');
      return rec;
    } catch (err) {
      this.o.logger.warn({ component, err: errorMessage(err) }, 'cannot store component actions');
      return undefined;
    }
  }

  private async listen(sub: Subscription): Promise<void> {
    for await (const m of sub) {
      if (m.data.length === 0) continue;
      let component: string;
      let actions: string[];
      try {
        const parsed = parseSubject(m.subject);
        if (parsed.type !== 'agent_announce') continue;
        component = parsed.component;
        const body = m.json<{ actions?: unknown }>();
        if (!Array.isArray(body.actions) || !body.actions.every((a) => typeof a === 'string' && ACTION.test(a))) throw new Error('expected {"actions": [<action tokens>]}');
        actions = (body.actions as string[]).filter((a) => a !== ACTIONS_TOKEN);
      } catch (err) {
        this.o.logger.warn({ subject: m.subject, err: errorMessage(err) }, 'malformed action advertisement ignored');
        continue;
      }
      this.lastAttempt.set(component, Date.now());
      await this.record(component, actions);
    }
  }
}
