import { FailedPreconditionError, InvalidArgumentError, NotFoundError, errorMessage } from '@x0/core';
import { ConsumerLoop, publishAll, publishMessage, type Bus, type ConsumerLoopOptions, type Delivery, type HandleResult, type OutboundMessage } from '@x0/bus';
import { EVENT_CODECS, PlanStatus, STREAMS, Verdict, eventFilter, eventSubject, parseSubject, planStatusToJSON, validateEvent, type ActionResult, type Outcome, type Plan } from '@x0/contracts';
import type { DispatchResult, ExecutorRegistry } from '@x0/executors';
import type { ApprovalAudit } from '@x0/guardrails';
import type { Logger, ServiceStats } from '@x0/service-kit';
import type { ActionCatalog } from './action-catalog';
import { planIncidentEnded, type ApprovalDesk } from './approval-desk';
import { buildActionResult, buildApproval, buildOutcome, immediateOutcome, type ActionReport } from './events';
import type { Verifier } from './verifier';

/** Options of ExecuteRuntime. */
export interface ExecuteRuntimeOptions {
  bus: Bus;
  logger: Logger;
  stats: ServiceStats;
  registry: ExecutorRegistry;
  verifier: Verifier;
  approvals: ApprovalDesk;
  catalog: ActionCatalog;
  actionTimeoutMs: number;
  /** Plans older than this are not executed; 0 = no limit. */
  maxPlanAgeMs: number;
  /** Settings the consumer takes (ServiceContext.consumerOptions: ack wait, max deliveries, partition). */
  consumer?: Pick<ConsumerLoopOptions<unknown>, 'ackWaitMs' | 'maxDeliver' | 'partition'>;
  /** Adjusts a plan just before it is carried out (the action-parameter advisor: `advisePlan`). */
  advise?: (plan: Plan) => Plan;
}

/** Plans handled since start, by what became of them. */
export interface ExecuteCounts {
  executed: number;
  dry_run: number;
  failed: number;
  held: number;
  stale: number;
  ignored: number;
}

/**
 * The execute service's consumer: DISPATCH plans are carried out through the executor
 * allowlist (at most once per idempotency key) and answered with an ActionResult, then an
 * Outcome (at once for dry runs and failures, after verification otherwise);
 * PENDING_APPROVAL plans are held for an operator. Plans of different components run
 * concurrently; one component's plans run in order.
 */
export class ExecuteRuntime {
  readonly counts: ExecuteCounts = { executed: 0, dry_run: 0, failed: 0, held: 0, stale: 0, ignored: 0 };
  private readonly loop: ConsumerLoop<Plan>;
  private stopping?: Promise<void>;

  constructor(private readonly o: ExecuteRuntimeOptions) {
    this.loop = new ConsumerLoop<Plan>({
      bus: o.bus,
      service: 'execute',
      durable: 'execute',
      stream: STREAMS.events.name,
      filterSubject: eventFilter('plan'),
      ...o.consumer,
      // An action may take up to its timeout: the server must not redeliver the plan meanwhile.
      ackWaitMs: Math.max(o.consumer?.ackWaitMs ?? 30_000, o.actionTimeoutMs + 5000),
      maxBatch: 64,
      logger: o.logger,
      observer: o.stats,
      decode: (data, subject) => {
        const parsed = parseSubject(subject);
        if (parsed.type !== 'event' || parsed.event !== 'plan') throw new InvalidArgumentError('subject', `is not a plan subject: ${subject}`);
        return validateEvent('plan', EVENT_CODECS.plan.decode(data), parsed.component);
      },
      handleBatch: (items) => this.handleBatch(items),
    });
  }

  async start(): Promise<void> {
    await this.loop.start();
  }

  /** Stops taking plans and finishes the batch in hand. Safe to call twice. */
  stop(): Promise<void> {
    this.stopping ??= this.loop.stop();
    return this.stopping;
  }

  /** Carries out an approved plan (the gRPC Approve path): publishes its Approval, then runs it. */
  async onDecision(plan: Plan, audit: ApprovalAudit, heldMs: number): Promise<void> {
    const approval = buildApproval(plan, audit);
    await publishMessage(this.o.bus.js, { subject: eventSubject('approval', approval.meta!.component), data: EVENT_CODECS.approval.encode(approval), id: approval.meta!.id });
    this.o.stats.published(1);
    if (audit.decision !== 'approved') return;
    const outputs = this.o.verifier.healthyNow(plan.meta!.component)
      ? this.notNeeded(plan, `${plan.meta!.component} is healthy again (no open incident) by the time the plan was approved`)
      : this.endedIncident(plan, heldMs) ?? (await this.execute(plan, { approved: true }));
    const results = await publishAll(this.o.bus.js, outputs);
    const failed = results.find((r) => r instanceof Error);
    if (failed) throw failed;
    this.o.stats.published(outputs.length);
  }

  private async handleBatch(items: readonly Delivery<Plan>[]): Promise<HandleResult[]> {
    const results: HandleResult[] = new Array(items.length);
    const byComponent = new Map<string, number[]>();
    items.forEach((d, i) => {
      const c = d.value.meta!.component;
      (byComponent.get(c) ?? byComponent.set(c, []).get(c)!).push(i);
    });
    await Promise.all(
      [...byComponent.values()].map(async (indexes) => {
        for (const i of indexes) results[i] = await this.handle(items[i].value);
      }),
    );
    return results;
  }

  private async handle(plan: Plan): Promise<HandleResult> {
    const component = plan.meta!.component;
    this.o.catalog.notice(component);
    // Unspecified or unknown (a newer or broken producer): not "nothing to do" — say so on the dead-letter subject.
    if (!KNOWN_STATUSES.includes(plan.status)) {
      return { type: 'invalid', reason: `'status' must be PLAN_STATUS_DISPATCH, PLAN_STATUS_PENDING_APPROVAL, PLAN_STATUS_BLOCKED or PLAN_STATUS_NO_ACTION, got ${statusText(plan.status)}` };
    }
    const acts = plan.status === PlanStatus.PLAN_STATUS_DISPATCH || plan.status === PlanStatus.PLAN_STATUS_PENDING_APPROVAL;
    if (!acts) {
      this.counts.ignored++;
      return { type: 'ok' };
    }
    if (!plan.action) return { type: 'invalid', reason: "'action' must not be empty in a plan to execute" };
    if (!plan.idempotencyKey) return { type: 'invalid', reason: "'idempotency_key' must not be empty in a plan to execute" };
    // Held even when older than maxPlanAge: holding is not acting, and its deadline counts from
    // the plan, as the plan service's slot for it does (dropped, it would never be listed while
    // that slot holds the action). One past its deadline is not held: the slot has lapsed too.
    if (plan.status === PlanStatus.PLAN_STATUS_PENDING_APPROVAL) {
      if (this.o.approvals.pastDeadline(plan)) {
        this.counts.stale++;
        this.o.logger.warn({ plan: plan.meta!.id, component, ageS: Math.round((Date.now() - plan.meta!.timeMs) / 1000) }, 'plan for approval past its deadline; not held');
        return { type: 'ok' };
      }
      if (await this.o.approvals.hold(plan)) this.counts.held++;
      return { type: 'ok' };
    }
    const age = Date.now() - plan.meta!.timeMs;
    if (this.o.maxPlanAgeMs > 0 && age > this.o.maxPlanAgeMs) {
      this.counts.stale++;
      this.o.logger.warn({ plan: plan.meta!.id, component, ageS: Math.round(age / 1000) }, 'plan too old to act on; not executed');
      return { type: 'ok' };
    }
    return { type: 'ok', outputs: await this.execute(plan) };
  }

  /**
   * Dispatches a plan and returns the events to publish: the ActionResult, plus the Outcome
   * when there is nothing to verify. A succeeded action's verification is persisted first.
   * Throws only for transient trouble (the plan is then redelivered; the idempotency key
   * keeps the action from running twice). An approved plan runs with the params the operator
   * approved (the plan's, as `x0 explain` showed them): the action-params advisor is not asked.
   */
  private async execute(planned: Plan, o: { approved?: boolean } = {}): Promise<OutboundMessage[]> {
    // The advised params are what runs and what the ActionResult records.
    const plan = this.o.advise && !o.approved ? this.o.advise(planned) : planned;
    const report = await this.dispatch(plan);
    const action = buildActionResult(plan, report, Date.now());
    const outputs: OutboundMessage[] = [toMessage('action', action)];
    const immediate = immediateOutcome(action);
    if (immediate) {
      outputs.push(toMessage('outcome', buildOutcome(action, immediate, Date.now())));
      if (report.dryRun) this.counts.dry_run++;
      else this.counts.failed++;
    } else {
      await this.o.verifier.track(action);
      this.counts.executed++;
    }
    return outputs;
  }

  /**
   * An approved plan whose incident has ended while it waited (the monitor reported the
   * component without an open incident, or with another incident open, after the plan was held
   * here — `heldMs`, this process's clock, as the statuses' reception times are), even if another
   * incident is open on it now: the action was proposed, and approved, for the incident that
   * ended — a later incident (another cause, perhaps) gets its own plan. Undefined when the
   * incident may still be open.
   */
  private endedIncident(plan: Plan, heldMs: number): OutboundMessage[] | undefined {
    const reason = planIncidentEnded((c, id, since) => this.o.verifier.incidentEnded(c, id, since), plan, heldMs);
    return reason ? this.notNeeded(plan, reason) : undefined;
  }

  /**
   * An approved plan that is no longer needed (the component is healthy again, or the plan's
   * incident ended): not performed, and said so. The Outcome has no verdict: the policy
   * neither worked nor failed, and the plan service only frees its slot.
   */
  private notNeeded(plan: Plan, why: string): OutboundMessage[] {
    const message = `not performed: ${why}`;
    const action = buildActionResult(plan, { executor: plan.executor, status: 'skipped', message, durationMs: 0, dryRun: plan.dryRun }, Date.now());
    const outcome = buildOutcome(action, { verdict: Verdict.VERDICT_UNSPECIFIED, recovered: false, timeToRecoverMs: 0, anomalyReturned: false, detail: message }, Date.now());
    this.counts.ignored++;
    return [toMessage('action', action), toMessage('outcome', outcome)];
  }

  private async dispatch(plan: Plan): Promise<ActionReport> {
    let res: DispatchResult;
    try {
      res = await this.o.registry.dispatch({
        executor: plan.executor,
        component: plan.meta!.component,
        action: plan.action,
        params: { ...plan.params },
        idempotencyKey: plan.idempotencyKey,
        dryRun: plan.dryRun,
        deadline: Date.now() + this.o.actionTimeoutMs,
      });
    } catch (err) {
      // Refused by the allowlist (unknown executor, action not configured, bad request): a failed action, on the record.
      if (err instanceof InvalidArgumentError || err instanceof NotFoundError || err instanceof FailedPreconditionError) {
        this.o.logger.warn({ plan: plan.meta!.id, executor: plan.executor, action: plan.action, err: errorMessage(err) }, 'plan refused by the executor allowlist');
        return { executor: plan.executor, status: 'failed', message: `refused: ${errorMessage(err)}`, durationMs: 0, dryRun: plan.dryRun };
      }
      throw err;
    }
    const message = res.replayed ? `${res.message} (replayed: this idempotency key was executed before; nothing was done now)` : res.message;
    return { executor: res.executor, status: res.status, message, durationMs: res.durationMs, dryRun: res.dryRun };
  }
}

/** The statuses a plan service publishes. */
const KNOWN_STATUSES: readonly PlanStatus[] = [PlanStatus.PLAN_STATUS_DISPATCH, PlanStatus.PLAN_STATUS_PENDING_APPROVAL, PlanStatus.PLAN_STATUS_BLOCKED, PlanStatus.PLAN_STATUS_NO_ACTION];

/** `PLAN_STATUS_UNSPECIFIED`, or the number of a status this build does not know. */
function statusText(status: PlanStatus): string {
  const name = planStatusToJSON(status);
  return name === 'UNRECOGNIZED' ? String(status) : name;
}

function toMessage(type: 'action' | 'outcome', event: ActionResult | Outcome): OutboundMessage {
  const meta = event.meta!;
  const data = type === 'action' ? EVENT_CODECS.action.encode(event as ActionResult) : EVENT_CODECS.outcome.encode(event as Outcome);
  return { subject: eventSubject(type, meta.component), data, id: meta.id };
}
