import { InvalidArgumentError, LruMap, deriveId } from '@x0/core';
import { createEventConsumer, partitionOf, type Bus, type ConsumerLoop, type ConsumerLoopOptions, type Delivery, type HandleResult } from '@x0/bus';
import { EVENT_CODECS, eventSubject, incidentOfContext, type Approval, type Diagnosis, type EventPayloads, type Outcome, type Plan } from '@x0/contracts';
import type { ComponentActionsRecord } from '@x0/component-actions';
import { ApprovalRequests, IncidentAttempts, Planner, type DecisionEngine, type PlanRequest } from '@x0/decision';
import type { AdmittedAction, Guardrails } from '@x0/guardrails';
import type { Logger, ServiceStats } from '@x0/service-kit';
import { buildPlan, planRequest, validateCandidates } from './plan-builder';
import { approvalRequestsFromStore, failedAttempt, failedAttemptsFromStore, guardrailOutcome, longestRestorePart, rebuildFromStore, requestDecision } from './plan-restore';
import type { PlanStore } from './plan-store';

/** A clock that can be held still while one decision is made (guardrails and engine agree on "now"). */
export class DecisionClock {
  private held?: number;
  readonly now = (): number => this.held ?? Date.now();

  /** Runs `fn` with the clock held at `t`. */
  at<T>(t: number, fn: () => T): T {
    this.held = t;
    try {
      return fn();
    } finally {
      this.held = undefined;
    }
  }
}

/** Options of PlanRuntime. */
export interface PlanRuntimeOptions {
  bus: Bus;
  logger: Logger;
  stats: ServiceStats;
  engine: DecisionEngine;
  guardrails: Guardrails;
  clock: DecisionClock;
  /** Recent plans kept in memory (redelivered diagnoses, Explain without a KV read). */
  explainCache: number;
  /** Where every plan is stored before it is published, so Explain finds it after a restart. */
  store: PlanStore;
  /** Diagnoses older than this are not planned; 0 = no limit. */
  maxDiagnosisAgeMs: number;
  /** Outcomes and approvals older than this no longer concern the guardrails (the longest an in-flight slot lasts). */
  maxFeedbackAgeMs: number;
  /** Settings every consumer takes (ServiceContext.consumerOptions: ack wait, max deliveries, partition). */
  consumer?: Pick<ConsumerLoopOptions<unknown>, 'ackWaitMs' | 'maxDeliver' | 'partition'>;
}

/** Plans published so far, by status. */
export interface PlanCounts {
  dispatch: number;
  pending_approval: number;
  blocked: number;
  no_action: number;
  stale: number;
}

/**
 * The plan service's consumers: diagnoses in → Plan events out (every decision, blocked and
 * no-action ones too); outcomes and approval decisions in → the guardrails' bookkeeping
 * (in-flight slots, circuit breakers, recoveries). Per-component state lives in memory; every
 * plan is also written to the plan store (KV) before it is published, for Explain.
 */
export class PlanRuntime {
  readonly planner: Planner;
  readonly counts: PlanCounts = { dispatch: 0, pending_approval: 0, blocked: 0, no_action: 0, stale: 0 };
  private readonly recent: LruMap<string, Plan>;
  private readonly actions = new Map<string, readonly string[]>();
  private readonly kinds = new Map<string, Set<string>>();
  /** Each component's kind, as its latest diagnosis (or stored plan) gave it. */
  private readonly lastKind = new Map<string, string>();
  /** Ids of the outcomes the rebuild at start fed to the guardrails. */
  private readonly replayed = new Set<string>();
  private readonly consumers: ConsumerLoop<EventPayloads[keyof EventPayloads]>[];
  private stopping?: Promise<void>;

  constructor(private readonly o: PlanRuntimeOptions) {
    // An incident's failed actions are remembered as long as the guardrails' own memory reaches
    // back (the restore window as the guardrail settings give it): what a restart rebuilds.
    // So are the requests put to an operator on each incident and how they ended.
    const retentionMs = 1000 * longestRestorePart(o.guardrails.config).seconds;
    const attempts = new IncidentAttempts({ retentionMs });
    const requests = new ApprovalRequests({ retentionMs });
    this.planner = new Planner({ engine: o.engine, guardrails: o.guardrails, attempts, requests });
    this.recent = new LruMap(o.explainCache);
    const common = { ...o.consumer, bus: o.bus, service: 'plan', logger: o.logger, observer: o.stats };
    this.consumers = [
      createEventConsumer({ ...common, type: 'diagnosis', durable: 'plan', handleAll: (ds) => this.onDiagnoses(ds) }),
      createEventConsumer({ ...common, type: 'outcome', durable: 'plan-outcomes', handle: (oc) => this.onOutcome(oc) }),
      createEventConsumer({ ...common, type: 'approval', durable: 'plan-approvals', handle: (a) => this.onApproval(a) }),
    ] as ConsumerLoop<EventPayloads[keyof EventPayloads]>[];
  }

  /**
   * Rebuilds the guardrails from the stored plans (see `restore`), then starts the consumers:
   * outcomes and approvals the durables deliver afterwards (those not acked before the
   * restart) end the restored actions like any others.
   */
  async start(): Promise<void> {
    await this.restore(Date.now() - this.restoreWindowMs());
    for (const c of this.consumers) await c.start();
  }

  /**
   * How far back the stored plans and outcomes still matter to the guardrails: the longest of
   * the parts their settings give (restoreWindowParts: the in-flight slot, the rate windows, the
   * default cooldown, two cool-offs of each breaker, the stabilisation window) and the cooldowns
   * of the policies in force.
   */
  restoreWindowMs(): number {
    const cooldowns = this.o.engine.policies().map((p) => p.cooldownS);
    return 1000 * Math.max(longestRestorePart(this.o.guardrails.config).seconds, ...cooldowns);
  }

  /**
   * Rebuilds the guardrails from the plans stored since `sinceMs` and what is recorded about how
   * they ended (see rebuildFromStore), at their own times: cooldowns and rate windows for every
   * dispatched or held plan, and the in-flight slot for those not finished — awaiting approval,
   * approved or dispatched without a recorded outcome — so a restarted plan service neither asks
   * an operator twice for the same action nor forgets what it just did; the circuit breakers
   * from the recorded outcomes (and the plans' dispatches: a half-open breaker's trial), and the
   * stabilisation window from the plans (one anomaly each) and the recorded recoveries, so a
   * policy whose actions kept failing is not acted on again at once and a flapping component is
   * still held back; and the actions that failed on their incident (the recorded outcomes), so a
   * lasting incident does not get the same failed action again after a restart. An entry that
   * cannot be used is skipped with a warning. Returns the actions restored.
   */
  async restore(sinceMs: number): Promise<AdmittedAction[]> {
    const stored = await this.o.store.since(sinceMs);
    const partition = this.o.consumer?.partition;
    // With partitions, each replica owns its components' guardrails (and is fed only their outcomes).
    const owns = partition ? (component: string) => partitionOf(eventSubject('plan', component), partition.count) === partition.index : undefined;
    const rebuilt = rebuildFromStore(stored, { sinceMs, cooldowns: new Map(this.o.engine.policies().map((p) => [p.id, p.cooldownS])), owns });
    for (const { key, reason } of rebuilt.skipped) this.o.logger.warn({ key, reason }, 'stored entry in x0_plans cannot be used; not restored into the guardrails');
    const { actions, outcomes, anomalies } = rebuilt;
    this.o.guardrails.restore(actions, { outcomes, anomalies });
    // The actions that failed on incidents still remembered: not chosen again for them.
    const failed = failedAttemptsFromStore(stored, { sinceMs, owns });
    for (const a of failed) this.planner.attempts.record(a);
    // What was put to an operator on each incident and how it ended: a repeat says so, a rejection stands.
    const requests = approvalRequestsFromStore(stored, this.planner.requests, { sinceMs, owns });
    for (const a of anomalies) this.member(a.kind ?? '', a.component);
    // An outcome recorded (and fed) just before the restart may be delivered again: counted once.
    for (const oc of stored.outcomes.values()) if (oc.meta?.id) this.replayed.add(oc.meta.id);
    if (actions.length + outcomes.length > 0) {
      const status = this.o.guardrails.status();
      this.o.logger.info(
        {
          actions: actions.length,
          unfinished: actions.filter((a) => a.inFlight).length,
          outcomes: outcomes.length,
          failedOnIncidents: failed.length,
          operatorRequests: requests,
          openBreakers: status.breakers.length,
          globalBreaker: status.globalBreaker,
          sinceS: Math.round((Date.now() - sinceMs) / 1000),
        },
        'guardrails rebuilt from the stored plans',
      );
    }
    return actions;
  }

  /** Stops the consumers after the batches in hand. Safe to call twice. */
  stop(): Promise<void> {
    this.stopping ??= Promise.all(this.consumers.map((c) => c.stop())).then(() => undefined);
    return this.stopping;
  }

  /** A plan by id (Explain): from memory, else from the plan store; undefined when neither has it. */
  async plan(id: string): Promise<Plan | undefined> {
    return this.recent.get(id) ?? (await this.o.store.get(id));
  }

  /** The recorded decision on a plan that waited for approval; undefined while it waits. */
  approval(planId: string): Promise<Approval | undefined> {
    return this.o.store.approval(planId);
  }

  get recentCount(): number {
    return this.recent.size;
  }

  /** Updates what a component can do (from the component-actions bucket); undefined = unknown. */
  setActions(component: string, record: ComponentActionsRecord | undefined): void {
    if (record) this.actions.set(component, record.actions);
    else this.actions.delete(component);
  }

  availableActions(component: string): readonly string[] | undefined {
    return this.actions.get(component);
  }

  get componentsWithActions(): number {
    return this.actions.size;
  }

  /** The kind this replica has seen `component` diagnosed as (the latest one), '' when none. */
  kindOf(component: string): string {
    return this.lastKind.get(component) ?? '';
  }

  /** The planning request for a diagnosis, with what this replica knows about the component. */
  request(d: Diagnosis): PlanRequest {
    const component = d.meta!.component;
    const members = this.member(d.incident?.kind ?? '', component);
    return planRequest(d, { availableActions: this.availableActions(component), groupSize: members.size });
  }

  /** Notes `component` as one of `kind` (the blast radius' group size); returns the group. */
  private member(kind: string, component: string): Set<string> {
    if (kind) this.lastKind.set(component, kind);
    let members = this.kinds.get(kind);
    if (!members) this.kinds.set(kind, (members = new Set()));
    members.add(component);
    return members;
  }

  /**
   * Plans a batch of diagnoses. A diagnosis seen before (redelivered, or published again
   * upstream) gets the same plan again, not a second decision: from memory, or after a restart
   * from the store (the stream would drop a second decision's plan as a duplicate of the first,
   * and the guardrails would count an action that never runs). The store is read for the whole
   * batch at once, the diagnoses are planned in order (the guardrails see them one after
   * another), and the new plans are stored at once before they are published: a plan anyone
   * can see can be explained, also after a restart. A failed write retries the batch; the
   * retry takes the plans from memory.
   */
  private async onDiagnoses(ds: readonly Delivery<Diagnosis>[]): Promise<HandleResult[]> {
    const ids = ds.map((d) => derivePlanId(d.value));
    const stored = await Promise.all(ids.map((id) => (this.recent.has(id) ? undefined : this.o.store.get(id))));
    // A diagnosis the engine refuses is dead-lettered alone: the rest of the batch is planned.
    const plans = ds.map((d, i): Plan | undefined | InvalidArgumentError => {
      try {
        validateCandidates(d.value.candidates);
        return this.planFor(d.value, ids[i], stored[i]);
      } catch (err) {
        if (err instanceof InvalidArgumentError) return err;
        throw err;
      }
    });
    await Promise.all(plans.map((plan) => plan && !(plan instanceof InvalidArgumentError) && this.o.store.add(plan)));
    return plans.map((plan): HandleResult => {
      if (plan instanceof InvalidArgumentError) return { type: 'invalid', reason: plan.message };
      return plan ? { type: 'ok', outputs: [{ subject: eventSubject('plan', plan.meta!.component), data: EVENT_CODECS.plan.encode(plan), id: plan.meta!.id }] } : { type: 'ok' };
    });
  }

  /** The plan for a diagnosis: the known one, else a new decision (undefined when the diagnosis is too old to act on). */
  private planFor(d: Diagnosis, id: string, stored: Plan | undefined): Plan | undefined {
    const now = Date.now();
    const age = now - d.meta!.timeMs;
    if (this.o.maxDiagnosisAgeMs > 0 && age > this.o.maxDiagnosisAgeMs) {
      this.counts.stale++;
      this.o.logger.warn({ diagnosis: d.meta!.id, component: d.meta!.component, ageS: Math.round(age / 1000) }, 'diagnosis too old to act on; not planned');
      return undefined;
    }
    const known = this.recent.get(id) ?? stored;
    if (known) {
      this.recent.set(id, known);
      return known;
    }
    const req = { ...this.request(d), planId: id };
    const decision = this.o.clock.at(now, () => this.planner.plan(req));
    const plan = buildPlan(d, decision, now);
    this.recent.set(id, plan);
    this.counts[decision.status]++;
    this.o.logger.debug({ plan: plan.meta!.id, component: req.component, status: decision.status, action: decision.action }, 'planned');
    return plan;
  }

  /**
   * Records the outcome with its plan (a restarted plan service then knows the action ended)
   * before the guardrails hear of it: a failed write is retried, and the guardrails counted once.
   * The in-flight slot is freed only if the outcome's plan (`incident.plan_id`) holds it: a late
   * outcome of an earlier plan leaves a newer plan for the same action in flight.
   */
  private async onOutcome(o: Outcome): Promise<HandleResult> {
    const inc = o.incident!;
    if (inc.planId && inc.action) await this.o.store.recordOutcome(inc.planId, o);
    // Not chosen again for this incident (a redelivered outcome of the same plan counts once).
    const failed = failedAttempt(o);
    if (failed) this.planner.attempts.record(failed);
    if (!inc.policyId || !inc.action || this.tooOld(o.meta!.timeMs)) return { type: 'ok' };
    // Already counted by the rebuild at start (recorded, then redelivered before its ack).
    if (this.replayed.delete(o.meta!.id)) return { type: 'ok' };
    // A success also ends the component's episode (stabilisation: flap window starts).
    const outcome = guardrailOutcome(o);
    if (outcome) this.o.guardrails.recordOutcome(outcome);
    else this.o.guardrails.release(o.meta!.component, inc.action, inc.planId || undefined);
    return { type: 'ok' };
  }

  /**
   * Records the decision with its plan (for Explain and a restart), then frees the slot of one
   * that will not run (and lifts the cooldown of a withdrawn one) — only if that plan holds it: a late or redelivered rejection or expiry
   * of an earlier plan does not free the slot of a newer plan awaiting an operator for the same
   * action (which would then be put to an operator again). An approved one runs from the
   * approval on: its slot lasts `inFlightTimeoutS` from the approval's time (until its outcome).
   */
  private async onApproval(a: Approval): Promise<HandleResult> {
    // Anything else would be taken for a rejection below and free a slot held for an operator.
    const decision = requestDecision(a.decision);
    if (!decision) return { type: 'invalid', reason: `'decision' must be approved, rejected, expired or withdrawn, got ${JSON.stringify(a.decision)}` };
    const planId = a.planId || a.incident?.planId || '';
    if (planId) await this.o.store.recordApproval(planId, a);
    const inc = a.incident;
    // How the request ended, for the incident's next request (a repeat says so; a rejection stands).
    if (inc?.action) this.planner.requests.decided(incidentOfContext(inc), { planId, action: inc.action, decision, actor: a.actor, atMs: a.meta!.timeMs });
    if (!inc?.action || this.tooOld(a.meta!.timeMs)) return { type: 'ok' };
    if (a.decision === 'approved') {
      this.o.guardrails.approved(a.meta!.component, inc.action, { planId: planId || undefined, atMs: a.meta!.timeMs });
      return { type: 'ok' };
    }
    // A rejected, expired or withdrawn action never runs; a withdrawn one (nobody said no) leaves no cooldown either.
    const freed = decision === 'withdrawn' ? this.o.guardrails.withdrawn(a.meta!.component, inc.action, planId || undefined) : this.o.guardrails.release(a.meta!.component, inc.action, planId || undefined);
    if (!freed) {
      this.o.logger.debug({ plan: planId, component: a.meta!.component, action: inc.action, decision: a.decision }, 'approval decision freed no in-flight slot (finished, or held by another plan)');
    }
    return { type: 'ok' };
  }

  private tooOld(timeMs: number): boolean {
    return Date.now() - timeMs > this.o.maxFeedbackAgeMs;
  }
}

function derivePlanId(d: Diagnosis): string {
  return deriveId('pl', d.meta!.id);
}
